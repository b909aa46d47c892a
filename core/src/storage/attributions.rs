//! Attribution rows, and the statements the sourcing status is computed from.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use super::{
    Conn,
    schema::{attributions, sources},
};
use crate::domain::{Attribution, AttributionCursor, ClaimStatus, Error, SourceKind, SourceRef, Stance, Statement};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = attributions)]
#[diesel(treat_none_as_null = true)]
struct AttributionRow {
    id: String,
    claim_id: String,
    speaker_id: String,
    stance: String,
    relay_ids: String,
    quote: Option<String>,
    url: Option<String>,
    published_at: Option<String>,
    recorded_by: String,
    recorded_at: NaiveDateTime,
}

impl From<&Attribution> for AttributionRow {
    fn from(a: &Attribution) -> Self {
        AttributionRow {
            id: a.id.to_string(),
            claim_id: a.claim_id.to_string(),
            speaker_id: a.speaker_id.to_string(),
            stance: a.stance.as_str().to_owned(),
            relay_ids: serde_json::Value::from(a.relay_ids.iter().map(Uuid::to_string).collect::<Vec<_>>()).to_string(),
            quote: a.quote.clone(),
            url: a.url.clone(),
            published_at: a.published_at.map(|d| d.to_string()),
            recorded_by: a.recorded_by.clone(),
            recorded_at: a.recorded_at.naive_utc(),
        }
    }
}

fn uuid(raw: &str) -> Result<Uuid, Error> {
    Uuid::try_parse(raw).map_err(|e| Error::Internal(format!("stored id {raw:?} is invalid: {e}")))
}

impl TryFrom<AttributionRow> for Attribution {
    type Error = Error;

    fn try_from(row: AttributionRow) -> Result<Self, Error> {
        let corrupt = |what: &str, detail: String| {
            Error::Internal(format!("attribution {}: stored {what} is invalid: {detail}", row.id))
        };
        let relay_ids: Vec<String> =
            serde_json::from_str(&row.relay_ids).map_err(|e| corrupt("relay_ids", e.to_string()))?;
        Ok(Attribution {
            id: uuid(&row.id)?,
            claim_id: uuid(&row.claim_id)?,
            speaker_id: uuid(&row.speaker_id)?,
            stance: Stance::parse(&row.stance).map_err(|e| corrupt("stance", e))?,
            relay_ids: relay_ids.iter().map(|r| uuid(r)).collect::<Result<_, _>>()?,
            published_at: row
                .published_at
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|e| corrupt("published_at", e))?,
            quote: row.quote,
            url: row.url,
            recorded_by: row.recorded_by,
            recorded_at: row.recorded_at.and_utc(),
        })
    }
}

pub fn insert(conn: &mut Conn, attribution: &Attribution) -> Result<(), Error> {
    diesel::insert_into(attributions::table).values(AttributionRow::from(attribution)).execute(conn)?;
    Ok(())
}

pub fn replace(conn: &mut Conn, attribution: &Attribution) -> Result<(), Error> {
    diesel::update(attributions::table.find(attribution.id.to_string()))
        .set(AttributionRow::from(attribution))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut Conn, id: Uuid) -> Result<(), Error> {
    diesel::delete(attributions::table.find(id.to_string())).execute(conn)?;
    Ok(())
}

/// One attribution of one claim.
pub fn get(conn: &mut Conn, claim_id: Uuid, id: Uuid) -> Result<Attribution, Error> {
    attributions::table
        .find(id.to_string())
        .filter(attributions::claim_id.eq(claim_id.to_string()))
        .select(AttributionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound { resource: "attribution", id: id.to_string() })?
        .try_into()
}

/// The statements `speaker` made, newest first, at most `limit` after `after`, each with its
/// claim's text and status (two queries, whatever the page's size).
pub fn by_speaker(
    conn: &mut Conn,
    speaker: Uuid,
    after: Option<AttributionCursor>,
    limit: u32,
) -> Result<Vec<(Attribution, String, ClaimStatus)>, Error> {
    let mut query = attributions::table
        .filter(attributions::speaker_id.eq(speaker.to_string()))
        .select(AttributionRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        let at = after.recorded_at.naive_utc();
        query = query.filter(
            attributions::recorded_at
                .lt(at)
                .or(attributions::recorded_at.eq(at).and(attributions::id.lt(after.id.to_string()))),
        );
    }
    let rows: Vec<Attribution> = query
        .order((attributions::recorded_at.desc(), attributions::id.desc()))
        .limit(i64::from(limit))
        .load(conn)?
        .into_iter()
        .map(Attribution::try_from)
        .collect::<Result<_, _>>()?;
    let ids: Vec<String> = rows.iter().map(|a| a.claim_id.to_string()).collect();
    let claims: HashMap<String, (String, String)> = crate::storage::schema::claims::table
        .filter(crate::storage::schema::claims::id.eq_any(&ids))
        .select((
            crate::storage::schema::claims::id,
            crate::storage::schema::claims::text,
            crate::storage::schema::claims::status,
        ))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, text, status)| (id, (text, status)))
        .collect();
    rows.into_iter()
        .map(|a| {
            let (text, status) = claims
                .get(&a.claim_id.to_string())
                .ok_or_else(|| Error::Internal(format!("attribution {}: names no stored claim", a.id)))?;
            let status = ClaimStatus::parse(status).map_err(Error::Internal)?;
            Ok((a, text.clone(), status))
        })
        .collect()
}

