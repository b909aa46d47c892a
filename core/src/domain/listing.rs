//! Listing claims and sources: what a client may ask, checked into filters for storage, and
//! the keyset cursors of each list (encoded by [`super::paging`]).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    ClaimStatus, Error, PartialDate, SourceKind, Violations,
    claim::normalize_tag,
    language,
    paging::{self, Cursor, DEFAULT_PAGE_SIZE, page_size},
    text,
};

/// List parameters as a client sends them.
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub page_size: Option<i32>,
    pub page_token: Option<String>,
    pub status: Option<ClaimStatus>,
    pub language: Option<String>,
    pub claimant_id: Option<String>,
    pub tag: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub claimed_from: Option<String>,
    pub claimed_to: Option<String>,
    /// Oldest first instead of newest first.
    pub oldest_first: bool,
}

/// Checked list parameters, ready for storage.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimFilter {
    pub limit: u32,
    pub after: Option<ClaimCursor>,
    pub status: Option<ClaimStatus>,
    pub language: Option<String>,
    pub claimant_id: Option<Uuid>,
    pub tag: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// A claim matches when its claimed period ends after this instant...
    pub claimed_from: Option<DateTime<Utc>>,
    /// ...and starts before this one (exclusive end of `claimed_to`'s period).
    pub claimed_until: Option<DateTime<Utc>>,
    /// Oldest first; `after` is then a position in that order.
    pub oldest_first: bool,
}

impl ListParams {
    pub fn into_filter(self) -> Result<ClaimFilter, Error> {
        let mut v = Violations::default();
        let limit = v.check("page_size", page_size(self.page_size));
        let token = self.page_token.as_deref();
        let after = v.check(
            "page_token",
            if self.oldest_first {
                paging::decode_token::<OldestFirst>(token).map(|c| c.map(|OldestFirst(c)| c))
            } else {
                paging::decode_token::<ClaimCursor>(token)
            },
        );
        let language = v.check("language", self.language.as_deref().map(language::normalize).transpose());
        let claimant_id = v.check(
            "claimant_id",
            self.claimant_id
                .as_deref()
                .map(|id| Uuid::try_parse(id).map_err(|_| format!("{} is not a UUID", super::shown(id))))
                .transpose(),
        );
        let tag = v.check("tag", self.tag.as_deref().map(normalize_tag).transpose());
        let claimed_from =
            v.check("claimed_from", self.claimed_from.as_deref().map(|s| s.parse::<PartialDate>()).transpose());
        let claimed_to =
            v.check("claimed_to", self.claimed_to.as_deref().map(|s| s.parse::<PartialDate>()).transpose());
        v.check("created_from", self.created_from.map(super::supported_instant).transpose());
        v.check("created_to", self.created_to.map(super::supported_instant).transpose());
        if let (Some(from), Some(to)) = (self.created_from, self.created_to)
            && from > to
        {
            v.push("created_to", "must not be before created_from");
        }
        if let (Some(Some(from)), Some(Some(to))) = (claimed_from, claimed_to)
            && from.start() >= to.end()
        {
            v.push("claimed_to", "must not be before claimed_from");
        }
        v.into_result()?;
        Ok(ClaimFilter {
            limit: limit.unwrap_or(DEFAULT_PAGE_SIZE),
            after: after.flatten(),
            status: self.status,
            language: language.flatten(),
            claimant_id: claimant_id.flatten(),
            tag: tag.flatten(),
            created_from: self.created_from,
            created_to: self.created_to,
            claimed_from: claimed_from.flatten().map(|d| d.start()),
            claimed_until: claimed_to.flatten().map(|d| d.end()),
            oldest_first: self.oldest_first,
        })
    }
}

