//! `claimdesk.v1.WebhookService`: admins manage webhooks and read their deliveries.

use claimdesk_proto::v1::{self as pb, webhook_service_server::WebhookService};
use tonic::{Request, Response, Status};

use super::{authorize, convert::timestamp};
use crate::{
    domain::{Access, Delivery, Role, Webhook, WebhookInput},
    service::{Webhooks, feed},
};

#[derive(Debug, Clone)]
pub struct WebhookApi {
    webhooks: Webhooks,
    auth: crate::service::Auth,
}

impl WebhookApi {
    pub fn new(webhooks: Webhooks, auth: crate::service::Auth) -> Self {
        Self { webhooks, auth }
    }
}

impl From<Webhook> for pb::Webhook {
    fn from(w: Webhook) -> Self {
        pb::Webhook {
            id: w.id.to_string(),
            url: w.url,
            description: w.description,
            events: w.kinds.into_iter().map(|k| <&str>::from(k).to_owned()).collect(),
            enabled: w.enabled,
            disabled_reason: w.disabled_reason,
            consecutive_failures: w.failures,
            cursor: feed::cursor_of(w.feed_position),
            pending_deliveries: w.pending,
            created_by: w.created_by,
            created_at: Some(timestamp(w.created_at)),
            updated_at: Some(timestamp(w.updated_at)),
        }
    }
}

impl From<Delivery> for pb::Delivery {
    fn from(d: Delivery) -> Self {
        let state: &str = d.state().into();
        let pending = d.delivered_at.is_none();
        pb::Delivery {
            id: d.id.to_string(),
            webhook_id: d.webhook_id.to_string(),
            cursor: feed::cursor_of(d.feed_position),
            kind: d.kind,
            claim_id: d.claim_id.to_string(),
            state: state.to_owned(),
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            last_attempt_at: d.last_attempt_at.map(timestamp),
            next_attempt_at: pending.then(|| timestamp(d.next_attempt_at)),
            delivered_at: d.delivered_at.map(timestamp),
            created_at: Some(timestamp(d.created_at)),
        }
    }
}

const ADMIN: Access = Access::Role(Role::Admin);

#[tonic::async_trait]
impl WebhookService for WebhookApi {
    async fn create_webhook(
        &self,
        request: Request<pb::CreateWebhookRequest>,
    ) -> Result<Response<pb::CreatedWebhook>, Status> {
        let actor = authorize(&self.auth, &request, ADMIN).await?;
        let pb::CreateWebhookRequest { url, events, description } = request.into_inner();
        let (webhook, secret) = self.webhooks.create(WebhookInput { url, events, description }, actor).await?;
        Ok(Response::new(pb::CreatedWebhook { webhook: Some(webhook.into()), secret }))
    }

    async fn get_webhook(&self, request: Request<pb::GetWebhookRequest>) -> Result<Response<pb::Webhook>, Status> {
        authorize(&self.auth, &request, ADMIN).await?;
        let pb::GetWebhookRequest { id } = request.into_inner();
        Ok(Response::new(self.webhooks.get(&id).await?.into()))
    }

    async fn list_webhooks(
        &self,
        request: Request<pb::ListWebhooksRequest>,
    ) -> Result<Response<pb::ListWebhooksResponse>, Status> {
        authorize(&self.auth, &request, ADMIN).await?;
        let webhooks = self.webhooks.list().await?;
        Ok(Response::new(pb::ListWebhooksResponse { webhooks: webhooks.into_iter().map(Into::into).collect() }))
    }

    async fn delete_webhook(
        &self,
        request: Request<pb::DeleteWebhookRequest>,
    ) -> Result<Response<pb::DeleteWebhookResponse>, Status> {
        authorize(&self.auth, &request, ADMIN).await?;
        let pb::DeleteWebhookRequest { id } = request.into_inner();
        self.webhooks.delete(&id).await?;
        Ok(Response::new(pb::DeleteWebhookResponse {}))
    }

    async fn enable_webhook(
        &self,
        request: Request<pb::EnableWebhookRequest>,
    ) -> Result<Response<pb::Webhook>, Status> {
        authorize(&self.auth, &request, ADMIN).await?;
        let pb::EnableWebhookRequest { id, replay_from } = request.into_inner();
        Ok(Response::new(self.webhooks.enable(&id, &replay_from).await?.into()))
    }

    async fn disable_webhook(
        &self,
        request: Request<pb::DisableWebhookRequest>,
    ) -> Result<Response<pb::Webhook>, Status> {
        let actor = authorize(&self.auth, &request, ADMIN).await?;
        let pb::DisableWebhookRequest { id } = request.into_inner();
        Ok(Response::new(self.webhooks.disable(&id, &actor).await?.into()))
    }

    async fn list_deliveries(
        &self,
        request: Request<pb::ListDeliveriesRequest>,
    ) -> Result<Response<pb::ListDeliveriesResponse>, Status> {
        authorize(&self.auth, &request, ADMIN).await?;
        let pb::ListDeliveriesRequest { webhook_id, state, page_size, page_token } = request.into_inner();
        let page = self.webhooks.deliveries(&webhook_id, &state, page_size, page_token.as_deref()).await?;
        Ok(Response::new(pb::ListDeliveriesResponse {
            deliveries: page.items.into_iter().map(Into::into).collect(),
            next_page_token: page.next_page_token.unwrap_or_default(),
        }))
    }
}
