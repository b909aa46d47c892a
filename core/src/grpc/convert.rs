//! Conversions between protobuf messages and domain types. Requests are destructured in full
//! so that a field added to the contract does not compile until it is handled here.

use chrono::{DateTime, Utc};
use claimdesk_proto::v1 as pb;

use uuid::Uuid;

use crate::domain::{
    Attribution, AttributionFields, Change, ClaimInput, ClaimPatch, ClaimSnapshot, ClaimStatus, ClaimView, Error,
    Event, FieldChange, FieldViolation, Grade, ListParams, ReviewFeedParams, Role, Source, SourceFields, SourceKind,
    SourceListParams, SourceRef, Sourcing, SourcingLevel, Stance, Violations,
};
use crate::service::{ImportOutcome, ImportReport, Match, SearchHit, SearchParams};

/// A protobuf enum field that may be left UNSPECIFIED.
pub trait ProtoEnum: Sized {
    /// `None` for UNSPECIFIED; an error naming the value for a number outside the enum.
    fn from_proto(raw: i32) -> Result<Option<Self>, String>;
}

/// A domain enum and its protobuf twin, whose variants share their names.
macro_rules! proto_enum {
    ($domain:ident <=> $pb:ident, $what:literal { $($variant:ident),+ $(,)? }) => {
        impl From<$domain> for pb::$pb {
            fn from(value: $domain) -> Self {
                match value {
                    $($domain::$variant => pb::$pb::$variant,)+
                }
            }
        }

        impl ProtoEnum for $domain {
            fn from_proto(raw: i32) -> Result<Option<Self>, String> {
                match pb::$pb::try_from(raw).map_err(|_| format!(concat!("unknown ", $what, " {}"), raw))? {
                    pb::$pb::Unspecified => Ok(None),
                    $(pb::$pb::$variant => Ok(Some($domain::$variant)),)+
                }
            }
        }
    };
}

proto_enum!(ClaimStatus <=> ClaimStatus, "claim status" {
    Unverified, InReview, Confirmed, PartlyConfirmed, Unverifiable, Disputed, False
});
proto_enum!(SourceKind <=> SourceKind, "source kind" {
    Person, Organization, OfficialBody, NewsOutlet, NewsAgency, Document, Anonymous
});
proto_enum!(Grade <=> ReliabilityGrade, "reliability grade" { A, B, C, D, E, F });
proto_enum!(Stance <=> Stance, "stance" { Asserts, Confirms, Denies, Disputes, Context });
proto_enum!(SourcingLevel <=> SourcingLevel, "sourcing level" {
    Unsourced, SingleSource, Corroborated, Confirmed, Contested
});
proto_enum!(Role <=> Role, "role" { Viewer, Reporter, Editor, Admin });

pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 }
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

/// The field mask's paths; an absent mask names nothing.
pub fn mask_paths(mask: Option<prost_types::FieldMask>) -> Vec<String> {
    mask.map(|m| m.paths).unwrap_or_default()
}

impl From<SourceRef> for pb::SourceRef {
    fn from(s: SourceRef) -> Self {
        pb::SourceRef { id: s.id.to_string(), name: s.name, kind: pb::SourceKind::from(s.kind).into() }
    }
}

impl From<Sourcing> for pb::Sourcing {
    fn from(s: Sourcing) -> Self {
        pb::Sourcing {
            level: pb::SourcingLevel::from(s.level).into(),
            anonymous_only: s.anonymous_only,
            independent_supporting: s.independent_supporting as i32,
            named_supporting: s.named_supporting as i32,
            anonymous_supporting: s.anonymous_supporting as i32,
            confirmations: s.confirmations as i32,
            denials: s.denials as i32,
            disputes: s.disputes as i32,
            earliest_published_at: s.earliest_published_at.map(|d| d.to_string()),
            latest_published_at: s.latest_published_at.map(|d| d.to_string()),
            explanation: s.explanation(),
            primary_confirmation: s.primary_confirmation,
            reasons: s.reasons,
        }
    }
}

