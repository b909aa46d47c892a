//! `/v1/claims/{id}/sourcing` and `/v1/claims/{id}/history`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use claimdesk_proto::v1 as pb;

use super::page_of;
use crate::{
    CoreClients,
    dto::{HistoryEvent, HistoryPage, HistoryQuery, Sourcing},
    extract::QueryParams,
    grpc,
    json::JsonLine,
    problem::{CommonErrors, Problem, ProblemDocument},
};

/// A claim's sourcing status.
///
/// Computed by core from the attributions on every read: independent supporting sources
/// (relays of one origin count once), named and anonymous ones, confirmations, denials, a level
/// and the reasons for it. The rules are in ARCHITECTURE.md.
///
/// **Role:** viewer, or none with `CLAIMDESK_PUBLIC_READ`.
#[utoipa::path(
    tag = "claims",
    operation_id = "get_sourcing",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id")),
    responses(
        (status = 200, description = "The sourcing status", body = Sourcing),
        (status = 400, description = "The id is not a UUID", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No claim has this id", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/claims/{id}/sourcing")]
pub async fn get_sourcing(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let request = pb::GetSourcingRequest { claim_id: id.into_inner() };
    let sourcing = Sourcing::try_from(core.claims.clone().get_sourcing(grpc(&req, request)).await?.into_inner())?;
    Ok(HttpResponse::Ok().json_line(sourcing))
}

/// A claim's history: every change, oldest first, with its actor and time.
///
/// Append-only: no API edits or deletes it. Replaying it gives the current claim.
///
/// **Role:** viewer.
#[utoipa::path(
    tag = "claims",
    operation_id = "get_history",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id"), HistoryQuery),
    responses(
        (status = 200, description = "One page of events", body = HistoryPage,
            headers(("Link" = String, description = "`<url>; rel=\"next\"` when there is a next page"))),
        (status = 400, description = "Bad id, page_size or page_token", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No claim has this id", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/claims/{id}/history")]
pub async fn get_history(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
    QueryParams(query): QueryParams<HistoryQuery>,
) -> Result<HttpResponse, Problem> {
    let HistoryQuery { page_size, page_token } = query;
    let request = pb::GetHistoryRequest { claim_id: id.into_inner(), page_size, page_token };
    let page = core.claims.clone().get_history(grpc(&req, request)).await?.into_inner();
    let events = page.events.into_iter().map(HistoryEvent::try_from).collect::<Result<Vec<_>, _>>()?;
    let next_page_token = Some(page.next_page_token).filter(|t| !t.is_empty());
    Ok(page_of(&req, next_page_token.as_deref()).json_line(HistoryPage { events, next_page_token }))
}
