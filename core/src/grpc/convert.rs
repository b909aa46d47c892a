//! Conversions between protobuf messages and domain types. Requests are destructured in full
//! so that a field added to the contract does not compile until it is handled here.

use chrono::{DateTime, Utc};
use claimdesk_proto::v1 as pb;

use crate::domain::{Claim, ClaimInput, ClaimStatus, Error, ListParams, Violations};

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

/// An enum field that may be left unset: `None` for UNSPECIFIED.
fn optional_status(raw: i32) -> Result<Option<ClaimStatus>, String> {
    match pb::ClaimStatus::try_from(raw).map_err(|_| format!("unknown claim status {raw}"))? {
        pb::ClaimStatus::Unspecified => Ok(None),
        pb::ClaimStatus::Unverified => Ok(Some(ClaimStatus::Unverified)),
        pb::ClaimStatus::InReview => Ok(Some(ClaimStatus::InReview)),
        pb::ClaimStatus::Confirmed => Ok(Some(ClaimStatus::Confirmed)),
        pb::ClaimStatus::PartlyConfirmed => Ok(Some(ClaimStatus::PartlyConfirmed)),
        pb::ClaimStatus::Unverifiable => Ok(Some(ClaimStatus::Unverifiable)),
        pb::ClaimStatus::Disputed => Ok(Some(ClaimStatus::Disputed)),
        pb::ClaimStatus::False => Ok(Some(ClaimStatus::False)),
    }
}

pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

fn from_timestamp(t: Option<prost_types::Timestamp>) -> Result<Option<DateTime<Utc>>, String> {
    t.map(|t| {
        u32::try_from(t.nanos)
            .ok()
            .and_then(|nanos| DateTime::from_timestamp(t.seconds, nanos))
            .ok_or_else(|| "is not a valid timestamp".to_owned())
    })
    .transpose()
}

impl From<Claim> for pb::Claim {
    fn from(claim: Claim) -> Self {
        pb::Claim {
            id: claim.id.to_string(),
            text: claim.text,
            language: claim.language,
            context: claim.context,
            claimant: claim.claimant,
            claimed_at: claim.claimed_at.map(|d| d.to_string()),
            tags: claim.tags,
            status: pb::ClaimStatus::from(claim.status).into(),
            version: claim.version,
            created_at: Some(timestamp(claim.created_at)),
            updated_at: Some(timestamp(claim.updated_at)),
        }
    }
}

impl From<pb::CreateClaimRequest> for ClaimInput {
    fn from(req: pb::CreateClaimRequest) -> Self {
        let pb::CreateClaimRequest {
            text,
            language,
            context,
            claimant,
            claimed_at,
            tags,
        } = req;
        ClaimInput {
            text,
            language,
            context,
            claimant,
            claimed_at,
            tags,
        }
    }
}

impl TryFrom<pb::ListClaimsRequest> for ListParams {
    type Error = Error;

    fn try_from(req: pb::ListClaimsRequest) -> Result<Self, Error> {
        let pb::ListClaimsRequest {
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
        } = req;
        let mut v = Violations::default();
        let status = v.check("status", optional_status(status));
        let created_from = v.check("created_from", from_timestamp(created_from));
        let created_to = v.check("created_to", from_timestamp(created_to));
        v.into_result()?;
        Ok(ListParams {
            page_size,
            page_token,
            status: status.flatten(),
            language,
            claimant,
            tag,
            created_from: created_from.flatten(),
            created_to: created_to.flatten(),
            claimed_from,
            claimed_to,
        })
    }
}
