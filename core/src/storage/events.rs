//! The history log: one row per change, never updated or deleted by any API.
//!
//! A change is stored as a [`ChangeRecord`], a type of its own that storage owns: the domain's
//! types may be renamed or reshaped, the records already written stay readable. Format 1 is
//! the JSON below; a later format adds variants or optional fields, never renames one.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    Conn,
    schema::claim_events,
    search::{Bind, Sql},
};
use crate::domain::{Attribution, Change, ClaimSnapshot, ClaimStatus, Error, Event, FieldChange, Stance};

/// Records an event. On SQLite it takes its feed position at once, after the highest: writers
/// take turns (`BEGIN IMMEDIATE`), so that is commit order. On PostgreSQL its position is given
/// after commit by [`sequence`] (migration 2026-11-29-000010_change_feed).
pub fn append(conn: &mut Conn, event: &Event) -> Result<(), Error> {
    let change =
        serde_json::to_string(&ChangeRecord::from(&event.change)).map_err(|e| Error::Internal(e.to_string()))?;
    if let Conn::Sqlite(_) = conn {
        let mut sql = Sql::new(
            "INSERT INTO claim_events (claim_id, version, actor, at, change, written, feed_position) \
             SELECT ?, ?, ?, ?, ?, p, p FROM (SELECT COALESCE(MAX(feed_position), 0) + 1 AS p FROM claim_events)",
        );
        sql.bind(Bind::Text(event.claim_id.to_string()))
            .bind(Bind::Big(event.version))
            .bind(Bind::Text(event.actor.clone()))
            .bind(Bind::Time(event.at.naive_utc()))
            .bind(Bind::Text(change));
        sql.execute(conn)?;
        return Ok(());
    }
    diesel::insert_into(claim_events::table)
        .values((
            claim_events::claim_id.eq(event.claim_id.to_string()),
            claim_events::version.eq(event.version),
            claim_events::actor.eq(&event.actor),
            claim_events::at.eq(event.at.naive_utc()),
            claim_events::change.eq(change),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records many events in multi-row inserts (a bulk import), in the given order; SQLite numbers
/// them after the highest position at once, as [`append`] does one by one.
pub fn append_many(conn: &mut Conn, list: &[Event]) -> Result<(), Error> {
    let mut rows = Vec::with_capacity(list.len());
    for event in list {
        let change =
            serde_json::to_string(&ChangeRecord::from(&event.change)).map_err(|e| Error::Internal(e.to_string()))?;
        rows.push(vec![
            Bind::Text(event.claim_id.to_string()),
            Bind::Big(event.version),
            Bind::Text(event.actor.clone()),
            Bind::Time(event.at.naive_utc()),
            Bind::Text(change),
        ]);
    }
    match conn {
        Conn::Sqlite(_) => {
            let mut next = head(conn)?;
            for chunk in rows.chunks(1000) {
                let mut sql = Sql::new(
                    "INSERT INTO claim_events (claim_id, version, actor, at, change, written, feed_position) VALUES ",
                );
                sql.rows(chunk.iter().map(|row| {
                    next += 1;
                    let mut row = row.clone();
                    row.push(Bind::Big(next));
                    row.push(Bind::Big(next));
                    row
                }));
                sql.execute(conn)?;
            }
        }
        Conn::Pg(_) => {
            for chunk in rows.chunks(1000) {
                let mut sql = Sql::new("INSERT INTO claim_events (claim_id, version, actor, at, change) VALUES ");
                sql.rows(chunk.to_vec());
                sql.execute(conn)?;
            }
        }
    }
    Ok(())
}

/// The advisory lock key of the sequencer ("cdfeed" in ASCII).
const SEQUENCER_LOCK: i64 = 0x6364_6665_6564;

/// PostgreSQL: gives feed positions to committed events that have none, at most `limit`, in the
/// order they were written, after the highest position given. One sequencer at a time: a
/// caller that finds the lock taken (another core instance sequencing) does nothing. An event
/// still uncommitted is not seen; it is numbered when it commits, after what was numbered
/// meanwhile, so positions follow commit order and a reader never finds a position appear
/// below one it has read. Two changes of one claim commit one after the other (the claim's
/// row is locked), so they keep their order. Returns how many were numbered. SQLite numbers
/// its events as they are written: nothing to do.
pub fn sequence(conn: &mut Conn, limit: i64) -> Result<usize, Error> {
    if let Conn::Sqlite(_) = conn {
        return Ok(0);
    }
    super::write(conn, |conn| {
        #[derive(QueryableByName)]
        struct Locked {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            locked: bool,
        }
        let mut lock = Sql::new("SELECT pg_try_advisory_xact_lock(?) AS locked");
        lock.bind(Bind::Big(SEQUENCER_LOCK));
        if !lock.load::<Locked>(conn)?.first().is_some_and(|l| l.locked) {
            return Ok(0);
        }
        let mut number = Sql::new(
            "UPDATE claim_events e SET feed_position = b.base + n.rn \
             FROM (SELECT claim_id, version, ROW_NUMBER() OVER (ORDER BY written) AS rn \
                   FROM (SELECT claim_id, version, written FROM claim_events \
                         WHERE feed_position IS NULL ORDER BY written LIMIT ?) w) n, \
                  (SELECT COALESCE(MAX(feed_position), 0) AS base FROM claim_events) b \
             WHERE e.claim_id = n.claim_id AND e.version = n.version",
        );
        number.bind(Bind::Big(limit));
        number.execute(conn)
    })
}

/// The highest feed position given (0: none yet).
pub fn head(conn: &mut Conn) -> Result<i64, Error> {
    let head: Option<i64> = claim_events::table.select(diesel::dsl::max(claim_events::feed_position)).first(conn)?;
    Ok(head.unwrap_or(0))
}

/// Events at feed positions above `after`, in feed order, at most `limit`, with their positions.
pub fn feed(conn: &mut Conn, after: i64, limit: i64) -> Result<Vec<(i64, Event)>, Error> {
    let rows: Vec<(Option<i64>, String, i64, String, NaiveDateTime, String)> = claim_events::table
        .filter(claim_events::feed_position.gt(after))
        .order(claim_events::feed_position.asc())
        .limit(limit)
        .select((
            claim_events::feed_position,
            claim_events::claim_id,
            claim_events::version,
            claim_events::actor,
            claim_events::at,
            claim_events::change,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(position, claim_id, version, actor, at, change)| {
            let id = Uuid::try_parse(&claim_id)
                .map_err(|e| Error::Internal(format!("claim {claim_id} event {version}: {e}")))?;
            Ok((position.unwrap_or(after), decode(id, version, actor, at, &change)?))
        })
        .collect()
}

/// Events of a claim with versions above `after`, oldest first, at most `limit`.
pub fn list(conn: &mut Conn, claim_id: Uuid, after: i64, limit: u32) -> Result<Vec<Event>, Error> {
    let rows: Vec<(i64, String, NaiveDateTime, String)> = claim_events::table
        .filter(claim_events::claim_id.eq(claim_id.to_string()))
        .filter(claim_events::version.gt(after))
        .order(claim_events::version.asc())
        .limit(i64::from(limit))
        .select((claim_events::version, claim_events::actor, claim_events::at, claim_events::change))
        .load(conn)?;
    rows.into_iter().map(|(version, actor, at, change)| decode(claim_id, version, actor, at, &change)).collect()
}

/// When each of these claims last changed status, in one query: the date of its current
/// verdict (the last status change gave the status the claim has). Records are written with
/// their `kind` first (serde's internally tagged enum), which the prefix match relies on.
pub fn status_changed_at(conn: &mut Conn, claim_ids: &[Uuid]) -> Result<HashMap<Uuid, DateTime<Utc>>, Error> {
    if claim_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, Option<NaiveDateTime>)> = claim_events::table
        .filter(claim_events::claim_id.eq_any(claim_ids.iter().map(Uuid::to_string)))
        .filter(claim_events::change.like(STATUS_CHANGED_PREFIX))
        .group_by(claim_events::claim_id)
        .select((claim_events::claim_id, diesel::dsl::max(claim_events::at)))
        .load(conn)?;
    rows.into_iter()
        .filter_map(|(id, at)| at.map(|at| (id, at)))
        .map(|(id, at)| {
            let id = Uuid::try_parse(&id).map_err(|e| Error::Internal(format!("claim {id}: {e}")))?;
            Ok((id, at.and_utc()))
        })
        .collect()
}

/// How a status change's record begins.
const STATUS_CHANGED_PREFIX: &str = r#"{"kind":"status_changed"%"#;

/// The events of several claims, each claim's oldest first, in one query.
pub fn for_claims(conn: &mut Conn, claim_ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Event>>, Error> {
    if claim_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, i64, String, NaiveDateTime, String)> = claim_events::table
        .filter(claim_events::claim_id.eq_any(claim_ids.iter().map(Uuid::to_string)))
        .order((claim_events::claim_id.asc(), claim_events::version.asc()))
        .select((
            claim_events::claim_id,
            claim_events::version,
            claim_events::actor,
            claim_events::at,
            claim_events::change,
        ))
        .load(conn)?;
    let mut out: HashMap<Uuid, Vec<Event>> = HashMap::new();
    for (claim_id, version, actor, at, change) in rows {
        let id = Uuid::try_parse(&claim_id).map_err(|e| Error::Internal(format!("claim {claim_id}: {e}")))?;
        out.entry(id).or_default().push(decode(id, version, actor, at, &change)?);
    }
    Ok(out)
}

/// A change as its stored record (format 1): what an export writes.
pub fn change_json(change: &Change) -> Result<serde_json::Value, Error> {
    serde_json::to_value(ChangeRecord::from(change)).map_err(|e| Error::Internal(e.to_string()))
}

/// A change from its stored record, as an export wrote it; why not when it is none.
pub fn change_from_json(value: &serde_json::Value) -> Result<Change, String> {
    let record: ChangeRecord = ChangeRecord::deserialize(value).map_err(|e| e.to_string())?;
    record.try_into()
}

/// A stored event as the domain's, its change read from its record.
fn decode(claim_id: Uuid, version: i64, actor: String, at: NaiveDateTime, change: &str) -> Result<Event, Error> {
    let corrupt = |e: String| Error::Internal(format!("claim {claim_id} event {version}: {e}"));
    let record: ChangeRecord = serde_json::from_str(change).map_err(|e| corrupt(e.to_string()))?;
    Ok(Event { claim_id, version, actor, at: at.and_utc(), change: record.try_into().map_err(corrupt)? })
}

/// A stored change, format 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum ChangeRecord {
    Created { claim: ClaimRecord },
    Edited { changes: Vec<FieldChangeRecord> },
    AttributionAdded { attribution: AttributionRecord },
    AttributionEdited { before: Box<AttributionRecord>, after: Box<AttributionRecord> },
    AttributionRemoved { attribution: AttributionRecord },
    StatusChanged { from: String, to: String, note: Option<String> },
    Merged { duplicate_id: String, moved: Vec<AttributionRecord> },
    MergedInto { canonical_id: String, moved: Vec<String>, dropped: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ClaimRecord {
    text: String,
    language: String,
    context: Option<String>,
    claimant_id: Option<String>,
    claimed_at: Option<String>,
    tags: Vec<String>,
    status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FieldChangeRecord {
    field: String,
    before: serde_json::Value,
    after: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct AttributionRecord {
    id: String,
    claim_id: String,
    speaker_id: String,
    stance: String,
    relay_ids: Vec<String>,
    quote: Option<String>,
    url: Option<String>,
    published_at: Option<String>,
    recorded_by: String,
    recorded_at: DateTime<Utc>,
}

impl From<&Change> for ChangeRecord {
    fn from(change: &Change) -> Self {
        match change {
            Change::Created { claim } => ChangeRecord::Created { claim: claim.into() },
            Change::Edited { changes } => ChangeRecord::Edited {
                changes: changes
                    .iter()
                    .map(|c| FieldChangeRecord {
                        field: c.field.clone(),
                        before: c.before.clone(),
                        after: c.after.clone(),
                    })
                    .collect(),
            },
            Change::AttributionAdded { attribution } => {
                ChangeRecord::AttributionAdded { attribution: attribution.into() }
            }
            Change::AttributionEdited { before, after } => {
                ChangeRecord::AttributionEdited { before: Box::new(before.into()), after: Box::new(after.into()) }
            }
            Change::AttributionRemoved { attribution } => {
                ChangeRecord::AttributionRemoved { attribution: attribution.into() }
            }
            Change::StatusChanged { from, to, note } => ChangeRecord::StatusChanged {
                from: from.as_str().to_owned(),
                to: to.as_str().to_owned(),
                note: note.clone(),
            },
            Change::Merged { duplicate_id, moved } => ChangeRecord::Merged {
                duplicate_id: duplicate_id.to_string(),
                moved: moved.iter().map(Into::into).collect(),
            },
            Change::MergedInto { canonical_id, moved, dropped } => ChangeRecord::MergedInto {
                canonical_id: canonical_id.to_string(),
                moved: moved.iter().map(Uuid::to_string).collect(),
                dropped: dropped.iter().map(Uuid::to_string).collect(),
            },
        }
    }
}

impl From<&ClaimSnapshot> for ClaimRecord {
    fn from(c: &ClaimSnapshot) -> Self {
        ClaimRecord {
            text: c.text.clone(),
            language: c.language.clone(),
            context: c.context.clone(),
            claimant_id: c.claimant_id.map(|id| id.to_string()),
            claimed_at: c.claimed_at.map(|d| d.to_string()),
            tags: c.tags.clone(),
            status: c.status.as_str().to_owned(),
        }
    }
}

impl From<&Attribution> for AttributionRecord {
    fn from(a: &Attribution) -> Self {
        AttributionRecord {
            id: a.id.to_string(),
            claim_id: a.claim_id.to_string(),
            speaker_id: a.speaker_id.to_string(),
            stance: a.stance.as_str().to_owned(),
            relay_ids: a.relay_ids.iter().map(Uuid::to_string).collect(),
            quote: a.quote.clone(),
            url: a.url.clone(),
            published_at: a.published_at.map(|d| d.to_string()),
            recorded_by: a.recorded_by.clone(),
            recorded_at: a.recorded_at,
        }
    }
}

fn uuid(raw: &str) -> Result<Uuid, String> {
    Uuid::try_parse(raw).map_err(|e| format!("stored id {raw:?}: {e}"))
}

fn status(raw: &str) -> Result<ClaimStatus, String> {
    ClaimStatus::parse(raw)
}

impl TryFrom<ChangeRecord> for Change {
    type Error = String;

    fn try_from(record: ChangeRecord) -> Result<Self, String> {
        Ok(match record {
            ChangeRecord::Created { claim } => Change::Created { claim: claim.try_into()? },
            ChangeRecord::Edited { changes } => Change::Edited {
                changes: changes
                    .into_iter()
                    .map(|c| FieldChange { field: c.field, before: c.before, after: c.after })
                    .collect(),
            },
            ChangeRecord::AttributionAdded { attribution } => {
                Change::AttributionAdded { attribution: attribution.try_into()? }
            }
            ChangeRecord::AttributionEdited { before, after } => {
                Change::AttributionEdited { before: (*before).try_into()?, after: (*after).try_into()? }
            }
            ChangeRecord::AttributionRemoved { attribution } => {
                Change::AttributionRemoved { attribution: attribution.try_into()? }
            }
            ChangeRecord::StatusChanged { from, to, note } => {
                Change::StatusChanged { from: status(&from)?, to: status(&to)?, note }
            }
            ChangeRecord::Merged { duplicate_id, moved } => Change::Merged {
                duplicate_id: uuid(&duplicate_id)?,
                moved: moved.into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?,
            },
            ChangeRecord::MergedInto { canonical_id, moved, dropped } => Change::MergedInto {
                canonical_id: uuid(&canonical_id)?,
                moved: moved.iter().map(|id| uuid(id)).collect::<Result<_, _>>()?,
                dropped: dropped.iter().map(|id| uuid(id)).collect::<Result<_, _>>()?,
            },
        })
    }
}

impl TryFrom<ClaimRecord> for ClaimSnapshot {
    type Error = String;

    fn try_from(c: ClaimRecord) -> Result<Self, String> {
        Ok(ClaimSnapshot {
            claimant_id: c.claimant_id.as_deref().map(uuid).transpose()?,
            claimed_at: c.claimed_at.as_deref().map(str::parse).transpose()?,
            status: status(&c.status)?,
            text: c.text,
            language: c.language,
            context: c.context,
            tags: c.tags,
        })
    }
}

impl TryFrom<AttributionRecord> for Attribution {
    type Error = String;

    fn try_from(a: AttributionRecord) -> Result<Self, String> {
        Ok(Attribution {
            id: uuid(&a.id)?,
            claim_id: uuid(&a.claim_id)?,
            speaker_id: uuid(&a.speaker_id)?,
            stance: Stance::parse(&a.stance)?,
            relay_ids: a.relay_ids.iter().map(|r| uuid(r)).collect::<Result<_, _>>()?,
            published_at: a.published_at.as_deref().map(str::parse).transpose()?,
            quote: a.quote,
            url: a.url,
            recorded_by: a.recorded_by,
            recorded_at: a.recorded_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows as the first release wrote them (the serde form of the domain types then), one per
    /// kind of change: they must read back, whatever the domain types have become since.
    const FORMAT_1: [&str; 6] = [
        r#"{"kind":"created","claim":{"text":"Maduro a demandé l'aide de la Russie","language":"fr","context":null,"claimant_id":"019ac9a4-5d3d-7f00-8000-1a2b3c4d5e6f","claimed_at":"2025-10","tags":["venezuela","russie"],"status":"unverified"}}"#,
        r#"{"kind":"edited","changes":[{"field":"tags","before":["venezuela"],"after":["venezuela","russie"]},{"field":"context","before":null,"after":"Selon le Washington Post"}]}"#,
        r#"{"kind":"attribution_added","attribution":{"id":"019ac9a4-5d3e-7c1a-9b2f-3f1c2d4e5a6b","claim_id":"019ac9a4-5d3e-7c1a-9b2f-3f1c2d4e5a00","speaker_id":"019ac9a4-5d3d-7f00-8000-1a2b3c4d5e6f","stance":"context","relay_ids":["019ac9a4-5d3d-7f00-8000-1a2b3c4d5e70"],"quote":"Nous sommes en contact","url":"https://tass.ru/","published_at":"2025-10-26","recorded_by":"desk (editor)","recorded_at":"2026-11-28T17:56:31.123456Z"}}"#,
        r#"{"kind":"attribution_edited","before":{"id":"019ac9a4-5d3e-7c1a-9b2f-3f1c2d4e5a6b","claim_id":"019ac9a4-5d3e-7c1a-9b2f-3f1c2d4e5a00","speaker_id":"019ac9a4-5d3d-7f00-8000-1a2b3c4d5e6f","stance":"denies","relay_ids":[],"quote":null,"url":null,"published_at":null,"recorded_by":"desk (editor)","recorded_at":"2026-11-28T17:56:31.123456Z"},"after":{"id":"019ac9a4-5d3e-7c1a-9b2f-3f1c2d4e5a6b","claim_id":"019ac9a4-5d3e-7c1a-9b2f-3f1c2d4e5a00","speaker_id":"019ac9a4-5d3d-7f00-8000-1a2b3c4d5e6f","stance":"context","relay_ids":[],"quote":null,"url":null,"published_at":"2025-10","recorded_by":"desk (editor)","recorded_at":"2026-11-28T17:56:31.123456Z"}}"#,
        r#"{"kind":"attribution_removed","attribution":{"id":"019ac9a4-5d3e-7c1a-9b2f-3f1c2d4e5a6b","claim_id":"019ac9a4-5d3e-7c1a-9b2f-3f1c2d4e5a00","speaker_id":"019ac9a4-5d3d-7f00-8000-1a2b3c4d5e6f","stance":"asserts","relay_ids":[],"quote":null,"url":null,"published_at":"2025-10-24T08:00:00Z","recorded_by":"bot (reporter)","recorded_at":"2026-11-28T17:56:31Z"}}"#,
        r#"{"kind":"status_changed","from":"in_review","to":"partly_confirmed","note":"Peskov confirms contacts, not the request"}"#,
    ];

    #[test]
    fn events_written_by_the_first_format_read_back() {
        let changes: Vec<Change> = FORMAT_1
            .iter()
            .map(|raw| {
                let record: ChangeRecord = serde_json::from_str(raw).expect("a format 1 record");
                Change::try_from(record).expect("a valid change")
            })
            .collect();
        let Change::Created { claim } = &changes[0] else { panic!("created first") };
        assert_eq!(
            (claim.status, claim.claimed_at.map(|d| d.to_string())),
            (ClaimStatus::Unverified, Some("2025-10".into()))
        );
        let Change::AttributionAdded { attribution } = &changes[2] else { panic!("attribution added") };
        assert_eq!((attribution.stance, attribution.relay_ids.len()), (Stance::Context, 1));
        assert_eq!(attribution.recorded_at.to_rfc3339(), "2026-11-28T17:56:31.123456+00:00");
        assert!(matches!(
            &changes[5],
            Change::StatusChanged { from: ClaimStatus::InReview, to: ClaimStatus::PartlyConfirmed, note: Some(_) }
        ));
        // And what is written today is format 1 still: the same JSON, byte for byte.
        for (raw, change) in FORMAT_1.iter().zip(&changes) {
            let written = serde_json::to_string(&ChangeRecord::from(change)).expect("json");
            assert_eq!(written, *raw);
        }
    }

    #[test]
    fn the_status_change_prefix_matches_status_changes_only() {
        let prefix = STATUS_CHANGED_PREFIX.trim_end_matches('%');
        let matching: Vec<bool> = FORMAT_1.iter().map(|raw| raw.starts_with(prefix)).collect();
        assert_eq!(matching, [false, false, false, false, false, true]);
    }
}
