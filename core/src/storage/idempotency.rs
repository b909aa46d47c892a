//! Idempotency keys of creations (`Idempotency-Key` over REST, `request_id` over gRPC).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::{Conn, schema::idempotency_keys};
use crate::domain::Error;

/// How long a key is remembered.
pub const KEPT: chrono::Duration = chrono::Duration::hours(24);

/// What a key was first used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Used {
    pub request_hash: String,
    pub resource_id: String,
}

/// The key's first use, unless it is older than [`KEPT`].
pub fn find(conn: &mut Conn, key: &str, now: DateTime<Utc>) -> Result<Option<Used>, Error> {
    let row = idempotency_keys::table
        .filter(idempotency_keys::key.eq(key))
        .filter(idempotency_keys::created_at.ge((now - KEPT).naive_utc()))
        .select((idempotency_keys::request_hash, idempotency_keys::resource_id))
        .first::<(String, String)>(conn)
        .optional()?;
    Ok(row.map(|(request_hash, resource_id)| Used { request_hash, resource_id }))
}

/// Records the key's first use, forgetting expired keys first. Another request holding the key
/// (in flight, on PostgreSQL its insert waits for ours) fails with `idempotency_key_in_use`.
pub fn insert(conn: &mut Conn, key: &str, used: &Used, now: DateTime<Utc>) -> Result<(), Error> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt((now - KEPT).naive_utc())))
        .execute(conn)?;
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(&used.request_hash),
            idempotency_keys::resource_id.eq(&used.resource_id),
            idempotency_keys::created_at.eq(now.naive_utc()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            Err(Error::Precondition {
                code: "idempotency_key_in_use",
                subject: "Idempotency-Key".into(),
                description: "another request with this key is in flight; retry it once that one has finished".into(),
            })
        }
        Err(e) => Err(e.into()),
    }
}