/// A claim's attributions in the order they were recorded, at most `limit` after `after`.
pub fn for_claim(
    conn: &mut Conn,
    claim_id: Uuid,
    after: Option<AttributionCursor>,
    limit: u32,
) -> Result<Vec<Attribution>, Error> {
    let mut query = attributions::table
        .filter(attributions::claim_id.eq(claim_id.to_string()))
        .select(AttributionRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        let at = after.recorded_at.naive_utc();
        query = query.filter(
            attributions::recorded_at
                .gt(at)
                .or(attributions::recorded_at.eq(at).and(attributions::id.gt(after.id.to_string()))),
        );
    }
    query
        .order((attributions::recorded_at.asc(), attributions::id.asc()))
        .limit(i64::from(limit))
        .load(conn)?
        .into_iter()
        .map(Attribution::try_from)
        .collect()
}

/// Every attribution of a claim, in recorded order (a claim holds at most 500).
pub fn all_for_claim(conn: &mut Conn, claim_id: Uuid) -> Result<Vec<Attribution>, Error> {
    for_claim(conn, claim_id, None, super::super::domain::attribution::MAX_PER_CLAIM as u32)
}

/// Every attribution of several claims, each claim's in recorded order, in one query.
pub fn all_for_claims(conn: &mut Conn, claim_ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Attribution>>, Error> {
    if claim_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<AttributionRow> = attributions::table
        .filter(attributions::claim_id.eq_any(claim_ids.iter().map(Uuid::to_string)))
        .order((attributions::recorded_at.asc(), attributions::id.asc()))
        .select(AttributionRow::as_select())
        .load(conn)?;
    let mut out: HashMap<Uuid, Vec<Attribution>> = HashMap::new();
    for row in rows {
        let attribution = Attribution::try_from(row)?;
        out.entry(attribution.claim_id).or_default().push(attribution);
    }
    Ok(out)
}

/// Stores new attributions in multi-row inserts (a bulk import); call inside a write
/// transaction.
pub fn insert_many(conn: &mut Conn, list: &[Attribution]) -> Result<(), Error> {
    use super::search::{Bind, Sql};
    for chunk in list.chunks(1000) {
        let mut sql = Sql::new(
            "INSERT INTO attributions (id, claim_id, speaker_id, stance, relay_ids, quote, url, published_at, \
             recorded_by, recorded_at) VALUES ",
        );
        sql.rows(chunk.iter().map(|a| {
            let row = AttributionRow::from(a);
            vec![
                Bind::Text(row.id),
                Bind::Text(row.claim_id),
                Bind::Text(row.speaker_id),
                Bind::Text(row.stance),
                Bind::Text(row.relay_ids),
                Bind::OptText(row.quote),
                Bind::OptText(row.url),
                Bind::OptText(row.published_at),
                Bind::Text(row.recorded_by),
                Bind::Time(row.recorded_at),
            ]
        }));
        sql.execute(conn)?;
    }
    Ok(())
}

/// Which of these sources are stored, in one query a thousand.
pub fn existing_sources(conn: &mut Conn, ids: &[Uuid]) -> Result<std::collections::HashSet<Uuid>, Error> {
    let mut found = std::collections::HashSet::new();
    for chunk in ids.chunks(1000) {
        let rows: Vec<String> = sources::table
            .filter(sources::id.eq_any(chunk.iter().map(Uuid::to_string)))
            .select(sources::id)
            .load(conn)?;
        for id in rows {
            found.insert(uuid(&id)?);
        }
    }
    Ok(found)
}

/// Moves an attribution to another claim (a merge).
pub fn move_to(conn: &mut Conn, id: Uuid, claim_id: Uuid) -> Result<(), Error> {
    diesel::update(attributions::table.find(id.to_string()))
        .set(attributions::claim_id.eq(claim_id.to_string()))
        .execute(conn)?;
    Ok(())
}

pub fn count_for_claim(conn: &mut Conn, claim_id: Uuid) -> Result<usize, Error> {
    let n: i64 =
        attributions::table.filter(attributions::claim_id.eq(claim_id.to_string())).count().get_result(conn)?;
    Ok(n as usize)
}

/// The statements of several claims, speakers resolved, each claim's in recorded order, in one
/// query.
pub fn statements(conn: &mut Conn, claim_ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Statement>>, Error> {
    if claim_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String, Option<String>, String, String, String)> = attributions::table
        .inner_join(sources::table)
        .filter(attributions::claim_id.eq_any(claim_ids.iter().map(Uuid::to_string)))
        // Recorded order: the sourcing explanation names sources in this order, so the same
        // data reads byte-identical every time, on both backends.
        .order((attributions::recorded_at.asc(), attributions::id.asc()))
        .select((
            attributions::claim_id,
            attributions::stance,
            attributions::published_at,
            sources::id,
            sources::name,
            sources::kind,
        ))
        .load(conn)?;
    let mut out: HashMap<Uuid, Vec<Statement>> = HashMap::new();
    for (claim_id, stance, published_at, speaker_id, name, kind) in rows {
        let statement = Statement {
            speaker: SourceRef {
                id: uuid(&speaker_id)?,
                name,
                kind: SourceKind::parse(&kind).map_err(Error::Internal)?,
            },
            stance: Stance::parse(&stance).map_err(Error::Internal)?,
            published_at: published_at.as_deref().map(str::parse).transpose().map_err(Error::Internal)?,
        };
        out.entry(uuid(&claim_id)?).or_default().push(statement);
    }
    Ok(out)
}

/// The ids among `ids` that name no source.
pub fn missing_sources(conn: &mut Conn, ids: &[Uuid]) -> Result<Vec<Uuid>, Error> {
    let found: Vec<String> =
        sources::table.filter(sources::id.eq_any(ids.iter().map(Uuid::to_string))).select(sources::id).load(conn)?;
    Ok(ids.iter().copied().filter(|id| !found.contains(&id.to_string())).collect())
}
