//! Claims: submission, reads, lists, edits and status changes.

use chrono::{DateTime, Utc};
use claimdesk_proto::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    AttributionRequest, SourceKind, SourceRef, Sourcing, SourcingLevel, from_timestamp, mask, present, proto_enum,
    timestamp,
};
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

proto_enum!(ClaimStatus <=> ClaimStatus { Unverified, InReview, Confirmed, PartlyConfirmed, Unverifiable, Disputed, False });

/// A claim to submit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "text": "Maduro a demandé l'aide de la Russie, de la Chine et de l'Iran pour renforcer les défenses du pays",
    "language": "fr",
    "claimant": "The Washington Post",
    "claimant_kind": "news_outlet",
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
    /// Who made the claim, by name: resolved to the source with that name or alias (ignoring
    /// case, accents, punctuation and a leading article), or created. Give this or `claimant_id`.
    pub claimant: Option<String>,
    /// Who made the claim, by source id.
    pub claimant_id: Option<String>,
    /// The kind of the source created from `claimant` when no source has that name (default `person`).
    pub claimant_kind: Option<SourceKind>,
    /// When the claim was made: "2025", "2025-05", "2025-05-07" or an RFC 3339 timestamp.
    pub claimed_at: Option<String>,
    /// Free labels; lower-cased and de-duplicated. At most 50, each at most 64 characters.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Statements to record with the claim, in one transaction; each bumps the version and has
    /// its own history event, as if added one by one. At most 500.
    #[serde(default)]
    pub attributions: Vec<AttributionRequest>,
    /// Refuse the claim (409 `possible_duplicate`, with the `matches`) when a stored claim
    /// scores this much or more as its duplicate, 0 to 1. Without it the claim is stored and
    /// the likely duplicates are listed in `possible_duplicates`.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub reject_duplicates_above: Option<f64>,
}

impl From<CreateClaimRequest> for pb::CreateClaimRequest {
    fn from(req: CreateClaimRequest) -> Self {
        let CreateClaimRequest {
            text,
            language,
            context,
            claimant,
            claimant_id,
            claimant_kind,
            claimed_at,
            tags,
            attributions,
            reject_duplicates_above,
        } = req;
        pb::CreateClaimRequest {
            text,
            language,
            context,
            claimant,
            claimed_at,
            tags,
            claimant_id,
            claimant_kind: claimant_kind.map_or(pb::SourceKind::Unspecified, Into::into).into(),
            attributions: attributions.into_iter().map(Into::into).collect(),
            request_id: None,
            reject_duplicates_above,
        }
    }
}

/// An edit: only the fields present change; `null` clears an optional field. Needs `If-Match`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"claimed_at": "2025-10-24", "tags": ["venezuela", "russie", "kremlin"]}))]
pub struct ClaimPatchRequest {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub text: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub language: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub context: Option<Option<String>>,
    /// The claimant's source id.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub claimant_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub claimed_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Option<Option<Vec<String>>>,
}

impl ClaimPatchRequest {
    pub fn into_proto(self, id: String, etag: String) -> pb::UpdateClaimRequest {
        let ClaimPatchRequest { text, language, context, claimant_id, claimed_at, tags } = self;
        let update_mask = mask(&[
            ("text", text.is_some()),
            ("language", language.is_some()),
            ("context", context.is_some()),
            ("claimant_id", claimant_id.is_some()),
            ("claimed_at", claimed_at.is_some()),
            ("tags", tags.is_some()),
        ]);
        pb::UpdateClaimRequest {
            id,
            expected_version: 0,
            etag,
            claim: Some(pb::ClaimFields {
                text: text.flatten().unwrap_or_default(),
                language: language.flatten().unwrap_or_default(),
                context: context.flatten(),
                claimant_id: claimant_id.flatten(),
                claimed_at: claimed_at.flatten(),
                tags: tags.flatten().unwrap_or_default(),
            }),
            update_mask: Some(update_mask),
        }
    }
}

/// The desk's decision. Needs `If-Match`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "in_review", "note": "Checking with our Moscow correspondent"}))]
pub struct StatusChangeRequest {
    pub status: ClaimStatus,
    /// Why: required for every verdict (confirmed, partly_confirmed, unverifiable, disputed, false).
    pub note: Option<String>,
}

