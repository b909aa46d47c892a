//! Claim rows: insert, read by id, keyset listing.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{
    Conn,
    schema::{change_counters, claim_tags, claims},
};
use crate::domain::{
    Claim, ClaimCursor, ClaimFilter, ClaimStatus, Error, OldestFirst, Page, ReviewCursor, ReviewFilter,
};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = claims)]
#[diesel(treat_none_as_null = true)]
struct ClaimRow {
    id: String,
    text: String,
    language: String,
    context: Option<String>,
    claimed_at: Option<String>,
    claimed_start: Option<NaiveDateTime>,
    claimed_end: Option<NaiveDateTime>,
    tags: String,
    status: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    claimant_id: Option<String>,
    merged_into: Option<String>,
}

impl From<&Claim> for ClaimRow {
    fn from(claim: &Claim) -> Self {
        ClaimRow {
            id: claim.id.to_string(),
            text: claim.text.clone(),
            language: claim.language.clone(),
            context: claim.context.clone(),
            claimant_id: claim.claimant_id.map(|id| id.to_string()),
            claimed_at: claim.claimed_at.map(|d| d.to_string()),
            claimed_start: claim.claimed_at.map(|d| d.start().naive_utc()),
            claimed_end: claim.claimed_at.map(|d| d.end().naive_utc()),
            tags: serde_json::Value::from(claim.tags.clone()).to_string(),
            status: claim.status.as_str().to_owned(),
            version: claim.version,
            created_at: claim.created_at.naive_utc(),
            updated_at: claim.updated_at.naive_utc(),
            merged_into: claim.merged_into.map(|id| id.to_string()),
        }
    }
}

impl TryFrom<ClaimRow> for Claim {
    type Error = Error;

