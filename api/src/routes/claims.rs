//! `/v1/claims`: submit, read, list and edit claims, and set the desk's status.

use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder, get,
    http::header::{self, Header},
    patch, post, web,
};
use claimdesk_proto::v1 as pb;

use super::{etag, idempotency_key, if_match_etag, mark_replay, page_of};
use crate::{
    CoreClients,
    dto::{
        Claim, ClaimPage, ClaimPatchRequest, CreateClaimRequest, ListClaimsQuery, MergeRequest, MergeResult,
        SimilarClaims, SimilarRequest, StatusChangeRequest,
    },
    extract::{JsonBody, QueryParams},
    grpc,
    json::JsonLine,
    problem::{CommonErrors, Problem, ProblemDocument},
};

/// A claim with its representation's tag as the `ETag`.
fn with_etag(mut response: HttpResponseBuilder, claim: &Claim) -> HttpResponse {
    response.insert_header(header::ETag(etag(&claim.etag))).json_line(claim)
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
        (status = 409, description = "`reject_duplicates_above` was given and stored claims score that much or more (`possible_duplicate`, with `matches`); nothing was stored", body = ProblemDocument, content_type = "application/problem+json"),
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
/// Answers 304 when `If-None-Match` carries the current `ETag`, and 301 with `Location` (and
/// the merged claim as body, `merged_into` set) when the claim was merged into another.
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
        (status = 301, description = "The claim was merged: `Location` names the canonical claim; the body is the merged claim", body = Claim,
            headers(("Location" = String, description = "URL of the canonical claim"))),
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
    if let Some(canonical) = &claim.merged_into {
        let mut response = HttpResponse::MovedPermanently();
        response.insert_header((header::LOCATION, format!("/v1/claims/{canonical}")));
        return Ok(with_etag(response, &claim));
    }
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

/// List or search claims.
///
/// Newest first, with cursor pagination: follow `next_page_token` (or the `Link: rel="next"`
/// header) until it is absent. Filters combine with AND. With `q`, a full-text search: best
/// match first, each claim with its `search` score and snippets; `sourcing_level` narrows it.
/// Merged claims are left out (their canonical claim is found by their words too).
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
        (status = 400, description = "Unknown parameter, wrong type, page_size outside 1..=100, garbage page_token, impossible date, a query over 1,000 characters or without a word, `sourcing_level` without `q` (`invalid_query`, `validation_failed`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/claims")]