/// A claim as stored, with its claimant and its sourcing status.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019ac9a4-5d3e-7c1a-9b2f-3f1c2d4e5a6b",
    "text": "Maduro a demandé l'aide de la Russie, de la Chine et de l'Iran pour renforcer les défenses du pays",
    "language": "fr",
    "context": "Selon le Washington Post, repris par l'AFP.",
    "claimant": {"id": "019ac9a4-5d3d-7f00-8000-1a2b3c4d5e6f", "name": "The Washington Post", "kind": "news_outlet"},
    "claimed_at": "2025-10",
    "tags": ["venezuela", "russie"],
    "status": "in_review",
    "version": 4,
    "etag": "4-9c1f0e6a2b7d3e58",
    "created_at": "2026-11-28T17:56:31.123456Z",
    "updated_at": "2026-11-28T18:02:10.654321Z",
    "sourcing": {
        "level": "single_source",
        "anonymous_only": false,
        "independent_supporting": 1,
        "named_supporting": 1,
        "anonymous_supporting": 0,
        "confirmations": 0,
        "denials": 0,
        "disputes": 0,
        "primary_confirmation": false,
        "earliest_published_at": "2025-10-24",
        "latest_published_at": "2025-10-26",
        "explanation": "One independent source supports the claim: The Washington Post. Context, neither support nor denial, from Dmitri Peskov. Level single_source: one independent source.",
        "reasons": ["One independent source supports the claim: The Washington Post.", "Context, neither support nor denial, from Dmitri Peskov.", "Level single_source: one independent source."]
    }
}))]
pub struct Claim {
    /// UUIDv7.
    pub id: String,
    pub text: String,
    pub language: String,
    pub context: Option<String>,
    pub claimant: Option<SourceRef>,
    /// Partial date (ISO 8601) or RFC 3339 timestamp.
    pub claimed_at: Option<String>,
    pub tags: Vec<String>,
    pub status: ClaimStatus,
    /// Starts at 1; bumped by every change to the claim.
    pub version: i64,
    /// Names this exact representation (`{version}-{digest}`), also sent as the `ETag` header:
    /// it changes with the version and whenever a source the claim shows is edited. Send it as
    /// `If-Match` to change the claim.
    pub etag: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Computed from the attributions on every read.
    pub sourcing: Sourcing,
    /// Set once the claim was merged into another: the canonical claim's id. A merged claim
    /// leaves lists and searches, and `GET` on it answers 301 to the canonical claim.
    pub merged_into: Option<String>,
    /// Only in the answer to a submission: stored claims that look like this one (score 0.5 or
    /// more), best first. The claim was stored all the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub possible_duplicates: Option<Vec<PossibleDuplicate>>,
    /// Only in search results: how well the claim matched, and where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchMatch>,
}

/// A stored claim that looks like a submitted one.
#[derive(Debug, Serialize, ToSchema)]
pub struct PossibleDuplicate {
    pub claim_id: String,
    /// 0 (nothing in common) to 1 (the same words).
    pub score: f64,
    pub text: String,
    pub language: String,
    pub status: ClaimStatus,
}

/// Why a claim is in search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchMatch {
    /// BM25 relevance: higher is better; comparable within one query only.
    pub score: f64,
    /// Passages where the query's words appear, with their character ranges highlighted.
    pub snippets: Vec<Snippet>,
}

/// A passage of one field with the matching words' ranges: Unicode code points from the
/// start of `text`, `end` exclusive.
#[derive(Debug, Serialize, ToSchema)]
pub struct Snippet {
    /// `text`, `context`, `claimant` or `quote`.
    pub field: String,
    pub text: String,
    pub highlights: Vec<Highlight>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Highlight {
    pub start: i32,
    pub end: i32,
}

impl TryFrom<pb::SearchHit> for Claim {
    type Error = Problem;

    fn try_from(hit: pb::SearchHit) -> Result<Self, Problem> {
        let mut claim = Claim::try_from(hit.claim.unwrap_or_default())?;
        claim.search = Some(SearchMatch {
            score: hit.score,
            snippets: hit
                .snippets
                .into_iter()
                .map(|s| Snippet {
                    field: s.field,
                    text: s.text,
                    highlights: s.highlights.into_iter().map(|h| Highlight { start: h.start, end: h.end }).collect(),
                })
                .collect(),
        });
        Ok(claim)
    }
}

/// A stored claim like a given text, and how like.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimMatch {
    pub claim: Claim,
    /// 0 (nothing in common) to 1 (the same words).
    pub score: f64,
}

/// Stored claims like a text or a claim, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarClaims {
    pub matches: Vec<ClaimMatch>,
}

impl TryFrom<pb::FindSimilarResponse> for SimilarClaims {
    type Error = Problem;

    fn try_from(response: pb::FindSimilarResponse) -> Result<Self, Problem> {
        let matches = response
            .matches
            .into_iter()
            .map(|m| Ok(ClaimMatch { claim: Claim::try_from(m.claim.unwrap_or_default())?, score: m.score }))
            .collect::<Result<_, Problem>>()?;
        Ok(SimilarClaims { matches })
    }
}

/// A text to compare with the stored claims.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "Maduro a sollicité l'aide de la Russie pour renforcer ses défenses", "language": "fr", "limit": 5}))]
pub struct SimilarRequest {
    /// 1 to 10,000 characters.
    pub text: String,
    /// BCP 47 tag of the text's language.
    pub language: String,
    /// How many matches at most, 1 to 100 (default 20).
    #[schema(minimum = 1, maximum = 100)]
    #[serde(default, deserialize_with = "integral")]
    pub limit: Option<i32>,
}

