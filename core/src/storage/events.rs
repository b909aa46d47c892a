//! The history log: one row per change, never updated or deleted by any API.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use super::{Conn, schema::claim_events};
use crate::domain::{Error, Event};

pub fn append(conn: &mut Conn, event: &Event) -> Result<(), Error> {
    let change = serde_json::to_string(&event.change).map_err(|e| Error::Internal(e.to_string()))?;
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

/// Events of a claim with versions above `after`, oldest first, at most `limit`.
pub fn list(conn: &mut Conn, claim_id: Uuid, after: i64, limit: u32) -> Result<Vec<Event>, Error> {
    let rows: Vec<(i64, String, NaiveDateTime, String)> = claim_events::table
        .filter(claim_events::claim_id.eq(claim_id.to_string()))
        .filter(claim_events::version.gt(after))
        .order(claim_events::version.asc())
        .limit(i64::from(limit))
        .select((claim_events::version, claim_events::actor, claim_events::at, claim_events::change))
        .load(conn)?;
    rows.into_iter()
        .map(|(version, actor, at, change)| {
            Ok(Event {
                claim_id,
                version,
                actor,
                at: at.and_utc(),
                change: serde_json::from_str(&change)
                    .map_err(|e| Error::Internal(format!("claim {claim_id} event {version}: {e}")))?,
            })
        })
        .collect()
}
