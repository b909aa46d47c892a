//! Listing claims: filters, page sizes and opaque keyset cursors.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{ClaimStatus, Error, PartialDate, Violations, claim::normalize_tag, language};

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;

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
}

/// Checked list parameters, ready for storage.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimFilter {
    pub limit: u32,
    pub after: Option<Cursor>,
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
}

impl ListParams {
    pub fn into_filter(self) -> Result<ClaimFilter, Error> {
        let mut v = Violations::default();
        let limit = v.check("page_size", page_size(self.page_size));
        let after =
            v.check("page_token", self.page_token.as_deref().filter(|t| !t.is_empty()).map(Cursor::decode).transpose());
        let language = v.check("language", self.language.as_deref().map(language::normalize).transpose());
        let claimant_id = v.check(
            "claimant_id",
            self.claimant_id
                .as_deref()
                .map(|id| Uuid::try_parse(id).map_err(|_| format!("{id:?} is not a UUID")))
                .transpose(),
        );
        let tag = v.check("tag", self.tag.as_deref().map(normalize_tag).transpose());
        let claimed_from =
            v.check("claimed_from", self.claimed_from.as_deref().map(|s| s.parse::<PartialDate>()).transpose());
        let claimed_to =
            v.check("claimed_to", self.claimed_to.as_deref().map(|s| s.parse::<PartialDate>()).transpose());
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
        })
    }
}

pub fn page_size(raw: Option<i32>) -> Result<u32, String> {
    match raw {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if n >= 1 && n as u32 <= MAX_PAGE_SIZE => Ok(n as u32),
        Some(n) => Err(format!("must be between 1 and {MAX_PAGE_SIZE}, got {n}")),
    }
}

/// Position after the last item of a page, in the (created_at, id) descending order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    const PREFIX: &'static str = "c1";

    pub fn encode(&self) -> String {
        let raw = format!("{}:{}:{}", Self::PREFIX, self.created_at.timestamp_micros(), self.id.simple());
        URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(token: &str) -> Result<Self, String> {
        let invalid = || "is not a page token issued by this service".to_string();
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        let raw = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = raw.splitn(3, ':');
        let (Some(Self::PREFIX), Some(micros), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        let created_at =
            micros.parse::<i64>().ok().and_then(DateTime::<Utc>::from_timestamp_micros).ok_or_else(invalid)?;
        let id = Uuid::try_parse(id).map_err(|_| invalid())?;
        Ok(Cursor { created_at, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let cursor = Cursor { created_at: crate::domain::truncate_micros(Utc::now()), id: Uuid::now_v7() };
        assert_eq!(Cursor::decode(&cursor.encode()), Ok(cursor));
    }

    #[test]
    fn garbage_tokens_are_refused() {
        for token in [
            "garbage",
            "!!!",
            "YzE6MTIzOm5vdC1hLXV1aWQ",
            &URL_SAFE_NO_PAD.encode("c2:1:00000000000000000000000000000000"),
        ] {
            assert!(Cursor::decode(token).is_err(), "{token} accepted");
        }
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