/// Position after the last claim of a page, in the (created_at, id) descending order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimCursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor for ClaimCursor {
    const KIND: &'static str = "c1";
    const FIELDS: usize = 2;

    fn fields(&self) -> Vec<String> {
        vec![self.created_at.timestamp_micros().to_string(), self.id.simple().to_string()]
    }

    fn from_fields(fields: &[&str]) -> Option<Self> {
        let created_at = DateTime::<Utc>::from_timestamp_micros(fields[0].parse().ok()?)?;
        Some(ClaimCursor { created_at, id: Uuid::try_parse(fields[1]).ok()? })
    }
}

/// Position after the last claim of a page listed oldest first, in the (created_at, id)
/// ascending order: a token of its own kind, so a token of one order is refused by the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OldestFirst(pub ClaimCursor);

impl Cursor for OldestFirst {
    const KIND: &'static str = "c1a";
    const FIELDS: usize = 2;

    fn fields(&self) -> Vec<String> {
        self.0.fields()
    }

    fn from_fields(fields: &[&str]) -> Option<Self> {
        ClaimCursor::from_fields(fields).map(OldestFirst)
    }
}

/// Position after the last claim of a ClaimReview feed page, in the (updated_at, id) ascending
/// order: a client that keeps the last token reads on from where it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewCursor {
    pub updated_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor for ReviewCursor {
    const KIND: &'static str = "r1";
    const FIELDS: usize = 2;

    fn fields(&self) -> Vec<String> {
        vec![self.updated_at.timestamp_micros().to_string(), self.id.simple().to_string()]
    }

    fn from_fields(fields: &[&str]) -> Option<Self> {
        let updated_at = DateTime::<Utc>::from_timestamp_micros(fields[0].parse().ok()?)?;
        Some(ReviewCursor { updated_at, id: Uuid::try_parse(fields[1]).ok()? })
    }
}

/// The ClaimReview feed's parameters as a client sends them.
#[derive(Debug, Clone, Default)]
pub struct ReviewFeedParams {
    pub page_size: Option<i32>,
    pub page_token: Option<String>,
    /// Only this verdict; any verdict when absent.
    pub status: Option<ClaimStatus>,
    /// Only claims changed at or after this instant.
    pub updated_since: Option<DateTime<Utc>>,
}

/// Checked feed parameters: the verdicts to include (never `unverified` or `in_review`, which
/// have no review to publish), oldest change first.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewFilter {
    pub limit: u32,
    pub after: Option<ReviewCursor>,
    pub statuses: Vec<ClaimStatus>,
    pub updated_since: Option<DateTime<Utc>>,
}

impl ReviewFeedParams {
    pub fn into_filter(self) -> Result<ReviewFilter, Error> {
        use strum::IntoEnumIterator;
        let mut v = Violations::default();
        let limit = v.check("page_size", page_size(self.page_size));
        let after = v.check("page_token", paging::decode_token::<ReviewCursor>(self.page_token.as_deref()));
        v.check("updated_since", self.updated_since.map(super::supported_instant).transpose());
        if let Some(status) = self.status.filter(|s| !s.is_verdict()) {
            v.push(
                "status",
                format!(
                    "{status} is no verdict: the feed holds confirmed, partly_confirmed, unverifiable, disputed and \
                     false claims"
                ),
            );
        }
        v.into_result()?;
        let statuses = match self.status {
            Some(status) => vec![status],
            None => ClaimStatus::iter().filter(|s| s.is_verdict()).collect(),
        };
        Ok(ReviewFilter {
            limit: limit.unwrap_or(DEFAULT_PAGE_SIZE),
            after: after.flatten(),
            statuses,
            updated_since: self.updated_since,
        })
    }
}

/// The longest source search query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// Source list parameters as a client sends them.
#[derive(Debug, Clone, Default)]
pub struct SourceListParams {
    pub page_size: Option<i32>,
    pub page_token: Option<String>,
    pub query: Option<String>,
    pub kind: Option<SourceKind>,
    /// Only these sources (at most [`MAX_SOURCE_IDS`]).
    pub ids: Vec<String>,
}

