//! Use cases: the rules of the domain applied against storage, each in one transaction.
//! Transports call these and nothing else.

mod auth;
pub mod bulk;
mod claims;
pub mod feed;
mod sources;
pub mod webhooks;

pub use auth::Auth;
pub use claims::{
    AttributionChange, Claims, DEFAULT_LINK_THRESHOLD, DUPLICATE_THRESHOLD, ImportConfig, ImportOutcome, ImportReport,
    ImportedItem, Match, SearchHit, SearchParams, Snippet,
};
pub use feed::Feed;
pub use sources::Sources;
pub use webhooks::{Deliverer, RenderEvent, WebhookConfig, Webhooks};

use crate::domain::Error;

/// Who is acting. Until authentication lands every caller is `anonymous`; the transport, never
/// the request body, decides.
pub type Actor = String;

/// Every change names the version it was made against.
fn check_version(current: i64, expected: i64) -> Result<(), Error> {
    if expected < 1 {
        return Err(Error::invalid("expected_version", "is required: the version you last read (the ETag over REST)"));
    }
    if current != expected {
        return Err(Error::VersionMismatch { expected: format!("version {expected}"), current, current_etag: None });
    }
    Ok(())
}

/// A creation's idempotency key, scoped to its caller and operation, and the digest of its
/// request (`storage::idempotency`).
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_hash: String,
}

/// What a creation's transaction did: create `T`, or find that a reused key created the
/// resource with this id.
enum Created<T> {
    New(T),
    Replayed(String),
}

/// In a creation's transaction, first: checks the key's earlier use and records this one.
/// `Ok(Some(id))`: the same request created `id` before, answer it; `Ok(None)`: go on.
fn claim_key(
    conn: &mut crate::storage::Conn,
    key: Option<&IdempotencyKey>,
    resource_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<String>, crate::domain::Error> {
    use crate::storage::idempotency::{self, Used};
    let Some(key) = key else { return Ok(None) };
    match idempotency::find(conn, &key.key, now)? {
        Some(used) if used.request_hash == key.request_hash => Ok(Some(used.resource_id)),
        Some(_) => Err(crate::domain::Error::Precondition {
            code: "idempotency_key_reused",
            subject: "Idempotency-Key".into(),
            description: "this key was used with another request in the last 24 hours; use a new key".into(),
        }),
        None => {
            let used = Used { request_hash: key.request_hash.clone(), resource_id: resource_id.to_owned() };
            idempotency::insert(conn, &key.key, &used, now)?;
            Ok(None)
        }
    }
}
