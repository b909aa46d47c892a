//! A claim as readers see it, and the tag that names that exact representation.
//!
//! A claim's representation is more than its row: it carries its claimant's name and kind and a
//! sourcing computed from its speakers. Editing a source changes what every claim naming it
//! shows without touching the claims' versions, so the version alone cannot vouch for a
//! representation. The `etag` digests everything shown, and every change to a claim can name it.

use sha2::{Digest, Sha256};

use super::{
    Claim, Error, SourceRef,
    sourcing::{self, Sourcing, SourcingRules, Statement},
};

/// A claim with its claimant resolved, its sourcing computed, and the tag of that representation.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimView {
    pub claim: Claim,
    pub claimant: Option<SourceRef>,
    pub sourcing: Sourcing,
    /// `"{version}-{digest}"`: changes whenever anything in the representation changes.
    pub etag: String,
}

impl ClaimView {
    /// The one way a view is made: `statements` in the order they were recorded.
    pub fn assemble(
        claim: Claim,
        claimant: Option<SourceRef>,
        statements: &[Statement],
        rules: &SourcingRules,
    ) -> ClaimView {
        let sourcing = sourcing::compute(statements, rules);
        let etag = etag(&claim, claimant.as_ref(), &sourcing);
        ClaimView { claim, claimant, sourcing, etag }
    }
}

/// Digests what a reader is shown beyond the claim's own row (which its version covers): the
/// claimant as shown, and the computed sourcing, explanation included. Fields are written with
/// their lengths, so no two different representations digest the same input.
fn etag(claim: &Claim, claimant: Option<&SourceRef>, sourcing: &Sourcing) -> String {
    let mut digest = Sha256::new();
    let mut put = |value: &str| {
        digest.update((value.len() as u64).to_le_bytes());
        digest.update(value.as_bytes());
    };
    match claimant {
        Some(c) => {
            put(&c.id.to_string());
            put(&c.name);
            put(c.kind.as_str());
        }
        None => put(""),
    }
    let Sourcing {
        level,
        anonymous_only,
        independent_supporting,
        named_supporting,
        anonymous_supporting,
        confirmations,
        denials,
        disputes,
        primary_confirmation,
        confirmation_met,
        earliest_published_at,
        latest_published_at,
        reasons,
    } = sourcing;
    put(level.as_str());
    let counts = [independent_supporting, named_supporting, anonymous_supporting, confirmations, denials, disputes];
    put(&format!("{counts:?} {anonymous_only} {primary_confirmation} {confirmation_met}"));
    put(&earliest_published_at.map(|d| d.to_string()).unwrap_or_default());
    put(&latest_published_at.map(|d| d.to_string()).unwrap_or_default());
    for reason in reasons {
        put(reason);
    }
    let digest = digest.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", claim.version)
}

/// What a change to a claim was made against: the version (guards against lost updates) or the
/// ETag of the representation last read (guards also against a sourcing picture that changed
/// since, because a source it names was edited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    Version(i64),
    Etag(String),
    /// `*`: whatever the claim's current representation is (RFC 9110 `If-Match: *`).
    Any,
}

impl Precondition {
    /// From a change request: a non-empty `etag` wins over `expected_version`.
    pub fn from_request(expected_version: i64, etag: String) -> Result<Self, Error> {
        let etag = etag.trim();
        if etag == "*" {
            return Ok(Precondition::Any);
        }
        if !etag.is_empty() {
            return Ok(Precondition::Etag(etag.to_owned()));
        }
        if expected_version < 1 {
            return Err(Error::invalid(
                "expected_version",
                "is required: the version you last read, or send etag (If-Match over REST)",
            ));
        }
        Ok(Precondition::Version(expected_version))
    }

    /// Whether the claim, as it stands, is the one the change was made against.
    pub fn check(&self, current: &ClaimView) -> Result<(), Error> {
        let holds = match self {
            Precondition::Version(v) => *v == current.claim.version,
            Precondition::Etag(tag) => *tag == current.etag,
            Precondition::Any => true,
        };
        if holds {
            return Ok(());
        }
        Err(Error::VersionMismatch {
            expected: match self {
                Precondition::Version(v) => format!("version {v}"),
                Precondition::Etag(tag) => format!("ETag \"{tag}\""),
                Precondition::Any => "any version".to_owned(),
            },
            current: current.claim.version,
            current_etag: Some(current.etag.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::domain::{ClaimInput, SourceKind, Stance};

    fn claim() -> Claim {
        ClaimInput { text: "Maduro a demandé l'aide de la Russie".into(), language: "fr".into(), ..Default::default() }
            .into_new_claim(Utc::now())
            .expect("valid")
            .0
    }

    #[test]
    fn the_etag_changes_with_what_a_source_shows_not_only_with_the_version() {
        let wapo = SourceRef { id: Uuid::now_v7(), name: "The Washington Post".into(), kind: SourceKind::NewsOutlet };
        let says =
            |speaker: &SourceRef| Statement { speaker: speaker.clone(), stance: Stance::Asserts, published_at: None };
        let rules = SourcingRules::default();
        let before = ClaimView::assemble(claim(), None, &[says(&wapo)], &rules);
        let same = ClaimView::assemble(before.claim.clone(), None, &[says(&wapo)], &rules);
        assert_eq!(before.etag, same.etag, "the same representation has the same tag");
        assert!(before.etag.starts_with("1-"), "{}", before.etag);

        let anonymous = SourceRef { kind: SourceKind::Anonymous, ..wapo.clone() };
        let reclassified = ClaimView::assemble(before.claim.clone(), None, &[says(&anonymous)], &rules);
        assert_eq!(reclassified.claim.version, before.claim.version);
        assert_ne!(reclassified.etag, before.etag, "a speaker's kind changed what the claim shows");

        let renamed = SourceRef { name: "Washington Post".into(), ..wapo.clone() };
        let as_claimant = ClaimView::assemble(before.claim.clone(), Some(renamed), &[says(&wapo)], &rules);
        assert_ne!(as_claimant.etag, before.etag);

        assert!(Precondition::Etag(before.etag.clone()).check(&before).is_ok());
        let stale = Precondition::Etag(before.etag.clone()).check(&reclassified);
        assert!(matches!(stale, Err(Error::VersionMismatch { current: 1, .. })), "{stale:?}");
        assert!(Precondition::Version(1).check(&reclassified).is_ok(), "a version guards only the claim's own row");
    }

    #[test]
    fn a_precondition_is_required() {
        assert!(matches!(Precondition::from_request(0, " ".into()), Err(Error::Validation(_))));
        assert_eq!(Precondition::from_request(3, String::new()).ok(), Some(Precondition::Version(3)));
        assert_eq!(Precondition::from_request(0, "3-ab".into()).ok(), Some(Precondition::Etag("3-ab".into())));
    }
}
