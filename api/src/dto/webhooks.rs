//! Webhooks, for admins.

use chrono::{DateTime, Utc};
use claimdesk_proto::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{from_optional_timestamp, from_timestamp};
use crate::problem::Problem;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://cms.example.org/hooks/claimdesk", "events": ["created", "status_changed"], "description": "CMS sidebar"}))]
pub struct CreateWebhookRequest {
    /// Where events are POSTed: http or https, at most 2,000 characters. A private, loopback or
    /// link-local address is refused unless `CLAIMDESK_WEBHOOK_ALLOWED_HOSTS` lists it.
    pub url: String,
    /// Event kinds (created, edited, attribution_added, attribution_edited,
    /// attribution_removed, status_changed, merged, merged_into); absent or empty: every kind.
    #[serde(default)]
    pub events: Vec<String>,
    /// At most 500 characters.
    pub description: Option<String>,
}

impl From<CreateWebhookRequest> for pb::CreateWebhookRequest {
    fn from(req: CreateWebhookRequest) -> Self {
        let CreateWebhookRequest { url, events, description } = req;
        pb::CreateWebhookRequest { url, events, description }
    }
}

/// A webhook, never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    /// The event kinds it receives; empty: every kind.
    pub events: Vec<String>,
    pub enabled: bool,
    /// Why it is disabled: by an admin, or after too many failed attempts in a row.
    pub disabled_reason: Option<String>,
    /// Failed attempts in a row; a success resets it. At 30 the webhook is disabled.
    pub consecutive_failures: i32,
    /// The change-feed cursor of the last event it has taken.
    pub cursor: String,
    /// Deliveries not yet acknowledged.
    pub pending_deliveries: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<pb::Webhook> for Webhook {
    type Error = Problem;

    fn try_from(w: pb::Webhook) -> Result<Self, Problem> {
        let pb::Webhook {
            id,
            url,
            description,
            events,
            enabled,
            disabled_reason,
            consecutive_failures,
            cursor,
            pending_deliveries,
            created_by,
            created_at,
            updated_at,
        } = w;
        Ok(Webhook {
            id,
            url,
            description,
            events,
            enabled,
            disabled_reason,
            consecutive_failures,
            cursor,
            pending_deliveries,
            created_by,
            created_at: from_timestamp(created_at)?,
            updated_at: from_timestamp(updated_at)?,
        })
    }
}

/// A new webhook and its signing secret: the only time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    /// `whsec_` and a base64 key, as the Standard Webhooks libraries take it: each delivery's
    /// `webhook-signature` is `v1,` and the base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`
    /// keyed with the decoded key. Store it now: it cannot be shown again.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<Webhook>,
}

/// One event on its way to a webhook.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    /// The `webhook-id` header: the same on every attempt, for receivers to drop repeats.
    pub id: String,
    pub webhook_id: String,
    /// The event's change-feed cursor.
    pub cursor: String,
    pub kind: String,
    pub claim_id: String,
    /// pending or delivered.
    pub state: String,
    pub attempts: i32,
    /// The receiver's last HTTP status; absent when it gave none (refused, timed out).
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When it is tried next (pending deliveries).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<pb::Delivery> for Delivery {
    type Error = Problem;

    fn try_from(d: pb::Delivery) -> Result<Self, Problem> {
        let pb::Delivery {
            id,
            webhook_id,
            cursor,
            kind,
            claim_id,
            state,
            attempts,
            last_status,
            last_error,
            last_attempt_at,
            next_attempt_at,
            delivered_at,
            created_at,
        } = d;
        Ok(Delivery {
            id,
            webhook_id,
            cursor,
            kind,
            claim_id,
            state,
            attempts,
            last_status,
            last_error,
            last_attempt_at: from_optional_timestamp(last_attempt_at)?,
            next_attempt_at: from_optional_timestamp(next_attempt_at)?,
            delivered_at: from_optional_timestamp(delivered_at)?,
            created_at: from_timestamp(created_at)?,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub deliveries: Vec<Delivery>,
    pub next_page_token: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// pending or delivered; absent: both.
    pub state: Option<String>,
    /// Deliveries per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i32>,
    pub page_token: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EnableQuery {
    /// Take again every event after this change-feed cursor (deliveries already made are sent
    /// again, under their first `webhook-id`). Absent: go on from where it stopped, nothing lost.
    pub replay_from: Option<String>,
}
