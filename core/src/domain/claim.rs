//! Claims: checkable statements, and the rules for submitting and listing them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    AttributionFields, Error, PartialDate, SourceKind, ValidAttribution, Violations,
    attribution::MAX_PER_CLAIM,
    history::{ClaimSnapshot, FieldChange},
    language,
    source::optional,
    sourcing::{Sourcing, SourcingRules},
    truncate_micros,
};

pub const MAX_TEXT_CHARS: usize = 10_000;
pub const MAX_CONTEXT_CHARS: usize = 20_000;
pub const MAX_NAME_CHARS: usize = 300;
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_CHARS: usize = 64;

/// The desk's decision about a claim.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
    strum::Display,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        super::named(s, "claim status")
    }

    /// A final decision of the desk, which must come with a note.
    pub fn is_verdict(self) -> bool {
        !matches!(self, ClaimStatus::Unverified | ClaimStatus::InReview)
    }

    /// unverified → in_review → a verdict; a verdict may be replaced by another (new evidence)
    /// or reopened to in_review; in_review may go back to unverified. Nothing else.
    pub fn can_become(self, to: ClaimStatus) -> bool {
        use ClaimStatus::*;
        match (self, to) {
            (from, to) if from == to => false,
            (Unverified, InReview) | (InReview, Unverified) => true,
            (InReview, to) => to.is_verdict(),
            (from, to) if from.is_verdict() => to == InReview || to.is_verdict(),
            _ => false,
        }
    }

    /// Checks a status change against the rules; returns the cleaned note.
    pub fn check_change(
        self,
        to: ClaimStatus,
        note: Option<String>,
        sourcing: &Sourcing,
        rules: &SourcingRules,
    ) -> Result<Option<String>, Error> {
        if !self.can_become(to) {
            return Err(Error::Precondition {
                code: "invalid_transition",
                subject: "status".into(),
                description: format!(
                    "a claim cannot go from {self} to {to}: unverified → in_review → a verdict; a verdict can be replaced or reopened to in_review"
                ),
            });
        }
        let note = optional(note, MAX_TEXT_CHARS).map_err(|e| Error::invalid("note", e))?;
        if to.is_verdict() && note.is_none() {
            return Err(Error::invalid("note", format!("is required for the verdict {to}: say why")));
        }
        if to == ClaimStatus::Confirmed && !sourcing.confirmation_met {
            return Err(Error::Precondition {
                code: "confirmation_requirements_not_met",
                subject: "sourcing".into(),
                description: format!(
                    "confirmed needs {}; this claim has {} independent supporting source(s){} and no such confirmation",
                    rules.confirmation_rule(),
                    sourcing.independent_supporting,
                    if sourcing.anonymous_only { ", all anonymous" } else { "" }
                ),
            });
        }
        Ok(note)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub id: Uuid,
    pub text: String,
    pub language: String,
    pub context: Option<String>,
    pub claimant_id: Option<Uuid>,
    pub claimed_at: Option<PartialDate>,
    pub tags: Vec<String>,
    pub status: ClaimStatus,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when the claim was merged into another (its canonical claim).
    pub merged_into: Option<Uuid>,
}

/// A claim as a client submits it, before any rule has been checked.
#[derive(Debug, Clone, Default)]
pub struct ClaimInput {
    pub text: String,
    pub language: String,
    pub context: Option<String>,
    /// The claimant by name, resolved to a source or created as one of `claimant_kind`.
    pub claimant: Option<String>,
    pub claimant_id: Option<String>,
    pub claimant_kind: Option<SourceKind>,
    pub claimed_at: Option<String>,
    pub tags: Vec<String>,
    /// Statements recorded with the claim.
    pub attributions: Vec<AttributionFields>,
    /// Refuse the claim when a stored one scores this much or more as its duplicate (0 to 1).
    pub reject_duplicates_above: Option<f64>,
}

/// A new claim, checked: the claim to store, its claimant as the request names it, and the
/// statements to record with it.
#[derive(Debug, Clone)]
pub struct NewClaim {
    pub claim: Claim,
    pub claimant: Claimant,
    pub attributions: Vec<ValidAttribution>,
}

