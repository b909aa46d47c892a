//! Source rows and their names: insert, read, list and search, update.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::{prelude::*, sql_types::Bool};
use uuid::Uuid;

use super::{
    Conn,
    schema::{change_counters, source_names, source_terms, sources},
    search::{Bind, Sql},
};
use crate::domain::{
    Error, Grade, Page, Reliability, Source, SourceCursor, SourceFilter, SourceKind, SourceRef, names, text,
};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sources)]
#[diesel(treat_none_as_null = true)]
struct SourceRow {
    id: String,
    name: String,
    name_key: String,
    kind: String,
    descriptor: Option<String>,
    homepage: Option<String>,
    aliases: String,
    reliability_grade: Option<String>,
    reliability_rationale: Option<String>,
    notes: Option<String>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<&Source> for SourceRow {
    fn from(s: &Source) -> Self {
        SourceRow {
            id: s.id.to_string(),
            name: s.name.clone(),
            name_key: names::key(&s.name),
            kind: s.kind.as_str().to_owned(),
            descriptor: s.descriptor.clone(),
            homepage: s.homepage.clone(),
            aliases: serde_json::Value::from(s.aliases.clone()).to_string(),
            reliability_grade: s.reliability.as_ref().map(|r| r.grade.as_str().to_owned()),
            reliability_rationale: s.reliability.as_ref().and_then(|r| r.rationale.clone()),
            notes: s.notes.clone(),
            version: s.version,
            created_at: s.created_at.naive_utc(),
            updated_at: s.updated_at.naive_utc(),
        }
    }
}

impl TryFrom<SourceRow> for Source {
    type Error = Error;