/// The most ids one source list may name.
pub const MAX_SOURCE_IDS: usize = 100;

/// Checked source list parameters, ready for storage.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFilter {
    pub limit: u32,
    pub after: Option<SourceCursor>,
    /// Words every match has among its names' and aliases' terms.
    pub query: Option<Vec<text::NameQueryWord>>,
    pub kind: Option<SourceKind>,
    /// Only these sources; `None`: any.
    pub ids: Option<Vec<uuid::Uuid>>,
}

impl SourceListParams {
    pub fn into_filter(self) -> Result<SourceFilter, Error> {
        let mut v = Violations::default();
        let limit = v.check("page_size", page_size(self.page_size));
        let after = v.check("page_token", paging::decode_token::<SourceCursor>(self.page_token.as_deref()));
        let query = v.check(
            "query",
            self.query
                .map(|q| {
                    let chars = q.chars().count();
                    if chars > MAX_QUERY_CHARS {
                        return Err(format!("must be at most {MAX_QUERY_CHARS} characters, got {chars}"));
                    }
                    let words = text::name_query(&q);
                    if words.is_empty() { Err("must contain a letter or a digit".to_owned()) } else { Ok(words) }
                })
                .transpose(),
        );
        let ids = v.check("ids", source_ids(&self.ids));
        v.into_result()?;
        Ok(SourceFilter {
            limit: limit.unwrap_or(DEFAULT_PAGE_SIZE),
            after: after.flatten(),
            query: query.flatten(),
            kind: self.kind,
            ids: ids.flatten(),
        })
    }
}

/// The ids a source list is narrowed to: none given, no narrowing.
fn source_ids(ids: &[String]) -> Result<Option<Vec<uuid::Uuid>>, String> {
    if ids.is_empty() {
        return Ok(None);
    }
    if ids.len() > MAX_SOURCE_IDS {
        return Err(format!("at most {MAX_SOURCE_IDS} ids, got {}", ids.len()));
    }
    let parsed = ids
        .iter()
        .map(|id| uuid::Uuid::try_parse(id).map_err(|_| format!("{} is not a UUID", super::shown(id))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(parsed))
}

/// Position after the last source of a page, in (name_key, id) order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCursor {
    pub key: String,
    pub id: Uuid,
}

impl Cursor for SourceCursor {
    const KIND: &'static str = "s1";
    const FIELDS: usize = 2;

    fn fields(&self) -> Vec<String> {
        vec![self.id.simple().to_string(), self.key.clone()]
    }

    fn from_fields(fields: &[&str]) -> Option<Self> {
        Some(SourceCursor { id: Uuid::try_parse(fields[0]).ok()?, key: fields[1].to_owned() })
    }
}

/// Position after the last attribution of a page, in recorded order (`recorded_at`, `id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributionCursor {
    pub recorded_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor for AttributionCursor {
    const KIND: &'static str = "a1";
    const FIELDS: usize = 2;

    fn fields(&self) -> Vec<String> {
        vec![self.recorded_at.timestamp_micros().to_string(), self.id.simple().to_string()]
    }

    fn from_fields(fields: &[&str]) -> Option<Self> {
        let recorded_at = DateTime::<Utc>::from_timestamp_micros(fields[0].parse().ok()?)?;
        Some(AttributionCursor { recorded_at, id: Uuid::try_parse(fields[1]).ok()? })
    }
}

/// Position after the last statement of a source's page, newest first (`recorded_at`, `id`
/// descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementCursor(pub AttributionCursor);

impl Cursor for StatementCursor {
    const KIND: &'static str = "st1";
    const FIELDS: usize = 2;

    fn fields(&self) -> Vec<String> {
        self.0.fields()
    }

    fn from_fields(fields: &[&str]) -> Option<Self> {
        AttributionCursor::from_fields(fields).map(StatementCursor)
    }
}

/// Position after the last event of a history page: its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryCursor(pub i64);