/// A JSON number with no fractional part (`95` or `95.0`: JSON Schema's `integer` takes both)
/// that fits an `i32`.
fn integral<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i32>, D::Error> {
    let Some(n) = Option::<f64>::deserialize(deserializer)? else { return Ok(None) };
    if n.fract() != 0.0 || n < f64::from(i32::MIN) || n > f64::from(i32::MAX) {
        return Err(serde::de::Error::custom(format!("expected a whole number, got {n}")));
    }
    Ok(Some(n as i32))
}

/// Merge a duplicate into this claim. Needs `If-Match` with this claim's ETag.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"duplicate_id": "019ac9a4-5d3e-7c1a-9b2f-3f1c2d4e5a6c"}))]
pub struct MergeRequest {
    /// The claim merged into this one.
    pub duplicate_id: String,
    /// The duplicate's ETag as last read; when given, it must still be current.
    pub duplicate_etag: Option<String>,
}

/// Both claims after a merge.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergeResult {
    /// The canonical claim, with the moved attributions.
    pub canonical: Claim,
    /// The merged claim, pointing to the canonical one.
    pub merged: Claim,
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
            sourcing,
            etag,
            merged_into,
            possible_duplicates,
        } = claim;
        let possible_duplicates = if possible_duplicates.is_empty() {
            None
        } else {
            Some(
                possible_duplicates
                    .into_iter()
                    .map(|m| {
                        let claim = m.claim.unwrap_or_default();
                        Ok(PossibleDuplicate {
                            status: ClaimStatus::try_from(claim.status())?,
                            claim_id: claim.id,
                            score: m.score,
                            text: claim.text,
                            language: claim.language,
                        })
                    })
                    .collect::<Result<Vec<_>, Problem>>()?,
            )
        };
        Ok(Claim {
            id,
            text,
            language,
            context,
            claimant: claimant.map(SourceRef::try_from).transpose()?,
            claimed_at,
            tags,
            status,
            version,
            etag,
            created_at: from_timestamp(created_at)?,
            updated_at: from_timestamp(updated_at)?,
            sourcing: Sourcing::try_from(sourcing.unwrap_or_default())?,
            merged_into,
            possible_duplicates,
            search: None,
        })
    }
}

/// The order of a list of claims, by creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimOrder {
    NewestFirst,
    OldestFirst,
}

proto_enum!(ClaimOrder <=> ClaimOrder { NewestFirst, OldestFirst });

/// Filters and pagination for listing claims. Timestamps are RFC 3339; write the offset as
/// `Z` or percent-encode `+`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
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
    /// Only claims made by this source.
    pub claimant_id: Option<String>,
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
    /// Full-text search, 1 to 1,000 characters: claims whose text, context, claimant names or
    /// attribution quotes hold every word (stemmed; accents and case ignored; a word of 5 or
    /// more characters also matches the words it begins), best match first, each with a
    /// `search` member (score and highlighted snippets). `language` then also says how to read
    /// the query. Punctuation, quotes and operators are plain text.
    #[param(max_length = 1000)]
    pub q: Option<String>,
    /// With `q`: only claims at this sourcing level.
    pub sourcing_level: Option<SourcingLevel>,
    /// Without `q`: newest first (the default) or oldest first, by creation. A `page_token`
    /// continues the order it was made in.
    #[param(inline)]
    pub order: Option<ClaimOrder>,
}

impl From<ListClaimsQuery> for pb::ListClaimsRequest {
    fn from(q: ListClaimsQuery) -> Self {
        let ListClaimsQuery {
            page_size,
            page_token,
            status,
            language,
            claimant_id,
            tag,
            created_from,
            created_to,
            claimed_from,
            claimed_to,
            q: _,
            sourcing_level: _,
            order,
        } = q;
        pb::ListClaimsRequest {
            page_size,
            page_token,
            status: status.map_or(pb::ClaimStatus::Unspecified, Into::into).into(),
            language,
            claimant_id,
            tag,
            created_from: created_from.map(timestamp),
            created_to: created_to.map(timestamp),
            claimed_from,
            claimed_to,
            order: order.map_or(pb::ClaimOrder::Unspecified, Into::into).into(),
        }
    }
}

impl ListClaimsQuery {
    /// The search this query asks for, when it has `q`.
    pub fn into_search(self) -> Option<pb::SearchClaimsRequest> {
        let query = self.q.clone()?;
        let level = self.sourcing_level;
        let list = pb::ListClaimsRequest::from(self);
        Some(pb::SearchClaimsRequest {
            query,
            page_size: list.page_size,
            page_token: list.page_token,
            status: list.status,
            language: list.language,
            claimant_id: list.claimant_id,
            tag: list.tag,
            created_from: list.created_from,
            created_to: list.created_to,
            claimed_from: list.claimed_from,
            claimed_to: list.claimed_to,
            sourcing_level: level.map_or(pb::SourcingLevel::Unspecified, Into::into).into(),
        })
    }
}

/// One page of claims, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimPage {
    pub claims: Vec<Claim>,
    /// Pass as `page_token` for the next page; absent on the last page. Also in the `Link` header.
    pub next_page_token: Option<String>,
}
