//! `/v1/claims/{id}/attributions`: who said what about a claim, through whom.

use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, delete, get, http::header, post, put, web};
use claimdesk_proto::v1 as pb;

use super::{etag, if_match_etag, page_of};
use crate::{
    CoreClients,
    dto::{Attribution, AttributionChange, AttributionList, AttributionListQuery, AttributionRequest},
    extract::{JsonBody, QueryParams},
    grpc,
    json::JsonLine,
    problem::{CommonErrors, Problem, ProblemDocument},
};

/// The change, with the claim's new version as the `ETag`.
fn respond(mut response: HttpResponseBuilder, change: pb::AttributionChange) -> Result<HttpResponse, Problem> {
    let change = AttributionChange::try_from(change)?;
    Ok(response.insert_header(header::ETag(etag(&change.claim_etag))).json_line(change))
}

/// List a claim's attributions, in the order they were recorded, a page at a time.
///
/// **Role:** viewer.
#[utoipa::path(
    tag = "attributions",
    operation_id = "list_attributions",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id"), AttributionListQuery),
    responses(
        (status = 200, description = "One page of the attributions, in recorded order", body = AttributionList,
            headers(("Link" = String, description = "`<url>; rel=\"next\"` when there is a next page"))),
        (status = 400, description = "The id is not a UUID", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No claim has this id", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/claims/{id}/attributions")]
pub async fn list_attributions(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
    QueryParams(query): QueryParams<AttributionListQuery>,
) -> Result<HttpResponse, Problem> {
    let AttributionListQuery { page_size, page_token } = query;
    let request = pb::ListAttributionsRequest { claim_id: id.into_inner(), page_size, page_token };
    let list = core.claims.clone().list_attributions(grpc(&req, request)).await?.into_inner();
    let attributions = list.attributions.into_iter().map(Attribution::try_from).collect::<Result<Vec<_>, _>>()?;
    let next_page_token = Some(list.next_page_token).filter(|t| !t.is_empty());
    Ok(page_of(&req, next_page_token.as_deref()).json_line(AttributionList { attributions, next_page_token }))
}

/// Read one attribution of a claim.
///
/// **Role:** viewer.
#[utoipa::path(
    tag = "attributions",
    operation_id = "get_attribution",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The claim's id"),
        ("attribution_id" = String, Path, description = "The attribution's id"),
    ),
    responses(
        (status = 200, description = "The attribution", body = Attribution),
        (status = 400, description = "An id is not a UUID", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "The claim has no attribution with this id", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/claims/{id}/attributions/{attribution_id}")]
pub async fn get_attribution(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    let (claim_id, attribution_id) = path.into_inner();
    let request = pb::GetAttributionRequest { claim_id, attribution_id };
    let attribution = core.claims.clone().get_attribution(grpc(&req, request)).await?.into_inner();
    Ok(HttpResponse::Ok().json_line(Attribution::try_from(attribution)?))
}

/// Record a source's statement about a claim.
///
/// The speaker is the statement's origin; `relay_ids` are the sources that carried it to the
/// newsroom, in order (Peskov → TASS: speaker Peskov, relays [TASS]). Bumps the claim's
/// version: send its `ETag` as `If-Match`.
///
/// **Role:** reporter.
#[utoipa::path(
    tag = "attributions",
    operation_id = "add_attribution",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The claim's id"),
        ("If-Match" = String, Header, description = "The claim's current ETag"),
    ),
    request_body(content = AttributionRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded", body = AttributionChange,
            headers(("Location" = String, description = "URL of the attribution"),
                    ("ETag" = String, description = "The claim's new ETag"))),
        (status = 400, description = "Invalid input: unknown source id, relay chain with the speaker or a repeat, unknown stance (`invalid_body`, `validation_failed`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No claim has this id", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, description = "Stale ETag (`version_mismatch`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match (`precondition_required`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[post("/claims/{id}/attributions")]
pub async fn add_attribution(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
    JsonBody(body): JsonBody<AttributionRequest>,
) -> Result<HttpResponse, Problem> {
    let etag = if_match_etag(&req, &core, &id).await?;
    let claim_id = id.into_inner();
    let request = pb::AddAttributionRequest {
        claim_id: claim_id.clone(),
        expected_version: 0,
        attribution: Some(body.into()),
        etag,
    };
    let change = core.claims.clone().add_attribution(grpc(&req, request)).await?.into_inner();
    let mut response = HttpResponse::Created();
    if let Some(a) = &change.attribution {
        response.insert_header((header::LOCATION, format!("/v1/claims/{claim_id}/attributions/{}", a.id)));
    }
    respond(response, change)
}

/// Replace an attribution's content.
///
/// **Role:** editor.
#[utoipa::path(
    tag = "attributions",
    operation_id = "replace_attribution",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The claim's id"),
        ("attribution_id" = String, Path, description = "The attribution's id"),
        ("If-Match" = String, Header, description = "The claim's current ETag"),
    ),
    request_body(content = AttributionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Replaced", body = AttributionChange,
            headers(("ETag" = String, description = "The claim's new ETag"))),
        (status = 400, description = "Invalid input", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No such claim or attribution", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, description = "Stale ETag (`version_mismatch`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match (`precondition_required`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[put("/claims/{id}/attributions/{attribution_id}")]
pub async fn replace_attribution(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    path: web::Path<(String, String)>,
    JsonBody(body): JsonBody<AttributionRequest>,
) -> Result<HttpResponse, Problem> {
    let (claim_id, attribution_id) = path.into_inner();
    let etag = if_match_etag(&req, &core, &claim_id).await?;
    let request = pb::UpdateAttributionRequest {
        claim_id,
        attribution_id,
        expected_version: 0,
        attribution: Some(body.into()),
        etag,
    };
    respond(HttpResponse::Ok(), core.claims.clone().update_attribution(grpc(&req, request)).await?.into_inner())
}

/// Remove an attribution. The history keeps it.
///
/// **Role:** editor.
#[utoipa::path(
    tag = "attributions",
    operation_id = "remove_attribution",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The claim's id"),
        ("attribution_id" = String, Path, description = "The attribution's id"),
        ("If-Match" = String, Header, description = "The claim's current ETag"),
    ),
    responses(
        (status = 200, description = "Removed; `attribution` is null", body = AttributionChange,
            headers(("ETag" = String, description = "The claim's new ETag"))),
        (status = 400, description = "An id is not a UUID", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No such claim or attribution", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, description = "Stale ETag (`version_mismatch`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match (`precondition_required`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[delete("/claims/{id}/attributions/{attribution_id}")]
pub async fn remove_attribution(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    let (claim_id, attribution_id) = path.into_inner();
    let etag = if_match_etag(&req, &core, &claim_id).await?;
    let request = pb::RemoveAttributionRequest { claim_id, attribution_id, expected_version: 0, etag };
    respond(HttpResponse::Ok(), core.claims.clone().remove_attribution(grpc(&req, request)).await?.into_inner())
}