/// Who made a new claim, as far as the request says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimant {
    None,
    Id(Uuid),
    /// Resolved by name; created with this kind when no source has the name.
    Name(String, SourceKind),
}

impl ClaimInput {
    /// Checks every rule and reports every violation at once; builds the claim to store. The
    /// claim's `claimant_id` is set by the caller once the claimant is resolved.
    pub fn into_new_claim(self, now: DateTime<Utc>) -> Result<(Claim, Claimant), Error> {
        let NewClaim { claim, claimant, .. } = self.validate(now)?;
        Ok((claim, claimant))
    }

    /// Checks every rule, the statements' included, and reports every violation at once
    /// (a statement's fields as `attributions[i].field`).
    pub fn validate(self, now: DateTime<Utc>) -> Result<NewClaim, Error> {
        let mut violations = Violations::default();
        let mut attributions = Vec::with_capacity(self.attributions.len());
        if self.attributions.len() > MAX_PER_CLAIM {
            violations.push("attributions", format!("at most {MAX_PER_CLAIM} statements per claim"));
        } else {
            for (i, fields) in self.attributions.into_iter().enumerate() {
                match fields.validate() {
                    Ok(valid) => attributions.push(valid),
                    Err(Error::Validation(found)) => {
                        for v in found {
                            violations.push(format!("attributions[{i}].{}", v.field), v.description);
                        }
                    }
                    Err(other) => return Err(other),
                }
            }
        }
        let text = violations.check("text", text(&self.text));
        let language = violations.check("language", language::normalize(&self.language));
        let context = violations.check("context", optional(self.context, MAX_CONTEXT_CHARS));
        let claimant_name = violations.check("claimant", optional(self.claimant, MAX_NAME_CHARS));
        // Sent but blank is a mistake here, not "no claimant" (that is leaving it out).
        let claimant_id = match self.claimant_id {
            Some(id) if id.trim().is_empty() => {
                violations.push("claimant_id", "is not a UUID: it is empty; leave it out for no claimant");
                None
            }
            id => violations.check("claimant_id", optional_id(id)),
        };
        let claimant = match (claimant_name, claimant_id) {
            (Some(Some(_)), Some(Some(_))) => {
                violations.push("claimant_id", "give claimant (a name) or claimant_id, not both");
                None
            }
            (Some(Some(name)), Some(None)) => {
                Some(Claimant::Name(name, self.claimant_kind.unwrap_or(SourceKind::Person)))
            }
            (Some(None), Some(Some(id))) => Some(Claimant::Id(id)),
            (Some(None), Some(None)) => Some(Claimant::None),
            _ => None,
        };
        let claimed_at =
            violations.check("claimed_at", self.claimed_at.as_deref().map(str::parse::<PartialDate>).transpose());
        let tags = violations.check("tags", tags(self.tags));
        violations.into_result()?;
        let (Some(text), Some(language), Some(context), Some(claimant), Some(claimed_at), Some(tags)) =
            (text, language, context, claimant, claimed_at, tags)
        else {
            return Err(Error::Internal("validation passed without values".into()));
        };
        let now = truncate_micros(now);
        let claim = Claim {
            id: Uuid::now_v7(),
            text,
            language,
            context,
            claimant_id: match claimant {
                Claimant::Id(id) => Some(id),
                Claimant::None | Claimant::Name(..) => None,
            },
            claimed_at,
            tags,
            status: ClaimStatus::Unverified,
            version: 1,
            created_at: now,
            updated_at: now,
            merged_into: None,
        };
        Ok(NewClaim { claim, claimant, attributions })
    }
}

/// Fields of a claim an edit may name.
pub const CLAIM_PATHS: [&str; 6] = ["text", "language", "context", "claimant_id", "claimed_at", "tags"];

/// An edit: new values for the fields named in its paths.
#[derive(Debug, Clone, Default)]
pub struct ClaimPatch {
    pub text: String,
    pub language: String,
    pub context: Option<String>,
    pub claimant_id: Option<String>,
    pub claimed_at: Option<String>,
    pub tags: Vec<String>,
}

