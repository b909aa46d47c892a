//! Attributions (a source's statement about a claim) and the sourcing status computed from them.

use chrono::{DateTime, Utc};
use claimdesk_proto::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{from_timestamp, proto_enum};
use crate::problem::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    Asserts,
    Confirms,
    Denies,
    Disputes,
    /// Neither supports nor opposes: background, partial admission.
    Context,
}

proto_enum!(Stance <=> Stance { Asserts, Confirms, Denies, Disputes, Context });

/// A statement to record, or the new content of one. Needs `If-Match` with the claim's ETag.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "speaker_id": "019ac9a4-5d3e-7c1a-9b2f-3f1c2d4e5a6b",
    "stance": "context",
    "relay_ids": ["019ac9a4-6e4f-7d2b-8c3a-4a2d3e5f6b7c"],
    "quote": "« Nous sommes en contact avec nos amis vénézuéliens »",
    "url": "https://tass.ru/",
    "published_at": "2025-10-26"
}))]
pub struct AttributionRequest {
    /// The source that made the statement: its origin.
    pub speaker_id: String,
    pub stance: Stance,
    /// Sources through which it reached the newsroom, in order; never the speaker, no repeats.
    #[serde(default)]
    pub relay_ids: Vec<String>,
    pub quote: Option<String>,
    /// An http(s) URL.
    pub url: Option<String>,
    /// Partial date or RFC 3339 timestamp.
    pub published_at: Option<String>,
}

impl From<AttributionRequest> for pb::AttributionFields {
    fn from(req: AttributionRequest) -> Self {
        let AttributionRequest { speaker_id, stance, relay_ids, quote, url, published_at } = req;
        pb::AttributionFields {
            speaker_id,
            stance: pb::Stance::from(stance).into(),
            relay_ids,
            quote,
            url,
            published_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Attribution {
    pub id: String,
    pub claim_id: String,
    pub speaker_id: String,
    pub stance: Stance,
    pub relay_ids: Vec<String>,
    pub quote: Option<String>,
    pub url: Option<String>,
    pub published_at: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

impl TryFrom<pb::Attribution> for Attribution {
    type Error = Problem;

    fn try_from(a: pb::Attribution) -> Result<Self, Problem> {
        let stance = Stance::try_from(a.stance())?;
        let pb::Attribution {
            id,
            claim_id,
            speaker_id,
            stance: _,
            relay_ids,
            quote,
            url,
            published_at,
            recorded_by,
            recorded_at,
        } = a;
        Ok(Attribution {
            id,
            claim_id,
            speaker_id,
            stance,
            relay_ids,
            quote,
            url,
            published_at,
            recorded_by,
            recorded_at: from_timestamp(recorded_at)?,
        })
    }
}

/// The attribution after the change (null after a removal) and the claim's new version and
/// ETag (also sent as the `ETag` header).
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributionChange {
    pub attribution: Option<Attribution>,
    pub claim_version: i64,
    pub claim_etag: String,
}

impl TryFrom<pb::AttributionChange> for AttributionChange {
    type Error = Problem;

    fn try_from(c: pb::AttributionChange) -> Result<Self, Problem> {
        let pb::AttributionChange { attribution, claim_version, claim_etag } = c;
        Ok(AttributionChange {
            attribution: attribution.map(Attribution::try_from).transpose()?,
            claim_version,
            claim_etag,
        })
    }
}

/// One page of a claim's attributions, in recorded order.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributionList {
    pub attributions: Vec<Attribution>,
    /// Present when there is a next page: pass it as `page_token`.
    pub next_page_token: Option<String>,
}

/// A statement a source made, with the claim it is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceStatement {
    pub attribution: Attribution,
    pub claim_text: String,
    pub claim_status: super::ClaimStatus,
}

impl TryFrom<pb::SourceStatement> for SourceStatement {
    type Error = Problem;

    fn try_from(s: pb::SourceStatement) -> Result<Self, Problem> {
        let claim_status = super::ClaimStatus::try_from(s.claim_status())?;
        let attribution = s.attribution.ok_or_else(|| super::bad_core_answer("statement without its attribution"))?;
        Ok(SourceStatement { attribution: Attribution::try_from(attribution)?, claim_text: s.claim_text, claim_status })
    }
}

/// One page of a source's statements, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceStatementList {
    pub statements: Vec<SourceStatement>,
    /// Present when there is a next page: pass it as `page_token`.
    pub next_page_token: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttributionListQuery {
    /// Attributions per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i32>,
    pub page_token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourcingLevel {
    Unsourced,
    SingleSource,
    Corroborated,
    Confirmed,
    Contested,
}

proto_enum!(SourcingLevel <=> SourcingLevel { Unsourced, SingleSource, Corroborated, Confirmed, Contested });

/// How well sourced a claim is, computed by core from its attributions on every read.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "level": "contested",
    "anonymous_only": true,
    "independent_supporting": 1,
    "named_supporting": 0,
    "anonymous_supporting": 1,
    "confirmations": 0,
    "denials": 1,
    "disputes": 0,
    "primary_confirmation": false,
    "earliest_published_at": "2025-10-24",
    "latest_published_at": "2025-10-26",
    "explanation": "One independent source supports the claim: Sources proches de l'administration Trump. ...",
    "reasons": ["One independent source supports the claim: Sources proches de l'administration Trump."]
}))]
pub struct Sourcing {
    pub level: SourcingLevel,
    /// Every supporting statement comes from an anonymous source.
    pub anonymous_only: bool,
    /// Distinct origins of asserting or confirming statements; relays do not count.
    pub independent_supporting: i32,
    pub named_supporting: i32,
    pub anonymous_supporting: i32,
    /// Distinct speakers confirming, denying, disputing.
    pub confirmations: i32,
    pub denials: i32,
    pub disputes: i32,
    /// A named person, organisation or official body confirms the claim.
    pub primary_confirmation: bool,
    pub earliest_published_at: Option<String>,
    pub latest_published_at: Option<String>,
    /// The reasons for the level, in plain language.
    pub explanation: String,
    pub reasons: Vec<String>,
}

impl TryFrom<pb::Sourcing> for Sourcing {
    type Error = Problem;

    fn try_from(s: pb::Sourcing) -> Result<Self, Problem> {
        let level = SourcingLevel::try_from(s.level())?;
        let pb::Sourcing {
            level: _,
            anonymous_only,
            independent_supporting,
            named_supporting,
            anonymous_supporting,
            confirmations,
            denials,
            disputes,
            earliest_published_at,
            latest_published_at,
            explanation,
            reasons,
            primary_confirmation,
        } = s;
        Ok(Sourcing {
            level,
            anonymous_only,
            independent_supporting,
            named_supporting,
            anonymous_supporting,
            confirmations,
            denials,
            disputes,
            primary_confirmation,
            earliest_published_at,
            latest_published_at,
            explanation,
            reasons,
        })
    }
}