impl Cursor for HistoryCursor {
    const KIND: &'static str = "h1";
    const FIELDS: usize = 1;

    fn fields(&self) -> Vec<String> {
        vec![self.0.to_string()]
    }

    fn from_fields(fields: &[&str]) -> Option<Self> {
        fields[0].parse().ok().filter(|v| *v >= 1).map(HistoryCursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    #[test]
    fn cursors_round_trip() {
        let cursor = ClaimCursor { created_at: crate::domain::truncate_micros(Utc::now()), id: Uuid::now_v7() };
        assert_eq!(paging::decode(&paging::encode(&cursor)), Ok(cursor));
        let source = SourceCursor { key: "washington post".into(), id: Uuid::now_v7() };
        assert_eq!(paging::decode(&paging::encode(&source)), Ok(source));
        assert_eq!(paging::decode(&paging::encode(&HistoryCursor(7))), Ok(HistoryCursor(7)));
    }

    #[test]
    fn tokens_issued_before_the_shared_codec_still_decode() {
        let id = Uuid::now_v7();
        let claim = URL_SAFE_NO_PAD.encode(format!("c1:1700000000000000:{}", id.simple()));
        assert_eq!(paging::decode::<ClaimCursor>(&claim).map(|c| c.id), Ok(id));
        let source = URL_SAFE_NO_PAD.encode(format!("s1:{}:tass", id.simple()));
        assert_eq!(paging::decode::<SourceCursor>(&source).map(|c| c.key), Ok("tass".to_owned()));
        assert_eq!(paging::decode::<HistoryCursor>(&URL_SAFE_NO_PAD.encode("h1:3")), Ok(HistoryCursor(3)));
    }

    #[test]
    fn garbage_tokens_are_refused() {
        for token in [
            "garbage",
            "!!!",
            "YzE6MTIzOm5vdC1hLXV1aWQ",
            &URL_SAFE_NO_PAD.encode("c2:1:00000000000000000000000000000000"),
            &URL_SAFE_NO_PAD.encode("h1:0"),
        ] {
            assert!(paging::decode::<ClaimCursor>(token).is_err(), "{token} accepted");
        }
        assert!(paging::decode::<HistoryCursor>(&URL_SAFE_NO_PAD.encode("h1:0")).is_err());
        let claim_token = paging::encode(&ClaimCursor { created_at: Utc::now(), id: Uuid::now_v7() });
        assert!(paging::decode::<SourceCursor>(&claim_token).is_err(), "a claims token is no sources token");
    }

    #[test]
    fn page_size_bounds() {
        let size = |n| ListParams { page_size: n, ..ListParams::default() }.into_filter().map(|f| f.limit);
        assert_eq!(size(None).ok(), Some(DEFAULT_PAGE_SIZE));
        assert_eq!(size(Some(1)).ok(), Some(1));
        assert_eq!(size(Some(100)).ok(), Some(100));
        assert!(size(Some(0)).is_err());
        assert!(size(Some(101)).is_err());
        assert!(size(Some(10_000)).is_err());
        assert!(size(Some(-1)).is_err());
    }

    #[test]
    fn claimed_range_covers_whole_periods() {
        let filter = ListParams {
            claimed_from: Some("2025-05".into()),
            claimed_to: Some("2025".into()),
            ..ListParams::default()
        }
        .into_filter()
        .expect("valid");
        assert_eq!(filter.claimed_from.map(|t| t.to_rfc3339()).as_deref(), Some("2025-05-01T00:00:00+00:00"));
        assert_eq!(filter.claimed_until.map(|t| t.to_rfc3339()).as_deref(), Some("2026-01-01T00:00:00+00:00"));
    }

    #[test]
    fn inverted_ranges_are_refused() {
        let params = ListParams {
            claimed_from: Some("2025-06".into()),
            claimed_to: Some("2025-05".into()),
            ..ListParams::default()
        };
        assert!(params.into_filter().is_err());
    }
}