impl ClaimPatch {
    /// Checks and applies the fields named in `paths`; returns what changed, field by field
    /// (empty when every value was already current).
    pub fn apply(self, claim: &mut Claim, paths: &[String]) -> Result<Vec<FieldChange>, Error> {
        if paths.is_empty() {
            return Err(Error::invalid(
                "update_mask",
                format!("name at least one field to change: {}", CLAIM_PATHS.join(", ")),
            ));
        }
        let before = ClaimSnapshot::of(claim).to_json();
        let mut v = Violations::default();
        for path in paths {
            match path.as_str() {
                "text" => {
                    if let Some(t) = v.check("text", text(&self.text)) {
                        claim.text = t;
                    }
                }
                "language" => {
                    if let Some(l) = v.check("language", language::normalize(&self.language)) {
                        claim.language = l;
                    }
                }
                "context" => {
                    if let Some(c) = v.check("context", optional(self.context.clone(), MAX_CONTEXT_CHARS)) {
                        claim.context = c;
                    }
                }
                "claimant_id" => {
                    if let Some(id) = v.check("claimant_id", optional_id(self.claimant_id.clone())) {
                        claim.claimant_id = id;
                    }
                }
                "claimed_at" => {
                    let date =
                        self.claimed_at.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(str::parse).transpose();
                    if let Some(d) = v.check("claimed_at", date) {
                        claim.claimed_at = d;
                    }
                }
                "tags" => {
                    if let Some(t) = v.check("tags", tags(self.tags.clone())) {
                        claim.tags = t;
                    }
                }
                other => v.push(
                    "update_mask",
                    format!("unknown field {}; use {}", super::shown(other), CLAIM_PATHS.join(", ")),
                ),
            }
        }
        v.into_result()?;
        let after = ClaimSnapshot::of(claim).to_json();
        let mut changes: Vec<FieldChange> = Vec::new();
        for field in CLAIM_PATHS {
            if before[field] != after[field] {
                changes.push(FieldChange {
                    field: field.to_owned(),
                    before: before[field].clone(),
                    after: after[field].clone(),
                });
            }
        }
        Ok(changes)
    }
}

fn text(raw: &str) -> Result<String, String> {
    let trimmed = super::visible_text(super::no_nul(raw.trim())?)?;
    let chars = trimmed.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(format!("must be at most {MAX_TEXT_CHARS} characters, got {chars}"));
    }
    Ok(trimmed.to_owned())
}

