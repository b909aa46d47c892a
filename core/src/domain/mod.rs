//! The domain: plain types and rules, with no knowledge of gRPC or SQL.

pub mod attribution;
pub mod auth;
pub mod claim;
pub mod claimreview;
mod error;
pub mod history;
pub mod language;
pub mod listing;
pub mod names;
pub mod paging;
mod partial_date;
pub mod review_import;
pub mod source;
pub mod sourcing;
pub mod text;
mod view;
pub mod webhook;

use chrono::{DateTime, Datelike, SubsecRound, Utc};

pub use attribution::{Attribution, AttributionFields, Stance, ValidAttribution};
pub use auth::{Access, Principal, Role, Token, TokenInput};
pub use claim::{Claim, ClaimInput, ClaimPatch, ClaimStatus, Claimant, NewClaim};
pub use error::{Error, FieldViolation, Violations};
pub use history::{Change, ClaimSnapshot, Event, FieldChange};
pub use listing::{
    AttributionCursor, ClaimCursor, ClaimFilter, HistoryCursor, ListParams, OldestFirst, ReviewCursor,
    ReviewFeedParams, ReviewFilter, SourceCursor, SourceFilter, SourceListParams, StatementCursor,
};
pub use paging::Page;
pub use partial_date::PartialDate;
pub use source::{Grade, Reliability, Source, SourceFields, SourceKind};
pub use sourcing::{SourceRef, Sourcing, SourcingLevel, SourcingRules, Statement};
pub use view::{ClaimView, Precondition};
pub use webhook::{AllowedHosts, Delivery, DeliveryState, Webhook, WebhookInput};

/// PostgreSQL keeps microseconds and SQLite whatever it is given: store microseconds so that
/// values read back equal what was written on both.
pub fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// A text field refuses NUL: PostgreSQL cannot store it in TEXT, and no human text holds it.
/// Checked by every text rule of the domain, so both backends answer the same 400.
pub fn no_nul(s: &str) -> Result<&str, String> {
    if s.contains('\0') { Err("must not contain a NUL character (U+0000)".to_owned()) } else { Ok(s) }
}

/// Text a reader can see: something besides whitespace, invisible format characters
/// (zero-width, bidi controls) and lone combining marks; and no control characters other than
/// line breaks and tabs (a bell or an escape sequence is no part of a claim).
pub fn visible_text(s: &str) -> Result<&str, String> {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    if s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err("must not contain control characters (other than line breaks and tabs)".to_owned());
    }
    let seen = s.chars().any(|c| {
        !c.is_whitespace()
            && !matches!(
                c.general_category(),
                GeneralCategory::Format | GeneralCategory::NonspacingMark | GeneralCategory::EnclosingMark
            )
    });
    if seen { Ok(s) } else { Err("is required and must not be blank".to_owned()) }
}

/// The instants claimdesk stores: years 1 to 9999, which both backends keep and order alike
/// (SQLite compares timestamps as text, PostgreSQL refuses years it cannot represent).
pub fn supported_instant(t: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if (1..=9999).contains(&t.year()) { Ok(t) } else { Err(format!("{t} is outside years 0001 to 9999")) }
}

/// The longest part of a client's value an error message quotes back.
pub const SHOWN_CHARS: usize = 64;

/// A client's value as an error message quotes it: Debug-quoted, cut to [`SHOWN_CHARS`]
/// characters, so that no answer grows with the input (a 100 KB id once overflowed the
/// gateway's header limit through the gRPC status details).
pub fn shown(raw: &str) -> String {
    let mut chars = raw.chars();
    let head: String = chars.by_ref().take(SHOWN_CHARS).collect();
    if chars.next().is_some() {
        format!("{head:?}… ({} characters)", raw.chars().count())
    } else {
        format!("{head:?}")
    }
}

/// A name from an enum's name table (derived with strum), or why it is not one.
fn named<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("unknown {what} {}", shown(s)))
}

/// Parses an id from a request; ids are UUIDs (v7 for the ones core assigns).
pub fn parse_id(field: &str, raw: &str) -> Result<uuid::Uuid, Error> {
    uuid::Uuid::try_parse(raw).map_err(|_| Error::invalid(field, format!("{} is not a UUID", shown(raw))))
}

#[cfg(test)]
mod tests {
    #[test]
    fn blank_means_nothing_a_reader_can_see() {
        for blank in ["\u{200b}\u{202e}", "\u{301}\u{301}", "\u{feff} \u{2060}", "\n\t"] {
            assert!(super::visible_text(blank).is_err(), "{blank:?}");
        }
        for bad in ["ring\u{7}", "esc\u{1b}[31m", "c1\u{85}"] {
            assert!(super::visible_text(bad).expect_err("refused").contains("control"), "{bad:?}");
        }
        for fine in ["Maduro a demandé l'aide", "ligne 1\nligne 2\ttab", "e\u{301}", "\u{200f}مرحبا"] {
            assert!(super::visible_text(fine).is_ok(), "{fine:?}");
        }
    }
}
