//! REST shapes (serde + utoipa) and their conversions to and from the protobuf messages.

use chrono::{DateTime, Utc};
use claimdesk_proto::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::problem::Problem;

/// The desk's decision about a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    Unverified,
    InReview,
    Confirmed,
    PartlyConfirmed,
    Unverifiable,
    Disputed,
    False,
}

impl From<ClaimStatus> for pb::ClaimStatus {
    fn from(status: ClaimStatus) -> Self {
        match status {
            ClaimStatus::Unverified => pb::ClaimStatus::Unverified,
            ClaimStatus::InReview => pb::ClaimStatus::InReview,
            ClaimStatus::Confirmed => pb::ClaimStatus::Confirmed,
            ClaimStatus::PartlyConfirmed => pb::ClaimStatus::PartlyConfirmed,
            ClaimStatus::Unverifiable => pb::ClaimStatus::Unverifiable,
            ClaimStatus::Disputed => pb::ClaimStatus::Disputed,
            ClaimStatus::False => pb::ClaimStatus::False,
        }
    }
}

impl TryFrom<pb::ClaimStatus> for ClaimStatus {
    type Error = Problem;

    fn try_from(status: pb::ClaimStatus) -> Result<Self, Problem> {
        Ok(match status {
            pb::ClaimStatus::Unverified => ClaimStatus::Unverified,
            pb::ClaimStatus::InReview => ClaimStatus::InReview,
            pb::ClaimStatus::Confirmed => ClaimStatus::Confirmed,
            pb::ClaimStatus::PartlyConfirmed => ClaimStatus::PartlyConfirmed,
            pb::ClaimStatus::Unverifiable => ClaimStatus::Unverifiable,
            pb::ClaimStatus::Disputed => ClaimStatus::Disputed,
            pb::ClaimStatus::False => ClaimStatus::False,
            pb::ClaimStatus::Unspecified => return Err(bad_core_answer("claim without a status")),
        })
    }
}

/// A claim to submit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "text": "Maduro a demandé l'aide de la Russie, de la Chine et de l'Iran pour renforcer les défenses du pays",
    "language": "fr",
    "claimant": "The Washington Post",
    "claimed_at": "2025-10",
    "context": "Selon le Washington Post, repris par l'AFP.",
    "tags": ["venezuela", "russie"]
}))]
pub struct CreateClaimRequest {
    /// The checkable statement: 1 to 10,000 characters, not only whitespace. Trimmed.
    pub text: String,
    /// BCP 47 language tag ("fr", "en-GB"); stored in canonical case.
    pub language: String,
    /// Where and how the claim appeared. Blank means absent.
    pub context: Option<String>,
    /// Who made the claim (a name for now).
    pub claimant: Option<String>,
    /// When the claim was made: "2025", "2025-05", "2025-05-07" or an RFC 3339 timestamp.
    pub claimed_at: Option<String>,
    /// Free labels; lower-cased and de-duplicated. At most 50, each at most 64 characters.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl From<CreateClaimRequest> for pb::CreateClaimRequest {
    fn from(req: CreateClaimRequest) -> Self {
        let CreateClaimRequest {
            text,
            language,
            context,
            claimant,
            claimed_at,
            tags,
        } = req;
        pb::CreateClaimRequest {
            text,
            language,
            context,
            claimant,
            claimed_at,
            tags,
        }
    }
}

/// A claim as stored.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019ac9a4-5d3e-7c1a-9b2f-3f1c2d4e5a6b",
    "text": "Maduro a demandé l'aide de la Russie, de la Chine et de l'Iran pour renforcer les défenses du pays",
    "language": "fr",
    "context": "Selon le Washington Post, repris par l'AFP.",
    "claimant": "The Washington Post",
    "claimed_at": "2025-10",
    "tags": ["venezuela", "russie"],
    "status": "unverified",
    "version": 1,
    "created_at": "2026-11-28T17:56:31.123456Z",
    "updated_at": "2026-11-28T17:56:31.123456Z"
}))]
pub struct Claim {
    /// UUIDv7.
    pub id: String,
    pub text: String,
    pub language: String,
    pub context: Option<String>,
    pub claimant: Option<String>,
    /// Partial date (ISO 8601) or RFC 3339 timestamp.
    pub claimed_at: Option<String>,
    pub tags: Vec<String>,
    pub status: ClaimStatus,
    /// Starts at 1; bumped by every change. Also the `ETag`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<pb::Claim> for Claim {
    type Error = Problem;

    fn try_from(claim: pb::Claim) -> Result<Self, Problem> {
        let status = ClaimStatus::try_from(claim.status())?;
        let pb::Claim {
            id,
            text,
            language,
            context,
            claimant,
            claimed_at,
            tags,
            status: _,
            version,
            created_at,
            updated_at,
        } = claim;
        Ok(Claim {
            id,
            text,
            language,
            context,
            claimant,
            claimed_at,
            tags,
            status,
            version,
            created_at: from_timestamp(created_at)?,
            updated_at: from_timestamp(updated_at)?,
        })
    }
}

/// Filters and pagination for listing claims. Timestamps are RFC 3339; write the offset as
/// `Z` or percent-encode `+`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListClaimsQuery {
    /// Results per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i32>,
    /// `next_page_token` from the previous page.
    pub page_token: Option<String>,
    /// Only claims with this status.
    pub status: Option<ClaimStatus>,
    /// Only claims in this language or its sub-tags ("fr" matches "fr-CA").
    pub language: Option<String>,
    /// Only claims by this claimant (exact name).
    pub claimant: Option<String>,
    /// Only claims with this tag.
    pub tag: Option<String>,
    /// Only claims created at or after this instant.
    pub created_from: Option<DateTime<Utc>>,
    /// Only claims created at or before this instant.
    pub created_to: Option<DateTime<Utc>>,
    /// Only claims whose claimed date may fall on or after this partial date.
    pub claimed_from: Option<String>,
    /// Only claims whose claimed date may fall on or before this partial date (whole period).
    pub claimed_to: Option<String>,
}

impl From<ListClaimsQuery> for pb::ListClaimsRequest {
    fn from(q: ListClaimsQuery) -> Self {
        let ListClaimsQuery {
            page_size,
            page_token,
            status,
            language,
            claimant,
            tag,
            created_from,
            created_to,
            claimed_from,
            claimed_to,
        } = q;
        pb::ListClaimsRequest {
            page_size,
            page_token,
            status: status
                .map_or(pb::ClaimStatus::Unspecified, Into::into)
                .into(),
            language,
            claimant,
            tag,
            created_from: created_from.map(timestamp),
            created_to: created_to.map(timestamp),
            claimed_from,
            claimed_to,
        }
    }
}

/// One page of claims, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimPage {
    pub claims: Vec<Claim>,
    /// Pass as `page_token` for the next page; absent on the last page. Also in the `Link` header.
    pub next_page_token: Option<String>,
}

fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

fn from_timestamp(t: Option<prost_types::Timestamp>) -> Result<DateTime<Utc>, Problem> {
    t.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).ok()?))
        .ok_or_else(|| bad_core_answer("missing or invalid timestamp"))
}

/// Core answered something the contract does not allow: a bug, not the client's fault.
fn bad_core_answer(what: &str) -> Problem {
    tracing::error!(what, "invalid answer from core");
    Problem::new(
        actix_web::http::StatusCode::BAD_GATEWAY,
        "bad_core_answer",
        "core sent an invalid answer",
    )
}