    fn try_from(row: ClaimRow) -> Result<Self, Error> {
        let corrupt = |what: &str, detail: String| {
            Error::Internal(format!("claim {}: stored {what} is invalid: {detail}", row.id))
        };
        Ok(Claim {
            id: uuid::Uuid::try_parse(&row.id).map_err(|e| corrupt("id", e.to_string()))?,
            claimed_at: row.claimed_at.as_deref().map(str::parse).transpose().map_err(|e| corrupt("claimed_at", e))?,
            tags: serde_json::from_str(&row.tags).map_err(|e| corrupt("tags", e.to_string()))?,
            status: ClaimStatus::parse(&row.status).map_err(|e| corrupt("status", e))?,
            text: row.text,
            language: row.language,
            context: row.context,
            claimant_id: row
                .claimant_id
                .as_deref()
                .map(uuid::Uuid::try_parse)
                .transpose()
                .map_err(|e| corrupt("claimant_id", e.to_string()))?,
            merged_into: row
                .merged_into
                .as_deref()
                .map(uuid::Uuid::try_parse)
                .transpose()
                .map_err(|e| corrupt("merged_into", e.to_string()))?,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// Stores a new claim and its tag index; call inside a write transaction.
pub fn insert(conn: &mut Conn, claim: &Claim) -> Result<(), Error> {
    diesel::insert_into(claims::table).values(ClaimRow::from(claim)).execute(conn)?;
    write_tags(conn, claim)
}

/// Stores new claims with their tags in multi-row inserts (a bulk import); call inside a write
/// transaction.
pub fn insert_many(conn: &mut Conn, claims: &[Claim]) -> Result<(), Error> {
    use super::search::{Bind, Sql};
    for chunk in claims.chunks(1000) {
        let mut sql = Sql::new(
            "INSERT INTO claims (id, text, language, context, claimed_at, claimed_start, claimed_end, tags, status, \
             version, created_at, updated_at, claimant_id, merged_into) VALUES ",
        );
        sql.rows(chunk.iter().map(|claim| {
            let row = ClaimRow::from(claim);
            vec![
                Bind::Text(row.id),
                Bind::Text(row.text),
                Bind::Text(row.language),
                Bind::OptText(row.context),
                Bind::OptText(row.claimed_at),
                Bind::OptTime(row.claimed_start),
                Bind::OptTime(row.claimed_end),
                Bind::Text(row.tags),
                Bind::Text(row.status),
                Bind::Big(row.version),
                Bind::Time(row.created_at),
                Bind::Time(row.updated_at),
                Bind::OptText(row.claimant_id),
                Bind::OptText(row.merged_into),
            ]
        }));
        sql.execute(conn)?;
    }
    let tags: Vec<Vec<Bind>> = claims
        .iter()
        .flat_map(|c| c.tags.iter().map(move |t| vec![Bind::Text(c.id.to_string()), Bind::Text(t.clone())]))
        .collect();
    for chunk in tags.chunks(5000) {
        let mut sql = Sql::new("INSERT INTO claim_tags (claim_id, tag) VALUES ");
        sql.rows(chunk.to_vec());
        sql.execute(conn)?;
    }
    Ok(())
}

/// Which of these claims are stored, in one query a thousand.
pub fn existing(conn: &mut Conn, ids: &[uuid::Uuid]) -> Result<std::collections::HashSet<uuid::Uuid>, Error> {
    let mut found = std::collections::HashSet::new();
    for chunk in ids.chunks(1000) {
        let rows: Vec<String> = claims::table
            .filter(claims::id.eq_any(chunk.iter().map(|id| id.to_string())))
            .select(claims::id)
            .load(conn)?;
        for id in rows {
            found.insert(uuid::Uuid::try_parse(&id).map_err(|e| Error::Internal(e.to_string()))?);
        }
    }
    Ok(found)
}

fn write_tags(conn: &mut Conn, claim: &Claim) -> Result<(), Error> {
    let id = claim.id.to_string();
    diesel::delete(claim_tags::table.filter(claim_tags::claim_id.eq(&id))).execute(conn)?;
    // One statement per tag: diesel has no batch insert that runs on both backends, and a claim
    // has at most 50 tags, written inside the caller's transaction.
    for tag in &claim.tags {
        diesel::insert_into(claim_tags::table)
            .values((claim_tags::claim_id.eq(&id), claim_tags::tag.eq(tag)))
            .execute(conn)?;
    }
    Ok(())
}

/// Writes a changed claim (its version already bumped by the caller) if `expected_version`
/// is still current; call inside a write transaction.
pub fn update(conn: &mut Conn, claim: &Claim, expected_version: i64, tags_changed: bool) -> Result<(), Error> {
    let updated = diesel::update(claims::table.find(claim.id.to_string()).filter(claims::version.eq(expected_version)))
        .set(ClaimRow::from(claim))
        .execute(conn)?;
    if updated != 1 {
        return Err(
            match claims::table.find(claim.id.to_string()).select(claims::version).first::<i64>(conn).optional()? {
                Some(current) => Error::VersionMismatch {
                    expected: format!("version {expected_version}"),
                    current,
                    current_etag: None,
                },
                None => Error::NotFound { resource: "claim", id: claim.id.to_string() },
            },
        );
    }
    if tags_changed {
        write_tags(conn, claim)?;
    }
    Ok(())
}

/// Locks the claim's row until the transaction ends (PostgreSQL `FOR UPDATE`), so that a change
/// made against whatever is current (`If-Match: *`) is not overtaken between its read and its
/// write. SQLite's write transactions already hold the whole database.
pub fn lock(conn: &mut Conn, id: uuid::Uuid) -> Result<(), Error> {
    if let Conn::Pg(pg) = conn {
        diesel::sql_query("SELECT id FROM claims WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Text, _>(id.to_string())
            .execute(pg)?;
    }
    Ok(())
}

/// What a cached view of a claim is checked against: the claim's version and the sources
/// revision (bumped by every source edit), in one statement. `None`: no such claim.
pub fn stamp(conn: &mut Conn, id: uuid::Uuid) -> Result<Option<(i64, i64)>, Error> {
    let revision = change_counters::table
        .filter(change_counters::name.eq(super::sources::REVISION))
        .select(change_counters::value)
        .single_value();
    let found: Option<(i64, Option<i64>)> =
        claims::table.find(id.to_string()).select((claims::version, revision)).first(conn).optional()?;
    Ok(found.map(|(version, revision)| (version, revision.unwrap_or_default())))
}

pub fn get(conn: &mut Conn, id: uuid::Uuid) -> Result<Claim, Error> {
    claims::table
        .find(id.to_string())
        .select(ClaimRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound { resource: "claim", id: id.to_string() })?
        .try_into()
}

/// The claims with these ids that exist, in no particular order, in one query.
pub fn get_many(conn: &mut Conn, ids: &[uuid::Uuid]) -> Result<Vec<Claim>, Error> {
    claims::table
        .filter(claims::id.eq_any(ids.iter().map(uuid::Uuid::to_string)))
        .select(ClaimRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Claim::try_from)
        .collect()
}

/// One page, newest first; fetches one row more than asked to know whether a next page exists.
pub fn list(conn: &mut Conn, filter: &ClaimFilter) -> Result<Page<Claim>, Error> {
    let mut query = claims::table.select(ClaimRow::as_select()).filter(claims::merged_into.is_null()).into_boxed();
    if let Some(after) = filter.after {
        let at = after.created_at.naive_utc();
        let id = after.id.to_string();
        query = if filter.oldest_first {
            query.filter(claims::created_at.gt(at).or(claims::created_at.eq(at).and(claims::id.gt(id))))
        } else {
            query.filter(claims::created_at.lt(at).or(claims::created_at.eq(at).and(claims::id.lt(id))))
        };
    }
    if let Some(status) = filter.status {
        query = query.filter(claims::status.eq(status.as_str()));
    }
    if let Some(language) = &filter.language {
        // RFC 4647 basic filtering: "fr" matches "fr" and "fr-CA". The tag was checked by the
        // domain, so it holds only letters, digits and hyphens: no LIKE wildcard.
        query = query.filter(claims::language.eq(language.clone()).or(claims::language.like(format!("{language}-%"))));
    }
    if let Some(claimant) = filter.claimant_id {
        query = query.filter(claims::claimant_id.eq(claimant.to_string()));
    }
    if let Some(tag) = &filter.tag {
        query = query.filter(
            claims::id.eq_any(claim_tags::table.filter(claim_tags::tag.eq(tag.clone())).select(claim_tags::claim_id)),
        );
    }
    if let Some(from) = filter.created_from {
        query = query.filter(claims::created_at.ge(from.naive_utc()));
    }
    if let Some(to) = filter.created_to {
        query = query.filter(claims::created_at.le(to.naive_utc()));
    }
    if let Some(from) = filter.claimed_from {
        query = query.filter(claims::claimed_end.gt(from.naive_utc()));
    }
    if let Some(until) = filter.claimed_until {
        query = query.filter(claims::claimed_start.lt(until.naive_utc()));
    }
    query = if filter.oldest_first {
        query.order((claims::created_at.asc(), claims::id.asc()))
    } else {
        query.order((claims::created_at.desc(), claims::id.desc()))
    };
    let rows: Vec<ClaimRow> = query.limit(i64::from(filter.limit) + 1).load(conn)?;
    let claims = rows.into_iter().map(Claim::try_from).collect::<Result<Vec<_>, _>>()?;
    let cursor = |c: &Claim| ClaimCursor { created_at: c.created_at, id: c.id };
    Ok(if filter.oldest_first {
        Page::from_rows(claims, filter.limit, |c| OldestFirst(cursor(c)))
    } else {
        Page::from_rows(claims, filter.limit, cursor)
    })
}

/// Claims with one of the filter's verdicts, changed at or after `updated_since`, oldest change
/// first (index `claims_updated_idx`); merged claims are left out (their canonical claim is in).
pub fn reviewed(conn: &mut Conn, filter: &ReviewFilter) -> Result<Page<Claim>, Error> {
    let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
    let mut query = claims::table
        .select(ClaimRow::as_select())
        .filter(claims::merged_into.is_null())
        .filter(claims::status.eq_any(statuses))
        .into_boxed();
    if let Some(after) = filter.after {
        let at = after.updated_at.naive_utc();
        let id = after.id.to_string();
        query = query.filter(claims::updated_at.gt(at).or(claims::updated_at.eq(at).and(claims::id.gt(id))));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(claims::updated_at.ge(since.naive_utc()));
    }
    let rows: Vec<ClaimRow> =
        query.order((claims::updated_at.asc(), claims::id.asc())).limit(i64::from(filter.limit) + 1).load(conn)?;
    let claims = rows.into_iter().map(Claim::try_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(claims, filter.limit, |c| ReviewCursor { updated_at: c.updated_at, id: c.id }))
}

/// Up to `limit` claims after `after` in id order, merged ones or the others (an export's
/// pages).
pub fn page_after(conn: &mut Conn, after: Option<uuid::Uuid>, merged: bool, limit: i64) -> Result<Vec<Claim>, Error> {
    let mut query = claims::table.select(ClaimRow::as_select()).into_boxed();
    query = if merged {
        query.filter(claims::merged_into.is_not_null())
    } else {
        query.filter(claims::merged_into.is_null())
    };
    if let Some(after) = after {
        query = query.filter(claims::id.gt(after.to_string()));
    }
    let rows: Vec<ClaimRow> = query.order(claims::id.asc()).limit(limit).load(conn)?;
    rows.into_iter().map(Claim::try_from).collect()
}

/// Of the claims `ids`, those whose status is one of `statuses` and that carry one of `tags`
/// (an empty list: any).
pub fn matching(
    conn: &mut Conn,
    ids: &[String],
    statuses: &[ClaimStatus],
    tags: &[String],
) -> Result<std::collections::HashSet<String>, Error> {
    let mut query = claims::table.filter(claims::id.eq_any(ids)).select(claims::id).into_boxed();
    if !statuses.is_empty() {
        query = query.filter(claims::status.eq_any(statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
    }
    if !tags.is_empty() {
        let tagged = claim_tags::table.filter(claim_tags::tag.eq_any(tags.to_vec())).select(claim_tags::claim_id);
        query = query.filter(claims::id.eq_any(tagged));
    }
    Ok(query.load::<String>(conn)?.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::{
        domain::{ClaimInput, ListParams},
        storage::Database,
    };

    async fn database() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let config = crate::storage::DatabaseConfig {
            url,
            pool_size: 4,
            connect_timeout: std::time::Duration::ZERO,
            busy_timeout: crate::storage::DatabaseConfig::DEFAULT_BUSY_TIMEOUT,
        };
        let db = Database::open(&config).await.expect("database opens");
        (dir, db)
    }

    fn claim(text: &str, now: chrono::DateTime<Utc>) -> Claim {
        ClaimInput {
            text: text.into(),
            language: "fr".into(),
            tags: vec!["a".into(), "b".into()],
            ..ClaimInput::default()
        }
        .into_new_claim(now)
        .expect("valid")
        .0
    }

    async fn list_page(db: &Database, params: ListParams) -> Page<Claim> {
        let filter = params.into_filter().expect("valid");
        db.run(move |conn| list(conn, &filter)).await.expect("listed")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stored_claim_reads_back_equal() {
        let (_dir, db) = database().await;
        let stored = claim("x", Utc::now());
        let expected = stored.clone();
        db.run(move |conn| crate::storage::write(conn, |conn| insert(conn, &stored))).await.expect("inserted");
        let read = db.run(move |conn| get(conn, expected.id)).await.expect("read");
        assert_eq!(read, expected);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pages_break_ties_on_created_at_by_id() {
        let (_dir, db) = database().await;
        let now = Utc::now();
        let mut ids = Vec::new();
        for i in 0..5 {
            let c = claim(&format!("c{i}"), now);
            ids.push(c.id);
            db.run(move |conn| crate::storage::write(conn, |conn| insert(conn, &c))).await.expect("inserted");
        }
        ids.sort();
        ids.reverse();
        let mut seen = Vec::new();
        let mut token = None;
        loop {
            let params = ListParams { page_size: Some(2), page_token: token.take(), ..ListParams::default() };
            let page = list_page(&db, params).await;
            seen.extend(page.items.iter().map(|c| c.id));
            match page.next_page_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, ids);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_all_land() {
        let (_dir, db) = database().await;
        let writers: Vec<_> = (0..40)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    let c = claim(&format!("c{i}"), Utc::now());
                    db.run(move |conn| crate::storage::write(conn, |conn| insert(conn, &c))).await
                })
            })
            .collect();
        for writer in writers {
            writer.await.expect("task").expect("every write is acknowledged");
        }
        let page = list_page(&db, ListParams { page_size: Some(100), ..ListParams::default() }).await;
        assert_eq!(page.items.len(), 40);
        let tagged = ListParams { page_size: Some(100), tag: Some("b".into()), ..ListParams::default() };
        let page = list_page(&db, tagged).await;
        assert_eq!(page.items.len(), 40, "every tag row landed with its claim");
    }
}
