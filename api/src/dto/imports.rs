//! What an import answers: per review, what became of it.

use claimdesk_proto::v1 as pb;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ClaimStatus, proto_enum};
use crate::problem::Problem;

/// What became of one review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    /// A new claim holds the review.
    Created,
    /// Imported before and changed since: stored anew.
    Updated,
    /// Imported before, as it is.
    Unchanged,
    /// A stored claim like it now holds the review.
    Linked,
    /// Not stored: `reason` says why.
    Skipped,
}

proto_enum!(ImportOutcome <=> ImportOutcome { Created, Updated, Unchanged, Linked, Skipped });

/// One review of the document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedItem {
    /// Where it was in the document: `script[3]`, `@graph[0]`, `dataFeedElement[2].item[0]`.
    pub at: String,
    pub outcome: ImportOutcome,
    /// The claim that holds the review (absent when skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_id: Option<String>,
    /// The review's URL, else `sha256:` and the hash of its JSON: what a new import of it finds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_key: Option<String>,
    /// The reviewing organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// The publisher's rating label, as published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The verdict the rating maps to (absent: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<ClaimStatus>,
    /// Linked: how alike the claim it joined is (0 to 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Skipped: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What was read past: a date that is no date, a rating that maps to no verdict.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub linked: u32,
    pub skipped: u32,
    /// Each review in the document's order, the entries passed over last.
    pub items: Vec<ImportedItem>,
}

impl TryFrom<pb::ImportReport> for ImportReport {
    type Error = Problem;

    fn try_from(report: pb::ImportReport) -> Result<Self, Problem> {
        let some = |s: String| Some(s).filter(|s| !s.is_empty());
        let items = report
            .items
            .into_iter()
            .map(|item| {
                Ok(ImportedItem {
                    outcome: ImportOutcome::try_from(item.outcome())?,
                    verdict: match item.verdict() {
                        pb::ClaimStatus::Unspecified => None,
                        status => Some(ClaimStatus::try_from(status)?),
                    },
                    at: item.at,
                    claim_id: some(item.claim_id),
                    review_key: some(item.review_key),
                    publisher: some(item.publisher),
                    label: some(item.label),
                    score: item.score,
                    reason: some(item.reason),
                    warnings: item.warnings,
                })
            })
            .collect::<Result<Vec<_>, Problem>>()?;
        Ok(ImportReport {
            created: report.created,
            updated: report.updated,
            unchanged: report.unchanged,
            linked: report.linked,
            skipped: report.skipped,
            items,
        })
    }
}
