//! `/v1/webhooks`: webhooks and their deliveries, for admins.

use actix_web::{HttpRequest, HttpResponse, delete, get, http::header, post, web};
use claimdesk_proto::v1 as pb;

use crate::{
    CoreClients,
    dto::{
        CreateWebhookRequest, CreatedWebhook, DeliveriesQuery, Delivery, DeliveryPage, EnableQuery, Webhook,
        WebhookList,
    },
    extract::{JsonBody, QueryParams},
    grpc,
    json::JsonLine,
    problem::{CommonErrors, Problem, ProblemDocument},
};

use super::page_of;

/// Register a webhook. **Role: admin.**
///
/// Every change-feed event of the kinds asked for (every kind when `events` is empty),
/// committed from now on, is POSTed to `url` as the same JSON as a `GET /v1/events` message's
/// `data`, signed after the Standard Webhooks specification: headers `webhook-id` (the same on
/// every attempt), `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,` and the
/// base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` keyed with the secret).
/// A 2xx answer within 10 s acknowledges a delivery; anything else is retried with exponential
/// backoff and jitter (5 s doubling up to 1 h), in order per claim. After 30 failed attempts in
/// a row the webhook is disabled. The answer holds the secret, shown this once.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "create_webhook",
    security(("bearer" = [])),
    request_body(content = CreateWebhookRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered; the secret is shown once", body = CreatedWebhook,
            headers(("Location" = String, description = "The webhook's URL"))),
        (status = 400, description = "Invalid input (a bad or refused URL, an unknown event kind)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    JsonBody(body): JsonBody<CreateWebhookRequest>,
) -> Result<HttpResponse, Problem> {
    let created =
        core.webhooks.clone().create_webhook(grpc(&req, pb::CreateWebhookRequest::from(body))).await?.into_inner();
    let pb::CreatedWebhook { webhook, secret } = created;
    let webhook = Webhook::try_from(webhook.unwrap_or_default())?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/webhooks/{}", webhook.id)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json_line(CreatedWebhook { webhook, secret }))
}

/// List webhooks, oldest first, never their secrets. **Role: admin.**
#[utoipa::path(
    tag = "webhooks",
    operation_id = "list_webhooks",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every webhook", body = WebhookList),
        CommonErrors,
    )
)]
#[get("/webhooks")]
pub async fn list_webhooks(req: HttpRequest, core: web::Data<CoreClients>) -> Result<HttpResponse, Problem> {
    let list = core.webhooks.clone().list_webhooks(grpc(&req, pb::ListWebhooksRequest {})).await?.into_inner();
    let webhooks = list.webhooks.into_iter().map(Webhook::try_from).collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json_line(WebhookList { webhooks }))
}

/// A webhook: its state, failures in a row and deliveries waiting. **Role: admin.**
#[utoipa::path(
    tag = "webhooks",
    operation_id = "get_webhook",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The webhook", body = Webhook),
        (status = 400, description = "The id is not a UUID", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No webhook has this id", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let request = pb::GetWebhookRequest { id: id.into_inner() };
    let webhook = core.webhooks.clone().get_webhook(grpc(&req, request)).await?.into_inner();
    Ok(HttpResponse::Ok().json_line(Webhook::try_from(webhook)?))
}

/// Delete a webhook and its deliveries. **Role: admin.**
#[utoipa::path(
    tag = "webhooks",
    operation_id = "delete_webhook",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not a UUID", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No webhook has this id", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let request = pb::DeleteWebhookRequest { id: id.into_inner() };
    core.webhooks.clone().delete_webhook(grpc(&req, request)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Enable a webhook, optionally replaying from a cursor. **Role: admin.**
///
/// Its failures in a row are forgotten and its waiting deliveries tried at once; it takes the
/// events committed while it was disabled. With `replay_from`, it takes again every event after
/// that change-feed cursor.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "enable_webhook",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The webhook's id"), EnableQuery),
    responses(
        (status = 200, description = "Enabled", body = Webhook),
        (status = 400, description = "Bad id or cursor; a cursor this database did not issue (`cursor_out_of_range`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No webhook has this id", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[post("/webhooks/{id}/enable")]
pub async fn enable_webhook(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
    QueryParams(query): QueryParams<EnableQuery>,
) -> Result<HttpResponse, Problem> {
    if query.replay_from.as_deref() == Some("") {
        return Err(Problem::bad_field("validation_failed", "replay_from", "must be a change-feed cursor, not empty"));
    }
    let request = pb::EnableWebhookRequest { id: id.into_inner(), replay_from: query.replay_from.unwrap_or_default() };
    let webhook = core.webhooks.clone().enable_webhook(grpc(&req, request)).await?.into_inner();
    Ok(HttpResponse::Ok().json_line(Webhook::try_from(webhook)?))
}

/// Disable a webhook: nothing is sent until it is enabled again. **Role: admin.**
#[utoipa::path(
    tag = "webhooks",
    operation_id = "disable_webhook",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "Disabled", body = Webhook),
        (status = 400, description = "The id is not a UUID", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No webhook has this id", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[post("/webhooks/{id}/disable")]
pub async fn disable_webhook(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let request = pb::DisableWebhookRequest { id: id.into_inner() };
    let webhook = core.webhooks.clone().disable_webhook(grpc(&req, request)).await?.into_inner();
    Ok(HttpResponse::Ok().json_line(Webhook::try_from(webhook)?))
}

/// A webhook's deliveries, newest first: attempts, last status and error, next attempt.
/// **Role: admin.**
#[utoipa::path(
    tag = "webhooks",
    operation_id = "list_deliveries",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The webhook's id"), DeliveriesQuery),
    responses(
        (status = 200, description = "One page of deliveries", body = DeliveryPage,
            headers(("Link" = String, description = "`<url>; rel=\"next\"` when there is a next page"))),
        (status = 400, description = "Bad id, state, page_size or page_token", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No webhook has this id", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
    QueryParams(query): QueryParams<DeliveriesQuery>,
) -> Result<HttpResponse, Problem> {
    let DeliveriesQuery { state, page_size, page_token } = query;
    if state.as_deref() == Some("") {
        return Err(Problem::bad_field(
            "validation_failed",
            "state",
            "must be pending or delivered, or absent for both",
        ));
    }
    let request = pb::ListDeliveriesRequest {
        webhook_id: id.into_inner(),
        state: state.unwrap_or_default(),
        page_size,
        page_token,
    };
    let page = core.webhooks.clone().list_deliveries(grpc(&req, request)).await?.into_inner();
    let deliveries = page.deliveries.into_iter().map(Delivery::try_from).collect::<Result<Vec<_>, _>>()?;
    let next_page_token = Some(page.next_page_token).filter(|t| !t.is_empty());
    Ok(page_of(&req, next_page_token.as_deref()).json_line(DeliveryPage { deliveries, next_page_token }))
}