    fn try_from(row: SourceRow) -> Result<Self, Error> {
        let corrupt = |what: &str, detail: String| {
            Error::Internal(format!("source {}: stored {what} is invalid: {detail}", row.id))
        };
        let reliability = match row.reliability_grade.as_deref() {
            None => None,
            Some(g) => Some(Reliability {
                grade: Grade::parse(g).map_err(|e| corrupt("grade", e))?,
                rationale: row.reliability_rationale,
            }),
        };
        Ok(Source {
            id: Uuid::try_parse(&row.id).map_err(|e| corrupt("id", e.to_string()))?,
            kind: SourceKind::parse(&row.kind).map_err(|e| corrupt("kind", e))?,
            aliases: serde_json::from_str(&row.aliases).map_err(|e| corrupt("aliases", e.to_string()))?,
            name: row.name,
            descriptor: row.descriptor,
            homepage: row.homepage,
            reliability,
            notes: row.notes,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// Refuses names or aliases that another source already has.
fn check_names_free(conn: &mut Conn, source: &Source) -> Result<(), Error> {
    let wanted = source.name_keys();
    let keys: Vec<&String> = wanted.iter().map(|(k, _)| k).collect();
    let taken: Vec<(String, String, String)> = source_names::table
        .filter(source_names::key.eq_any(keys))
        .filter(source_names::source_id.ne(source.id.to_string()))
        .select((source_names::key, source_names::source_id, source_names::name))
        .load(conn)?;
    match taken.into_iter().next() {
        None => Ok(()),
        Some((key, existing_id, existing_name)) => {
            let asked = wanted.iter().find(|(k, _)| *k == key).map_or(key.as_str(), |(_, n)| n.as_str());
            Err(Error::AlreadyExists {
                resource: "source",
                message: format!("{asked:?} is already known as {existing_name:?}, source {existing_id}"),
                existing_id,
            })
        }
    }
}

fn write_names(conn: &mut Conn, source: &Source) -> Result<(), Error> {
    let id = source.id.to_string();
    diesel::delete(source_names::table.filter(source_names::source_id.eq(&id))).execute(conn)?;
    // One statement per name (at most 51), inside the caller's transaction: diesel has no
    // batch insert that runs on both backends.
    for (key, name) in source.name_keys() {
        diesel::insert_into(source_names::table)
            .values((source_names::key.eq(key), source_names::source_id.eq(&id), source_names::name.eq(name)))
            .execute(conn)?;
    }
    write_terms(conn, source)
}

/// Replaces the terms `source` is searched by (its names' and aliases').
fn write_terms(conn: &mut Conn, source: &Source) -> Result<(), Error> {
    let id = source.id.to_string();
    diesel::delete(source_terms::table.filter(source_terms::source_id.eq(&id))).execute(conn)?;
    let terms =
        text::name_terms(std::iter::once(source.name.as_str()).chain(source.aliases.iter().map(String::as_str)));
    for chunk in terms.chunks(300) {
        let mut sql = Sql::new("INSERT INTO source_terms (term, source_id) VALUES ");
        sql.rows(chunk.iter().map(|t| vec![Bind::Text(t.clone()), Bind::Text(id.clone())]));
        // Two cores indexing the same source at start-up write the same rows.
        sql.push(" ON CONFLICT DO NOTHING");
        sql.execute(conn)?;
    }
    Ok(())
}

/// Indexes for search the sources stored before source search existed: at most `limit` of
/// those after `after` in id order. Answers the last id looked at (`None`: no more) and how
/// many were indexed. Each source is locked first (on PostgreSQL a no-op update takes its row
/// lock), so that a rename committed by another core meanwhile is read, not overwritten with
/// the old name's terms.
pub fn index_backlog(conn: &mut Conn, after: Option<&str>, limit: i64) -> Result<(Option<String>, usize), Error> {
    let mut unindexed = sources::table
        .filter(diesel::dsl::not(diesel::dsl::exists(
            source_terms::table.filter(source_terms::source_id.eq(sources::id)),
        )))
        .select(sources::id)
        .order(sources::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        unindexed = unindexed.filter(sources::id.gt(after.to_owned()));
    }
    let ids: Vec<String> = unindexed.load(conn)?;
    for id in &ids {
        diesel::update(sources::table.find(id)).set(sources::version.eq(sources::version)).execute(conn)?;
        let uuid = Uuid::try_parse(id).map_err(|e| Error::Internal(format!("source id {id}: {e}")))?;
        let source = get(conn, uuid)?;
        write_terms(conn, &source)?;
    }
    Ok((ids.last().cloned(), ids.len()))
}

/// Stores a new source; call inside a write transaction.
pub fn insert(conn: &mut Conn, source: &Source) -> Result<(), Error> {
    check_names_free(conn, source)?;
    diesel::insert_into(sources::table).values(SourceRow::from(source)).execute(conn)?;
    write_names(conn, source).map_err(taken_meanwhile)
}

/// A name key taken between `check_names_free` and the insert: another transaction stored the
/// same name at the same moment (PostgreSQL; SQLite has one writer). The whole transaction runs
/// again ([`super::Database::write`]), and then finds that source: a claimant named twice at
/// once resolves to the winner's source, a source created twice at once answers
/// `already_exists` with its id.
fn taken_meanwhile(err: Error) -> Error {
    match err {
        Error::Precondition { code: "conflict", .. } => {
            Error::Busy("another transaction stored the same source name at the same moment".into())
        }
        other => other,
    }
}

pub fn get(conn: &mut Conn, id: Uuid) -> Result<Source, Error> {
    sources::table
        .find(id.to_string())
        .select(SourceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound { resource: "source", id: id.to_string() })?
        .try_into()
}

/// The given sources in full, in one query.
pub fn get_many(conn: &mut Conn, ids: &[Uuid]) -> Result<HashMap<Uuid, Source>, Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<SourceRow> = sources::table
        .filter(sources::id.eq_any(ids.iter().map(Uuid::to_string)))
        .select(SourceRow::as_select())
        .load(conn)?;
    rows.into_iter().map(|row| Source::try_from(row).map(|s| (s.id, s))).collect()
}

/// Up to `limit` sources after `after` in id order (an export's pages).
pub fn page_after(conn: &mut Conn, after: Option<Uuid>, limit: i64) -> Result<Vec<Source>, Error> {
    let mut query = sources::table.select(SourceRow::as_select()).into_boxed();
    if let Some(after) = after {
        query = query.filter(sources::id.gt(after.to_string()));
    }
    query.order(sources::id.asc()).limit(limit).load(conn)?.into_iter().map(Source::try_from).collect()
}

/// The source known under this name or alias, if any.
pub fn find_by_name(conn: &mut Conn, name: &str) -> Result<Option<Uuid>, Error> {
    let id: Option<String> =
        source_names::table.find(names::key(name)).select(source_names::source_id).first(conn).optional()?;
    id.map(|id| Uuid::try_parse(&id).map_err(|e| Error::Internal(e.to_string()))).transpose()
}

/// Writes an updated source (version already bumped by the caller) if `expected_version` is
/// still current; call inside a write transaction.
pub fn update(conn: &mut Conn, source: &Source, expected_version: i64) -> Result<(), Error> {
    check_names_free(conn, source)?;
    let updated =
        diesel::update(sources::table.find(source.id.to_string()).filter(sources::version.eq(expected_version)))
            .set(SourceRow::from(source))
            .execute(conn)?;
    if updated != 1 {
        return Err(stale(conn, source.id, expected_version));
    }
    // What claims naming this source show may have changed: their cached views are stale.
    bump_revision(conn)?;
    write_names(conn, source).map_err(taken_meanwhile)
}

/// The `change_counters` row bumped by every source edit.
pub const REVISION: &str = "sources";

/// The sources revision: how many source edits were ever committed.
pub fn revision(conn: &mut Conn) -> Result<i64, Error> {
    Ok(change_counters::table.find(REVISION).select(change_counters::value).first(conn)?)
}

fn bump_revision(conn: &mut Conn) -> Result<(), Error> {
    diesel::update(change_counters::table.find(REVISION))
        .set(change_counters::value.eq(change_counters::value + 1))
        .execute(conn)?;
    Ok(())
}

fn stale(conn: &mut Conn, id: Uuid, expected: i64) -> Error {
    match sources::table.find(id.to_string()).select(sources::version).first::<i64>(conn).optional() {
        Ok(Some(current)) => {
            Error::VersionMismatch { expected: format!("version {expected}"), current, current_etag: None }
        }
        Ok(None) => Error::NotFound { resource: "source", id: id.to_string() },
        Err(e) => e.into(),
    }
}

/// Names and kinds of the given sources, in one query.
pub fn refs(conn: &mut Conn, ids: &[Uuid]) -> Result<HashMap<Uuid, SourceRef>, Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String, String)> = sources::table
        .filter(sources::id.eq_any(ids.iter().map(Uuid::to_string)))
        .select((sources::id, sources::name, sources::kind))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, name, kind)| {
            let id = Uuid::try_parse(&id).map_err(|e| Error::Internal(e.to_string()))?;
            let kind = SourceKind::parse(&kind).map_err(Error::Internal)?;
            Ok((id, SourceRef { id, name, kind }))
        })
        .collect()
}

