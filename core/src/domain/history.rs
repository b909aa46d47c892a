//! History: the append-only log of every change to a claim. The current state always equals
//! the replay of the log ([`replay`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Attribution, Claim, ClaimStatus, PartialDate};

/// The editable state of a claim, as recorded at creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimSnapshot {
    pub text: String,
    pub language: String,
    pub context: Option<String>,
    pub claimant_id: Option<Uuid>,
    pub claimed_at: Option<PartialDate>,
    pub tags: Vec<String>,
    pub status: ClaimStatus,
}

impl ClaimSnapshot {
    pub fn of(claim: &Claim) -> Self {
        ClaimSnapshot {
            text: claim.text.clone(),
            language: claim.language.clone(),
            context: claim.context.clone(),
            claimant_id: claim.claimant_id,
            claimed_at: claim.claimed_at,
            tags: claim.tags.clone(),
            status: claim.status,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// A field's value before and after an edit, as JSON (null when absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// A change; its kind (`ChangeKind`, derived) is named as serde names it ("attribution_added").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[strum_discriminants(
    name(ChangeKind),
    derive(Hash, strum::IntoStaticStr, strum::EnumString, strum::VariantNames),
    strum(serialize_all = "snake_case")
)]
pub enum Change {
    Created {
        claim: ClaimSnapshot,
    },
    Edited {
        changes: Vec<FieldChange>,
    },
    AttributionAdded {
        attribution: Attribution,
    },
    AttributionEdited {
        before: Attribution,
        after: Attribution,
    },
    AttributionRemoved {
        attribution: Attribution,
    },
    StatusChanged {
        from: ClaimStatus,
        to: ClaimStatus,
        note: Option<String>,
    },
    /// This claim (the canonical one) took in a duplicate: `moved` are the duplicate's
    /// attributions as they now stand on this claim (those it already had are not moved).
    Merged {
        duplicate_id: Uuid,
        moved: Vec<Attribution>,
    },
    /// This claim was merged into `canonical_id`: its attributions `moved` went there, the
    /// `dropped` ones repeated what the canonical claim already held.
    MergedInto {
        canonical_id: Uuid,
        moved: Vec<Uuid>,
        dropped: Vec<Uuid>,
    },
}

impl Change {
    /// The change's kind as stored and as the change feed names it.
    pub fn kind(&self) -> &'static str {
        ChangeKind::from(self).into()
    }
}

/// One change, with the claim's version after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub claim_id: Uuid,
    pub version: i64,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub change: Change,
}

/// A claim's state rebuilt from its history.
#[derive(Debug, Clone, PartialEq)]
pub struct Replayed {
    pub claim: ClaimSnapshot,
    pub version: i64,
    pub attributions: BTreeMap<Uuid, Attribution>,
}

/// Rebuilds a claim from its events, oldest first. Fails on a log that is not a clean
/// sequence: a first event other than `created`, a gap or repeat in versions, or a change
/// that does not fit the state.
pub fn replay(events: &[Event]) -> Result<Replayed, String> {
    let mut events = events.iter();
    let Some(Event { version: 1, change: Change::Created { claim }, .. }) = events.next() else {
        return Err("history does not start with `created` at version 1".into());
    };
    let mut state = Replayed { claim: claim.clone(), version: 1, attributions: BTreeMap::new() };
    for event in events {
        if event.version != state.version + 1 {
            return Err(format!("version {} follows {}", event.version, state.version));
        }
        state.version = event.version;
        match &event.change {
            Change::Created { .. } => return Err(format!("second `created` at version {}", event.version)),
            Change::Edited { changes } => {
                let mut json = state.claim.to_json();
                for change in changes {
                    if json[&change.field] != change.before {
                        return Err(format!("version {}: {} was not {}", event.version, change.field, change.before));
                    }
                    json[&change.field] = change.after.clone();
                }
                state.claim = serde_json::from_value(json).map_err(|e| format!("version {}: {e}", event.version))?;
            }
            Change::AttributionAdded { attribution } => {
                if state.attributions.insert(attribution.id, attribution.clone()).is_some() {
                    return Err(format!("version {}: attribution {} added twice", event.version, attribution.id));
                }
            }
            Change::AttributionEdited { before, after } => {
                if state.attributions.get(&before.id) != Some(before) {
                    return Err(format!("version {}: attribution {} was not as recorded", event.version, before.id));
                }
                state.attributions.insert(after.id, after.clone());
            }
            Change::AttributionRemoved { attribution } => {
                if state.attributions.remove(&attribution.id).is_none() {
                    return Err(format!("version {}: attribution {} was not there", event.version, attribution.id));
                }
            }
            Change::Merged { moved, .. } => {
                for attribution in moved {
                    if state.attributions.insert(attribution.id, attribution.clone()).is_some() {
                        return Err(format!(
                            "version {}: attribution {} moved in twice",
                            event.version, attribution.id
                        ));
                    }
                }
            }
            Change::MergedInto { moved, dropped, .. } => {
                for id in moved.iter().chain(dropped) {
                    if state.attributions.remove(id).is_none() {
                        return Err(format!("version {}: attribution {id} was not there", event.version));
                    }
                }
            }
            Change::StatusChanged { from, to, .. } => {
                if state.claim.status != *from {
                    return Err(format!("version {}: status was {}, not {from}", event.version, state.claim.status));
                }
                state.claim.status = *to;
            }
        }
    }
    Ok(state)
}
