//! Use cases: the rules of the domain applied against storage, each in one transaction.
//! Transports call these and nothing else.

mod auth;
mod claims;
mod sources;

pub use auth::Auth;
pub use claims::{AttributionChange, Claims};
pub use sources::Sources;

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