pub fn list(conn: &mut Conn, filter: &SourceFilter) -> Result<Page<Source>, Error> {
    let mut query = sources::table.select(SourceRow::as_select()).into_boxed();
    if let Some(after) = &filter.after {
        let id = after.id.to_string();
        query = query.filter(
            sources::name_key.gt(after.key.clone()).or(sources::name_key.eq(after.key.clone()).and(sources::id.gt(id))),
        );
    }
    if let Some(kind) = filter.kind {
        query = query.filter(sources::kind.eq(kind.as_str()));
    }
    if let Some(ids) = &filter.ids {
        query = query.filter(sources::id.eq_any(ids.iter().map(uuid::Uuid::to_string).collect::<Vec<_>>()));
    }
    for word in filter.query.iter().flatten() {
        type Backend = <Conn as Connection>::Backend;
        let mut matches: Box<dyn BoxableExpression<sources::table, Backend, SqlType = Bool>> = Box::new(
            sources::id.eq_any(
                source_terms::table
                    .filter(source_terms::term.eq_any(word.terms.clone()))
                    .select(source_terms::source_id),
            ),
        );
        for prefix in &word.prefixes {
            let begun = source_terms::term.ge(prefix.clone()).and(source_terms::term.lt(format!("{prefix}\u{10FFFF}")));
            matches = Box::new(
                matches.or(sources::id.eq_any(source_terms::table.filter(begun).select(source_terms::source_id))),
            );
        }
        query = query.filter(matches);
    }
    let rows: Vec<SourceRow> =
        query.order((sources::name_key.asc(), sources::id.asc())).limit(i64::from(filter.limit) + 1).load(conn)?;
    let keyed = rows
        .into_iter()
        .map(|row| {
            let key = row.name_key.clone();
            Source::try_from(row).map(|source| (key, source))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(keyed, filter.limit, |(key, source)| SourceCursor { key: key.clone(), id: source.id })
        .map(|(_, source)| source))
}
