//! `/v1/claims`: submit, read, list and edit claims, and set the desk's status.

use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder, get,
    http::header::{self, Header},
    patch, post, web,
};
use claimdesk_proto::v1 as pb;

use super::{etag, idempotency_key, if_match_etag, mark_replay, next_link};
use crate::{
    CoreClients,
    dto::{Claim, ClaimPage, ClaimPatchRequest, CreateClaimRequest, ListClaimsQuery, StatusChangeRequest},
    extract::{JsonBody, QueryParams},
    grpc,
    problem::{CommonErrors, Problem, ProblemDocument},
};

/// A claim with its representation's tag as the `ETag`.
fn with_etag(mut response: HttpResponseBuilder, claim: &Claim) -> HttpResponse {
    response.insert_header(header::ETag(etag(&claim.etag))).json(claim)
}

/// Submit a claim.
///
/// Stores the claim with status `unverified` and version 1. A claimant given by name is
/// resolved to the source with that name or alias, or created. Every rule is checked by core;
/// a rejected claim stores nothing, and the problem lists every offending field.
///
/// **Role:** reporter.
#[utoipa::path(
    tag = "claims",
    operation_id = "create_claim",
    security(("bearer" = [])),
    request_body(content = CreateClaimRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Stored", body = Claim,
            headers(("Location" = String, description = "URL of the new claim"),
                    ("ETag" = String, description = "The tag of this representation, for If-Match and If-None-Match"))),
        (status = 400, description = "Malformed JSON, wrong types, unknown fields or a broken rule (`malformed_json`, `invalid_body`, `validation_failed`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 413, description = "Body over 1 MiB (`payload_too_large`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON (`unsupported_media_type`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[post("/claims")]
pub async fn create_claim(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    JsonBody(body): JsonBody<CreateClaimRequest>,
) -> Result<HttpResponse, Problem> {
    let mut request = pb::CreateClaimRequest::from(body);
    request.request_id = idempotency_key(&req)?;
    let answer = core.claims.clone().create_claim(grpc(&req, request)).await?;
    let mut response = HttpResponse::Created();
    mark_replay(&answer, &mut response);
    let claim = Claim::try_from(answer.into_inner())?;
    response.insert_header((header::LOCATION, format!("/v1/claims/{}", claim.id)));
    Ok(with_etag(response, &claim))
}

/// Read a claim, with its claimant and sourcing status.
///
/// Answers 304 when `If-None-Match` carries the current `ETag`.
///
/// **Role:** viewer, or none with `CLAIMDESK_PUBLIC_READ`.
#[utoipa::path(
    tag = "claims",
    operation_id = "get_claim",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id (a UUID)")),
    responses(
        (status = 200, description = "The claim", body = Claim,
            headers(("ETag" = String, description = "The tag of this representation, for If-Match and If-None-Match"))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 400, description = "The id is not a UUID (`validation_failed`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No claim has this id (`not_found`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/claims/{id}")]
pub async fn get_claim(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let request = pb::GetClaimRequest { id: id.into_inner() };
    let claim = Claim::try_from(core.claims.clone().get_claim(grpc(&req, request)).await?.into_inner())?;
    let tag = etag(&claim.etag);
    // RFC 9110 13.1.2: `*` matches any current representation; tags compare weakly.
    let not_modified = match header::IfNoneMatch::parse(&req) {
        Ok(header::IfNoneMatch::Any) => true,
        Ok(header::IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&tag)),
        Err(_) => false,
    };
    if not_modified {
        return Ok(HttpResponse::NotModified().insert_header(header::ETag(tag)).finish());
    }
    Ok(with_etag(HttpResponse::Ok(), &claim))
}

/// List claims.
///
/// Newest first, with cursor pagination: follow `next_page_token` (or the `Link: rel="next"`
/// header) until it is absent. Filters combine with AND.
///
/// **Role:** viewer, or none with `CLAIMDESK_PUBLIC_READ`.
#[utoipa::path(
    tag = "claims",
    operation_id = "list_claims",
    security(("bearer" = [])),
    params(ListClaimsQuery),
    responses(
        (status = 200, description = "One page of claims", body = ClaimPage,
            headers(("Link" = String, description = "`<url>; rel=\"next\"` when there is a next page"))),
        (status = 400, description = "Unknown parameter, wrong type, page_size outside 1..=100, garbage page_token, impossible date (`invalid_query`, `validation_failed`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/claims")]
pub async fn list_claims(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    QueryParams(query): QueryParams<ListClaimsQuery>,
) -> Result<HttpResponse, Problem> {
    let page = core.claims.clone().list_claims(grpc(&req, pb::ListClaimsRequest::from(query))).await?.into_inner();
    let claims = page.claims.into_iter().map(Claim::try_from).collect::<Result<Vec<_>, _>>()?;
    let next_page_token = Some(page.next_page_token).filter(|t| !t.is_empty());
    let mut response = HttpResponse::Ok();
    if let Some(token) = &next_page_token {
        response.insert_header((header::LINK, format!("<{}>; rel=\"next\"", next_link(&req, token))));
    }
    Ok(response.json(ClaimPage { claims, next_page_token }))
}

/// Edit a claim.
///
/// JSON merge patch: only the fields present change, `null` clears an optional one. Needs
/// `If-Match` with the claim's current `ETag`; every change lands in the history with the
/// before and after of each changed field.
///
/// **Role:** editor.
#[utoipa::path(
    tag = "claims",
    operation_id = "update_claim",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The claim's id"),
        ("If-Match" = String, Header, description = "The claim's current ETag, such as \"3\""),
    ),
    request_body(content = ClaimPatchRequest, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The edited claim", body = Claim,
            headers(("ETag" = String, description = "The claim's new ETag"))),
        (status = 400, description = "Invalid input (`malformed_json`, `invalid_body`, `validation_failed`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No claim has this id", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, description = "The ETag is stale: someone changed the claim since (`version_mismatch`, with `current_version`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match (`precondition_required`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[patch("/claims/{id}")]
pub async fn update_claim(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
    JsonBody(body): JsonBody<ClaimPatchRequest>,
) -> Result<HttpResponse, Problem> {
    let etag = if_match_etag(&req, &core, &id).await?;
    let request = body.into_proto(id.into_inner(), etag);
    let claim = Claim::try_from(core.claims.clone().update_claim(grpc(&req, request)).await?.into_inner())?;
    Ok(with_etag(HttpResponse::Ok(), &claim))
}

/// Set the desk's status.
///
/// unverified → in_review → confirmed, partly_confirmed, unverifiable, disputed or false; a
/// verdict can be replaced or reopened to in_review. Every verdict needs a note. `confirmed`
/// needs two independent supporting sources or a confirmation by a named person,
/// organisation or official body (denials do not block it). Needs `If-Match`.
///
/// **Role:** editor.
#[utoipa::path(
    tag = "claims",
    operation_id = "set_status",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The claim's id"),
        ("If-Match" = String, Header, description = "The claim's current ETag"),
    ),
    request_body(content = StatusChangeRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The claim with its new status", body = Claim,
            headers(("ETag" = String, description = "The claim's new ETag"))),
        (status = 400, description = "Unknown status, or a verdict without a note (`invalid_body`, `validation_failed`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No claim has this id", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "The change breaks a rule: `invalid_transition`, or `confirmation_requirements_not_met` naming what is missing", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, description = "Stale ETag (`version_mismatch`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match (`precondition_required`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[post("/claims/{id}/status")]
pub async fn set_status(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
    JsonBody(body): JsonBody<StatusChangeRequest>,
) -> Result<HttpResponse, Problem> {
    let etag = if_match_etag(&req, &core, &id).await?;
    let StatusChangeRequest { status, note } = body;
    let request = pb::SetStatusRequest {
        claim_id: id.into_inner(),
        expected_version: 0,
        status: pb::ClaimStatus::from(status).into(),
        note,
        etag,
    };
    let claim = Claim::try_from(core.claims.clone().set_status(grpc(&req, request)).await?.into_inner())?;
    Ok(with_etag(HttpResponse::Ok(), &claim))
}
