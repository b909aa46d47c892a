//! Claims: checkable statements, and the rules for submitting and listing them.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Error, PartialDate, Violations, language, truncate_micros};

pub const MAX_TEXT_CHARS: usize = 10_000;
pub const MAX_CONTEXT_CHARS: usize = 20_000;
pub const MAX_NAME_CHARS: usize = 300;
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_CHARS: usize = 64;

/// The desk's decision about a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClaimStatus {
    Unverified,
    InReview,
    Confirmed,
    PartlyConfirmed,
    Unverifiable,
    Disputed,
    False,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 7] = [
        ClaimStatus::Unverified,
        ClaimStatus::InReview,
        ClaimStatus::Confirmed,
        ClaimStatus::PartlyConfirmed,
        ClaimStatus::Unverifiable,
        ClaimStatus::Disputed,
        ClaimStatus::False,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Unverified => "unverified",
            ClaimStatus::InReview => "in_review",
            ClaimStatus::Confirmed => "confirmed",
            ClaimStatus::PartlyConfirmed => "partly_confirmed",
            ClaimStatus::Unverifiable => "unverifiable",
            ClaimStatus::Disputed => "disputed",
            ClaimStatus::False => "false",
        }
    }
}

impl fmt::Display for ClaimStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClaimStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClaimStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| format!("unknown claim status {s:?}"))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub id: Uuid,
    pub text: String,
    pub language: String,
    pub context: Option<String>,
    pub claimant: Option<String>,
    pub claimed_at: Option<PartialDate>,
    pub tags: Vec<String>,
    pub status: ClaimStatus,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A claim as a client submits it, before any rule has been checked.
#[derive(Debug, Clone, Default)]
pub struct ClaimInput {
    pub text: String,
    pub language: String,
    pub context: Option<String>,
    pub claimant: Option<String>,
    pub claimed_at: Option<String>,
    pub tags: Vec<String>,
}

impl ClaimInput {
    /// Checks every rule and reports every violation at once; builds the claim to store.
    pub fn into_new_claim(self, now: DateTime<Utc>) -> Result<Claim, Error> {
        let mut violations = Violations::default();
        let text = violations.check("text", text(&self.text));
        let language = violations.check("language", language::normalize(&self.language));
        let context = violations.check("context", optional_text(self.context, MAX_CONTEXT_CHARS));
        let claimant = violations.check("claimant", optional_text(self.claimant, MAX_NAME_CHARS));
        let claimed_at = violations.check(
            "claimed_at",
            self.claimed_at
                .as_deref()
                .map(str::parse::<PartialDate>)
                .transpose(),
        );
        let tags = violations.check("tags", tags(self.tags));
        violations.into_result()?;
        let (
            Some(text),
            Some(language),
            Some(context),
            Some(claimant),
            Some(claimed_at),
            Some(tags),
        ) = (text, language, context, claimant, claimed_at, tags)
        else {
            return Err(Error::Internal("validation passed without values".into()));
        };
        let now = truncate_micros(now);
        Ok(Claim {
            id: Uuid::now_v7(),
            text,
            language,
            context,
            claimant,
            claimed_at,
            tags,
            status: ClaimStatus::Unverified,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }
}

fn text(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("is required and must not be blank".into());
    }
    let chars = trimmed.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(format!(
            "must be at most {MAX_TEXT_CHARS} characters, got {chars}"
        ));
    }
    Ok(trimmed.to_owned())
}

/// Optional free text: trimmed; blank means absent.
fn optional_text(raw: Option<String>, max: usize) -> Result<Option<String>, String> {
    let Some(raw) = raw else { return Ok(None) };
    let trimmed = raw.trim();
    let chars = trimmed.chars().count();
    if chars > max {
        return Err(format!("must be at most {max} characters, got {chars}"));
    }
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// Tags are lower-cased and de-duplicated, keeping the order of first appearance.
fn tags(raw: Vec<String>) -> Result<Vec<String>, String> {
    if raw.len() > MAX_TAGS {
        return Err(format!("at most {MAX_TAGS} tags, got {}", raw.len()));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, tag) in raw.iter().enumerate() {
        let tag = normalize_tag(tag).map_err(|e| format!("tag {i}: {e}"))?;
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

pub fn normalize_tag(raw: &str) -> Result<String, String> {
    let tag = raw.trim().to_lowercase();
    if tag.is_empty() {
        return Err("must not be blank".into());
    }
    if tag.chars().count() > MAX_TAG_CHARS {
        return Err(format!("must be at most {MAX_TAG_CHARS} characters"));
    }
    if tag.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(tag)
}

/// Parses a claim id; ids are UUIDs (v7 for the ones core assigns).
pub fn parse_id(field: &str, raw: &str) -> Result<Uuid, Error> {
    Uuid::try_parse(raw).map_err(|_| Error::invalid(field, format!("{raw:?} is not a UUID")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ClaimInput {
        ClaimInput {
            text: "Maduro a demandé l'aide de la Russie, de la Chine et de l'Iran".into(),
            language: "fr".into(),
            ..ClaimInput::default()
        }
    }

    #[test]
    fn a_valid_claim_starts_unverified_at_version_one() {
        let claim = input().into_new_claim(Utc::now()).expect("valid");
        assert_eq!(claim.status, ClaimStatus::Unverified);
        assert_eq!(claim.version, 1);
        assert_eq!(claim.id.get_version_num(), 7);
        assert_eq!(claim.created_at, claim.updated_at);
    }

    #[test]
    fn every_violation_is_reported_at_once() {
        let bad = ClaimInput {
            text: "   ".into(),
            language: "en_US".into(),
            claimed_at: Some("2025-02-30".into()),
            tags: vec!["ok".into(), " ".into()],
            ..ClaimInput::default()
        };
        let Err(Error::Validation(violations)) = bad.into_new_claim(Utc::now()) else {
            panic!("expected a validation error");
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["text", "language", "claimed_at", "tags"]);
    }

    #[test]
    fn text_length_is_counted_in_characters() {
        let at_limit = ClaimInput {
            text: "é".repeat(MAX_TEXT_CHARS),
            ..input()
        };
        assert!(at_limit.into_new_claim(Utc::now()).is_ok());
        let over = ClaimInput {
            text: "é".repeat(MAX_TEXT_CHARS + 1),
            ..input()
        };
        assert!(matches!(
            over.into_new_claim(Utc::now()),
            Err(Error::Validation(_))
        ));
    }

    #[test]
    fn tags_are_normalised_and_blank_optionals_dropped() {
        let claim = ClaimInput {
            tags: vec!["Venezuela".into(), "venezuela ".into(), "Russie".into()],
            context: Some("  ".into()),
            claimant: Some(" The Washington Post ".into()),
            ..input()
        }
        .into_new_claim(Utc::now())
        .expect("valid");
        assert_eq!(claim.tags, ["venezuela", "russie"]);
        assert_eq!(claim.context, None);
        assert_eq!(claim.claimant.as_deref(), Some("The Washington Post"));
    }

    #[test]
    fn status_names_round_trip() {
        for status in ClaimStatus::ALL {
            assert_eq!(status.as_str().parse::<ClaimStatus>(), Ok(status));
        }
        assert!("Confirmed".parse::<ClaimStatus>().is_err());
    }
}
