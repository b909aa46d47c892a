//! The domain: plain types and rules, with no knowledge of gRPC or SQL.

pub mod claim;
mod error;
pub mod language;
pub mod listing;
mod partial_date;

use chrono::{DateTime, SubsecRound, Utc};

pub use claim::{Claim, ClaimInput, ClaimStatus};
pub use error::{Error, FieldViolation, Violations};
pub use listing::{ClaimFilter, Cursor, ListParams};
pub use partial_date::PartialDate;

/// PostgreSQL keeps microseconds and SQLite whatever it is given: store microseconds so that
/// values read back equal what was written on both.
pub fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// A page of results and the cursor to the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}
