//! A claim's history: every change, oldest first.

use chrono::{DateTime, Utc};
use claimdesk_proto::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Attribution, ClaimStatus, bad_core_answer, from_timestamp};
use crate::problem::Problem;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Events per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i32>,
    pub page_token: Option<String>,
}

/// The claim's editable fields as they were at creation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimFields {
    pub text: String,
    pub language: String,
    pub context: Option<String>,
    pub claimant_id: Option<String>,
    pub claimed_at: Option<String>,
    pub tags: Vec<String>,
}

/// One field's value before and after an edit (null when absent).
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldChange {
    pub field: String,
    #[schema(value_type = Value)]
    pub before: serde_json::Value,
    #[schema(value_type = Value)]
    pub after: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    Created {
        claim: ClaimFields,
        status: ClaimStatus,
    },
    Edited {
        changes: Vec<FieldChange>,
    },
    AttributionAdded {
        attribution: Box<Attribution>,
    },
    AttributionEdited {
        before: Box<Attribution>,
        after: Box<Attribution>,
    },
    AttributionRemoved {
        attribution: Box<Attribution>,
    },
    StatusChanged {
        from: ClaimStatus,
        to: ClaimStatus,
        note: Option<String>,
    },
    /// This claim took in a duplicate: `moved` are the duplicate's attributions as they now
    /// stand here.
    Merged {
        duplicate_id: String,
        moved: Vec<Attribution>,
    },
    /// This claim was merged into `canonical_id`; `moved_ids` went there, `dropped_ids`
    /// repeated what it already held.
    MergedInto {
        canonical_id: String,
        moved_ids: Vec<String>,
        dropped_ids: Vec<String>,
    },
}

/// One change; `version` is the claim's version after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEvent {
    pub version: i64,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub change: Change,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPage {
    pub events: Vec<HistoryEvent>,
    pub next_page_token: Option<String>,
}

fn json(v: Option<prost_types::Value>) -> serde_json::Value {
    use prost_types::value::Kind;
    match v.and_then(|v| v.kind) {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(b)) => b.into(),
        Some(Kind::NumberValue(n)) => n.into(),
        Some(Kind::StringValue(s)) => s.into(),
        Some(Kind::ListValue(l)) => l.values.into_iter().map(|v| json(Some(v))).collect(),
        Some(Kind::StructValue(s)) => s.fields.into_iter().map(|(k, v)| (k, json(Some(v)))).collect(),
    }
}

fn attribution(a: Option<pb::Attribution>) -> Result<Box<Attribution>, Problem> {
    Attribution::try_from(a.ok_or_else(|| bad_core_answer("history event without its attribution"))?).map(Box::new)
}

fn status(raw: i32) -> Result<ClaimStatus, Problem> {
    ClaimStatus::try_from(pb::ClaimStatus::try_from(raw).map_err(|_| bad_core_answer("unknown status"))?)
}

impl TryFrom<pb::HistoryEvent> for HistoryEvent {
    type Error = Problem;

    fn try_from(e: pb::HistoryEvent) -> Result<Self, Problem> {
        use pb::history_event::Change as P;
        let pb::HistoryEvent { version, actor, at, change } = e;
        let change = match change.ok_or_else(|| bad_core_answer("history event without a change"))? {
            P::Created(pb::ClaimCreated { claim, status: s }) => {
                let pb::ClaimFields { text, language, context, claimant_id, claimed_at, tags } =
                    claim.ok_or_else(|| bad_core_answer("created event without the claim"))?;
                Change::Created {
                    claim: ClaimFields { text, language, context, claimant_id, claimed_at, tags },
                    status: status(s)?,
                }
            }
            P::Edited(pb::ClaimEdited { changes }) => Change::Edited {
                changes: changes
                    .into_iter()
                    .map(|c| FieldChange { field: c.field, before: json(c.before), after: json(c.after) })
                    .collect(),
            },
            P::AttributionAdded(a) => Change::AttributionAdded { attribution: attribution(a.attribution)? },
            P::AttributionEdited(a) => {
                Change::AttributionEdited { before: attribution(a.before)?, after: attribution(a.after)? }
            }
            P::AttributionRemoved(a) => Change::AttributionRemoved { attribution: attribution(a.attribution)? },
            P::StatusChanged(pb::StatusChanged { from, to, note }) => {
                Change::StatusChanged { from: status(from)?, to: status(to)?, note }
            }
            P::Merged(pb::ClaimMerged { duplicate_id, moved }) => Change::Merged {
                duplicate_id,
                moved: moved.into_iter().map(Attribution::try_from).collect::<Result<_, _>>()?,
            },
            P::MergedInto(pb::MergedIntoClaim { canonical_id, moved_ids, dropped_ids }) => {
                Change::MergedInto { canonical_id, moved_ids, dropped_ids }
            }
        };
        Ok(HistoryEvent { version, actor, at: from_timestamp(at)?, change })
    }
}

/// One event of the change feed (`GET /v1/events`, an SSE `data` line; gRPC `WatchEvents`).
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedEvent {
    /// Resume after this event: the SSE `id`, sent back as `Last-Event-ID` or `since`.
    pub cursor: String,
    pub claim_id: String,
    /// created, edited, attribution_added, attribution_edited, attribution_removed,
    /// status_changed, merged, merged_into (the SSE `event` name too).
    pub kind: String,
    pub event: HistoryEvent,
}

impl TryFrom<pb::FeedEvent> for FeedEvent {
    type Error = Problem;

    fn try_from(e: pb::FeedEvent) -> Result<Self, Problem> {
        let pb::FeedEvent { cursor, claim_id, kind, event } = e;
        let event = HistoryEvent::try_from(event.ok_or_else(|| bad_core_answer("feed event without its event"))?)?;
        Ok(FeedEvent { cursor, claim_id, kind, event })
    }
}

/// Where the change feed starts and what it carries; lists are comma-separated, and an absent
/// one does not filter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Resume after the event with this cursor. A `Last-Event-ID` header takes precedence.
    /// Without either: the events committed from now on.
    pub since: Option<String>,
    /// Start with the first event ever recorded (without `since` or `Last-Event-ID`).
    pub from_beginning: Option<bool>,
    /// Claim ids.
    pub claim_ids: Option<String>,
    /// Event kinds: created, edited, attribution_added, attribution_edited,
    /// attribution_removed, status_changed, merged, merged_into.
    pub kinds: Option<String>,
    /// Claim statuses (the claim's when the event is delivered).
    pub statuses: Option<String>,
    /// Tags (the claim's when the event is delivered).
    pub tags: Option<String>,
}