/// An optional source id: trimmed; blank means absent.
fn optional_id(raw: Option<String>) -> Result<Option<Uuid>, String> {
    optional(raw, MAX_NAME_CHARS)?
        .map(|id| Uuid::try_parse(&id).map_err(|_| format!("{} is not a UUID", super::shown(&id))))
        .transpose()
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
        let (claim, claimant) = input().into_new_claim(Utc::now()).expect("valid");
        assert_eq!(claimant, Claimant::None);
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
        let at_limit = ClaimInput { text: "é".repeat(MAX_TEXT_CHARS), ..input() };
        assert!(at_limit.into_new_claim(Utc::now()).is_ok());
        let over = ClaimInput { text: "é".repeat(MAX_TEXT_CHARS + 1), ..input() };
        assert!(matches!(over.into_new_claim(Utc::now()), Err(Error::Validation(_))));
    }

    #[test]
    fn tags_are_normalised_and_blank_optionals_dropped() {
        let (claim, claimant) = ClaimInput {
            tags: vec!["Venezuela".into(), "venezuela ".into(), "Russie".into()],
            context: Some("  ".into()),
            claimant: Some(" The Washington Post ".into()),
            ..input()
        }
        .into_new_claim(Utc::now())
        .expect("valid");
        assert_eq!(claim.tags, ["venezuela", "russie"]);
        assert_eq!(claim.context, None);
        assert_eq!(claimant, Claimant::Name("The Washington Post".into(), SourceKind::Person));
    }

    #[test]
    fn claimant_by_name_or_id_not_both() {
        let id = Uuid::now_v7();
        let both = ClaimInput { claimant: Some("TASS".into()), claimant_id: Some(id.to_string()), ..input() };
        assert!(matches!(both.into_new_claim(Utc::now()), Err(Error::Validation(v)) if v[0].field == "claimant_id"));
        let (claim, claimant) =
            ClaimInput { claimant_id: Some(id.to_string()), ..input() }.into_new_claim(Utc::now()).expect("valid");
        assert_eq!((claim.claimant_id, claimant), (Some(id), Claimant::Id(id)));
        let (_, claimant) =
            ClaimInput { claimant: Some("TASS".into()), claimant_kind: Some(SourceKind::NewsAgency), ..input() }
                .into_new_claim(Utc::now())
                .expect("valid");
        assert_eq!(claimant, Claimant::Name("TASS".into(), SourceKind::NewsAgency));
    }

    #[test]
    fn edits_report_only_what_changed() {
        let (mut claim, _) = input().into_new_claim(Utc::now()).expect("valid");
        let patch =
            ClaimPatch { text: claim.text.clone(), claimed_at: Some("2025-05".into()), ..ClaimPatch::default() };
        let changes = patch.apply(&mut claim, &["text".into(), "claimed_at".into()]).expect("valid");
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "claimed_at");
        assert_eq!(changes[0].before, serde_json::Value::Null);
        assert_eq!(changes[0].after, serde_json::json!("2025-05"));
        assert_eq!(claim.claimed_at.map(|d| d.to_string()).as_deref(), Some("2025-05"));
    }

    #[test]
    fn edits_are_checked_like_submissions() {
        let (mut claim, _) = input().into_new_claim(Utc::now()).expect("valid");
        let original = claim.clone();
        let patch = ClaimPatch { text: " ".into(), language: "english".into(), ..ClaimPatch::default() };
        let err = patch.apply(&mut claim, &["text".into(), "language".into(), "colour".into()]).expect_err("invalid");
        let Error::Validation(v) = err else { panic!("not a validation error") };
        let fields: Vec<&str> = v.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["text", "language", "update_mask"]);
        assert_eq!(claim.text, original.text, "a refused edit leaves the text");
        assert!(ClaimPatch::default().apply(&mut claim, &[]).is_err(), "an empty mask is refused");
    }

    #[test]
    fn status_transitions() {
        use ClaimStatus::*;
        assert!(Unverified.can_become(InReview));
        assert!(!Unverified.can_become(Confirmed), "a verdict needs a review first");
        assert!(InReview.can_become(False));
        assert!(False.can_become(InReview), "a verdict can be reopened");
        assert!(Disputed.can_become(False), "a verdict can be replaced");
        assert!(!False.can_become(Unverified));
        assert!(!InReview.can_become(InReview));
    }

    #[test]
    fn verdicts_need_a_note_and_confirmed_needs_sources() {
        use crate::domain::sourcing::{SourcingRules, compute};
        let unsourced = compute(&[], &SourcingRules::default());
        let err = ClaimStatus::InReview.check_change(
            ClaimStatus::False,
            Some("  ".into()),
            &unsourced,
            &SourcingRules::default(),
        );
        assert!(matches!(err, Err(Error::Validation(v)) if v[0].field == "note"));
        assert_eq!(
            ClaimStatus::Unverified
                .check_change(ClaimStatus::InReview, None, &unsourced, &SourcingRules::default())
                .ok(),
            Some(None)
        );
        let err = ClaimStatus::InReview.check_change(
            ClaimStatus::Confirmed,
            Some("ok".into()),
            &unsourced,
            &SourcingRules::default(),
        );
        assert!(matches!(err, Err(Error::Precondition { code: "confirmation_requirements_not_met", .. })));
        let err = ClaimStatus::Unverified.check_change(
            ClaimStatus::False,
            Some("no".into()),
            &unsourced,
            &SourcingRules::default(),
        );
        assert!(matches!(err, Err(Error::Precondition { code: "invalid_transition", .. })));
    }

    #[test]
    fn status_names_round_trip() {
        use strum::IntoEnumIterator;
        for status in ClaimStatus::iter() {
            assert_eq!(ClaimStatus::parse(status.as_str()), Ok(status));
            assert_eq!(status.to_string(), status.as_str());
        }
        assert_eq!(ClaimStatus::parse("Confirmed"), Err("unknown claim status \"Confirmed\"".to_owned()));
    }
}