impl From<ClaimView> for pb::Claim {
    fn from(view: ClaimView) -> Self {
        let ClaimView { claim, claimant, sourcing, etag } = view;
        pb::Claim {
            id: claim.id.to_string(),
            text: claim.text,
            language: claim.language,
            context: claim.context,
            claimant: claimant.map(Into::into),
            claimed_at: claim.claimed_at.map(|d| d.to_string()),
            tags: claim.tags,
            status: pb::ClaimStatus::from(claim.status).into(),
            version: claim.version,
            created_at: Some(timestamp(claim.created_at)),
            updated_at: Some(timestamp(claim.updated_at)),
            sourcing: Some(sourcing.into()),
            etag,
            merged_into: claim.merged_into.map(|id| id.to_string()),
            possible_duplicates: Vec::new(),
        }
    }
}

impl From<Match> for pb::ClaimMatch {
    fn from(m: Match) -> Self {
        pb::ClaimMatch { claim: Some(m.claim.into()), score: m.score }
    }
}

impl From<SearchHit> for pb::SearchHit {
    fn from(hit: SearchHit) -> Self {
        pb::SearchHit {
            claim: Some(hit.claim.into()),
            score: hit.score,
            snippets: hit
                .snippets
                .into_iter()
                .map(|s| pb::Snippet {
                    field: s.field.to_owned(),
                    text: s.text,
                    highlights: s
                        .highlights
                        .into_iter()
                        .map(|(start, end)| pb::Highlight { start: start as i32, end: end as i32 })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl TryFrom<pb::SearchClaimsRequest> for SearchParams {
    type Error = Error;

    fn try_from(req: pb::SearchClaimsRequest) -> Result<Self, Error> {
        let pb::SearchClaimsRequest {
            query,
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
            sourcing_level,
        } = req;
        let level = SourcingLevel::from_proto(sourcing_level).map_err(|e| Error::invalid("sourcing_level", e))?;
        let list = ListParams::try_from(pb::ListClaimsRequest {
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
            order: pb::ClaimOrder::Unspecified.into(),
        })?;
        Ok(SearchParams { query, list, sourcing_level: level })
    }
}

impl TryFrom<pb::CreateClaimRequest> for ClaimInput {
    type Error = Error;

    fn try_from(req: pb::CreateClaimRequest) -> Result<Self, Error> {
        let pb::CreateClaimRequest {
            text,
            language,
            context,
            claimant,
            claimed_at,
            tags,
            claimant_id,
            claimant_kind,
            attributions,
            request_id: _,
            reject_duplicates_above,
        } = req;
        let claimant_kind = SourceKind::from_proto(claimant_kind).map_err(|e| Error::invalid("claimant_kind", e))?;
        let attributions = attributions
            .into_iter()
            .enumerate()
            .map(|(i, fields)| {
                AttributionFields::try_from(Some(fields)).map_err(|e| match e {
                    Error::Validation(found) => Error::Validation(
                        found
                            .into_iter()
                            .map(|v| FieldViolation::new(format!("attributions[{i}].{}", v.field), v.description))
                            .collect(),
                    ),
                    other => other,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(ClaimInput {
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
        })
    }
}

impl From<pb::ClaimFields> for ClaimPatch {
    fn from(fields: pb::ClaimFields) -> Self {
        let pb::ClaimFields { text, language, context, claimant_id, claimed_at, tags } = fields;
        ClaimPatch { text, language, context, claimant_id, claimed_at, tags }
    }
}

impl TryFrom<pb::ListClaimReviewsRequest> for ReviewFeedParams {
    type Error = Error;

    fn try_from(req: pb::ListClaimReviewsRequest) -> Result<Self, Error> {
        let pb::ListClaimReviewsRequest { status, updated_since, page_size, page_token } = req;
        let mut v = Violations::default();
        let status = v.check("status", ClaimStatus::from_proto(status));
        let updated_since = v.check("updated_since", from_timestamp(updated_since));
        v.into_result()?;
        Ok(ReviewFeedParams { page_size, page_token, status: status.flatten(), updated_since: updated_since.flatten() })
    }
}

proto_enum!(ImportOutcome <=> ImportOutcome, "import outcome" { Created, Updated, Unchanged, Linked, Skipped });

impl From<ImportReport> for pb::ImportReport {
    fn from(report: ImportReport) -> Self {
        let count = |outcome| report.count(outcome) as u32;
        pb::ImportReport {
            created: count(ImportOutcome::Created),
            updated: count(ImportOutcome::Updated),
            unchanged: count(ImportOutcome::Unchanged),
            linked: count(ImportOutcome::Linked),
            skipped: count(ImportOutcome::Skipped),
            items: report
                .items
                .into_iter()
                .map(|item| pb::ImportedItem {
                    at: item.at,
                    outcome: pb::ImportOutcome::from(item.outcome).into(),
                    claim_id: item.claim_id.map(|id| id.to_string()).unwrap_or_default(),
                    review_key: item.review_key.unwrap_or_default(),
                    publisher: item.publisher.unwrap_or_default(),
                    label: item.label.unwrap_or_default(),
                    verdict: item.verdict.map_or(pb::ClaimStatus::Unspecified, pb::ClaimStatus::from).into(),
                    score: item.score,
                    reason: item.reason.unwrap_or_default(),
                    warnings: item.warnings,
                })
                .collect(),
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
            claimant_id,
            tag,
            created_from,
            created_to,
            claimed_from,
            claimed_to,
            order,
        } = req;
        let mut v = Violations::default();
        let status = v.check("status", ClaimStatus::from_proto(status));
        let oldest_first = v.check(
            "order",
            match pb::ClaimOrder::try_from(order) {
                Ok(pb::ClaimOrder::OldestFirst) => Ok(true),
                Ok(_) => Ok(false),
                Err(_) => Err(format!("{order} is not a ClaimOrder")),
            },
        );
        let created_from = v.check("created_from", from_timestamp(created_from));
        let created_to = v.check("created_to", from_timestamp(created_to));
        v.into_result()?;
        Ok(ListParams {
            page_size,
            page_token,
            status: status.flatten(),
            language,
            claimant_id,
            tag,
            created_from: created_from.flatten(),
            created_to: created_to.flatten(),
            claimed_from,
            claimed_to,
            oldest_first: oldest_first.unwrap_or_default(),
        })
    }
}

impl From<Source> for pb::Source {
    fn from(s: Source) -> Self {
        pb::Source {
            id: s.id.to_string(),
            name: s.name,
            kind: pb::SourceKind::from(s.kind).into(),
            descriptor: s.descriptor,
            homepage: s.homepage,
            aliases: s.aliases,
            reliability: s
                .reliability
                .map(|r| pb::Reliability { grade: pb::ReliabilityGrade::from(r.grade).into(), rationale: r.rationale }),
            notes: s.notes,
            version: s.version,
            created_at: Some(timestamp(s.created_at)),
            updated_at: Some(timestamp(s.updated_at)),
        }
    }
}

impl TryFrom<pb::SourceFields> for SourceFields {
    type Error = Error;

    fn try_from(fields: pb::SourceFields) -> Result<Self, Error> {
        let pb::SourceFields { name, kind, descriptor, homepage, aliases, reliability, notes } = fields;
        let mut v = Violations::default();
        let kind = v.check("kind", SourceKind::from_proto(kind));
        let reliability = reliability
            .map(|r| {
                let pb::Reliability { grade, rationale } = r;
                v.check("reliability", Grade::from_proto(grade)).map(|grade| (grade, rationale))
            })
            .map(|r| r.unwrap_or((None, None)));
        v.into_result()?;
        Ok(SourceFields { name, kind: kind.flatten(), descriptor, homepage, aliases, reliability, notes })
    }
}

impl TryFrom<pb::ListSourcesRequest> for SourceListParams {
    type Error = Error;

    fn try_from(req: pb::ListSourcesRequest) -> Result<Self, Error> {
        let pb::ListSourcesRequest { page_size, page_token, query, kind, ids } = req;
        let kind = SourceKind::from_proto(kind).map_err(|e| Error::invalid("kind", e))?;
        Ok(SourceListParams { page_size, page_token, query, kind, ids })
    }
}

impl From<Attribution> for pb::Attribution {
    fn from(a: Attribution) -> Self {
        pb::Attribution {
            id: a.id.to_string(),
            claim_id: a.claim_id.to_string(),
            speaker_id: a.speaker_id.to_string(),
            stance: pb::Stance::from(a.stance).into(),
            relay_ids: a.relay_ids.iter().map(ToString::to_string).collect(),
            quote: a.quote,
            url: a.url,
            published_at: a.published_at.map(|d| d.to_string()),
            recorded_by: a.recorded_by,
            recorded_at: Some(timestamp(a.recorded_at)),
        }
    }
}

impl TryFrom<Option<pb::AttributionFields>> for AttributionFields {
    type Error = Error;

    fn try_from(fields: Option<pb::AttributionFields>) -> Result<Self, Error> {
        let pb::AttributionFields { speaker_id, stance, relay_ids, quote, url, published_at } =
            fields.ok_or_else(|| Error::invalid("attribution", "is required"))?;
        let stance = Stance::from_proto(stance).map_err(|e| Error::invalid("stance", e))?;
        Ok(AttributionFields { speaker_id, stance, relay_ids, quote, url, published_at })
    }
}

fn snapshot(s: ClaimSnapshot) -> pb::ClaimCreated {
    let ClaimSnapshot { text, language, context, claimant_id, claimed_at, tags, status } = s;
    pb::ClaimCreated {
        claim: Some(pb::ClaimFields {
            text,
            language,
            context,
            claimant_id: claimant_id.map(|id| id.to_string()),
            claimed_at: claimed_at.map(|d| d.to_string()),
            tags,
        }),
        status: pb::ClaimStatus::from(status).into(),
    }
}

/// JSON values as protobuf `Value`s, for the before and after of edits.
fn json_value(v: serde_json::Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match v {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => Kind::StringValue(s),
        serde_json::Value::Array(items) => {
            Kind::ListValue(prost_types::ListValue { values: items.into_iter().map(json_value).collect() })
        }
        serde_json::Value::Object(map) => Kind::StructValue(prost_types::Struct {
            fields: map.into_iter().map(|(k, v)| (k, json_value(v))).collect(),
        }),
    };
    prost_types::Value { kind: Some(kind) }
}

impl From<Event> for pb::HistoryEvent {
    fn from(e: Event) -> Self {
        use pb::history_event::Change as P;
        let change = match e.change {
            Change::Created { claim } => P::Created(snapshot(claim)),
            Change::Edited { changes } => P::Edited(pb::ClaimEdited {
                changes: changes
                    .into_iter()
                    .map(|FieldChange { field, before, after }| pb::FieldChange {
                        field,
                        before: Some(json_value(before)),
                        after: Some(json_value(after)),
                    })
                    .collect(),
            }),
            Change::AttributionAdded { attribution } => {
                P::AttributionAdded(pb::AttributionAdded { attribution: Some(attribution.into()) })
            }
            Change::AttributionEdited { before, after } => {
                P::AttributionEdited(pb::AttributionEdited { before: Some(before.into()), after: Some(after.into()) })
            }
            Change::AttributionRemoved { attribution } => {
                P::AttributionRemoved(pb::AttributionRemoved { attribution: Some(attribution.into()) })
            }
            Change::StatusChanged { from, to, note } => P::StatusChanged(pb::StatusChanged {
                from: pb::ClaimStatus::from(from).into(),
                to: pb::ClaimStatus::from(to).into(),
                note,
            }),
            Change::Merged { duplicate_id, moved } => P::Merged(pb::ClaimMerged {
                duplicate_id: duplicate_id.to_string(),
                moved: moved.into_iter().map(Into::into).collect(),
            }),
            Change::MergedInto { canonical_id, moved, dropped } => P::MergedInto(pb::MergedIntoClaim {
                canonical_id: canonical_id.to_string(),
                moved_ids: moved.iter().map(Uuid::to_string).collect(),
                dropped_ids: dropped.iter().map(Uuid::to_string).collect(),
            }),
        };
        pb::HistoryEvent { version: e.version, actor: e.actor, at: Some(timestamp(e.at)), change: Some(change) }
    }
}