pub async fn list_claims(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    QueryParams(query): QueryParams<ListClaimsQuery>,
) -> Result<HttpResponse, Problem> {
    if query.q.is_some() && query.order.is_some() {
        return Err(Problem::new(
            actix_web::http::StatusCode::BAD_REQUEST,
            "validation_failed",
            "order sorts a list; a search (q) answers best match first",
        )
        .with_field("order", "not with q"));
    }
    if query.q.is_none() && query.sourcing_level.is_some() {
        return Err(Problem::new(
            actix_web::http::StatusCode::BAD_REQUEST,
            "validation_failed",
            "sourcing_level narrows a search: give q too",
        )
        .with_field("sourcing_level", "needs q"));
    }
    let search = query.q.is_some().then(|| query.clone().into_search()).flatten();
    let (claims, next_page_token) = match search {
        Some(search) => {
            let page = core.claims.clone().search_claims(grpc(&req, search)).await?.into_inner();
            (page.hits.into_iter().map(Claim::try_from).collect::<Result<Vec<_>, _>>()?, page.next_page_token)
        }
        None => {
            let page =
                core.claims.clone().list_claims(grpc(&req, pb::ListClaimsRequest::from(query))).await?.into_inner();
            (page.claims.into_iter().map(Claim::try_from).collect::<Result<Vec<_>, _>>()?, page.next_page_token)
        }
    };
    let next_page_token = Some(next_page_token).filter(|t| !t.is_empty());
    Ok(page_of(&req, next_page_token.as_deref()).json_line(ClaimPage { claims, next_page_token }))
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

/// Claims like a stored one.
///
/// The stored claims most like this one (its text and context), best first, each with a score
/// from 0 (nothing in common) to 1 (the same words); the claim itself is left out.
///
/// **Role:** viewer, or none with `CLAIMDESK_PUBLIC_READ`.
#[utoipa::path(
    tag = "claims",
    operation_id = "similar_to_claim",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The claim's id"),
        ("limit" = Option<i32>, Query, description = "How many matches at most, 1 to 100 (default 20)", minimum = 1, maximum = 100),
    ),
    responses(
        (status = 200, description = "The matches, best first", body = SimilarClaims),
        (status = 400, description = "The id is not a UUID, or a bad limit (`validation_failed`, `invalid_query`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No claim has this id", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/claims/{id}/similar")]
pub async fn similar_to_claim(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
    QueryParams(query): QueryParams<SimilarQuery>,
) -> Result<HttpResponse, Problem> {
    let request = pb::FindSimilarRequest {
        subject: Some(pb::find_similar_request::Subject::ClaimId(id.into_inner())),
        language: String::new(),
        limit: query.limit,
    };
    let answer = core.claims.clone().find_similar(grpc(&req, request)).await?.into_inner();
    Ok(HttpResponse::Ok().json_line(SimilarClaims::try_from(answer)?))
}

/// `?limit=` of the similar claims of a stored claim.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimilarQuery {
    limit: Option<i32>,
}

/// Claims like a text.
///
/// The stored claims most like a text that is not stored (a draft, a post, a quote), best
/// first, each with a score from 0 to 1. Links, @mentions and an embedded post's signature are
/// ignored; hashtags count as their words.
///
/// **Role:** viewer, or none with `CLAIMDESK_PUBLIC_READ`.
#[utoipa::path(
    tag = "claims",
    operation_id = "similar_to_text",
    security(("bearer" = [])),
    request_body(content = SimilarRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The matches, best first", body = SimilarClaims),
        (status = 400, description = "Empty or over-long text, unknown language, bad limit (`malformed_json`, `invalid_body`, `validation_failed`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 413, description = "Body over 1 MiB (`payload_too_large`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON (`unsupported_media_type`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[post("/claims/similar")]
pub async fn similar_to_text(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    JsonBody(body): JsonBody<SimilarRequest>,
) -> Result<HttpResponse, Problem> {
    let SimilarRequest { text, language, limit } = body;
    let request =
        pb::FindSimilarRequest { subject: Some(pb::find_similar_request::Subject::Text(text)), language, limit };
    let answer = core.claims.clone().find_similar(grpc(&req, request)).await?.into_inner();
    Ok(HttpResponse::Ok().json_line(SimilarClaims::try_from(answer)?))
}

/// Merge a duplicate into this claim.
///
/// The duplicate's attributions move here (those this claim already holds are dropped); both
/// claims get a new version and a history event (`merged`, `merged_into`); the duplicate then
/// points here (`merged_into`; `GET` on it answers 301), and lists and searches show this claim
/// only. Needs `If-Match` with this claim's ETag; `duplicate_etag` guards the duplicate too.
///
/// **Role:** editor.
#[utoipa::path(
    tag = "claims",
    operation_id = "merge_claims",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The canonical claim's id: the one that stays"),
        ("If-Match" = String, Header, description = "The canonical claim's current ETag"),
    ),
    request_body(content = MergeRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Both claims after the merge", body = MergeResult,
            headers(("ETag" = String, description = "The canonical claim's new ETag"))),
        (status = 400, description = "Invalid input, or a claim merged into itself (`malformed_json`, `invalid_body`, `validation_failed`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No claim has one of the ids", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "One of the claims was merged already (`claim_merged`), or the merged claim would hold over 500 attributions (`too_many_attributions`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, description = "A stale ETag (`version_mismatch`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match (`precondition_required`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[post("/claims/{id}/merge")]
pub async fn merge_claims(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
    JsonBody(body): JsonBody<MergeRequest>,
) -> Result<HttpResponse, Problem> {
    let if_match = if_match_etag(&req, &core, &id).await?;
    let MergeRequest { duplicate_id, duplicate_etag } = body;
    let request = pb::MergeClaimsRequest {
        claim_id: id.into_inner(),
        duplicate_id,
        etag: if_match,
        duplicate_etag: duplicate_etag.map(|t| t.trim_matches('"').to_owned()).unwrap_or_default(),
    };
    let answer = core.claims.clone().merge_claims(grpc(&req, request)).await?.into_inner();
    let canonical = Claim::try_from(answer.canonical.unwrap_or_default())?;
    let merged = Claim::try_from(answer.merged.unwrap_or_default())?;
    let tag = super::etag(&canonical.etag);
    Ok(HttpResponse::Ok().insert_header(header::ETag(tag)).json_line(MergeResult { canonical, merged }))
}
