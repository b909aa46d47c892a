//! `/v1/claims/{id}/claimreview`: a claim and the desk's verdict as schema.org ClaimReview;
//! `/v1/claimreview`: the reviewed claims as a schema.org DataFeed.

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use chrono::{DateTime, Utc};
use claimdesk_proto::v1 as pb;
use serde::Deserialize;
use utoipa::IntoParams;

use super::next_link;
use crate::{
    CoreClients,
    dto::{ClaimStatus, bad_core_answer, timestamp},
    extract::QueryParams,
    grpc,
    problem::{CommonErrors, Problem, ProblemDocument},
};

/// The claim and its verdict as schema.org ClaimReview JSON-LD.
///
/// What fact-checkers publish and search engines read, with Google's required and recommended
/// fields wherever the data exists: `claimReviewed` (the text), `itemReviewed` (a `Claim`: its
/// claimant as `author`, when it was claimed as `datePublished`, the attributions' URLs and dates
/// as `appearance` and `firstAppearance`), `reviewRating`, `author` (the publishing organisation,
/// `CLAIMDESK_PUBLISHER_NAME` and `CLAIMDESK_PUBLISHER_URL`), `datePublished` (the day the
/// current verdict was given) and `url` (`CLAIMDESK_CLAIMREVIEW_URL`, `{id}` replaced).
///
/// The rating scale: `ratingValue` 1 false, 2 disputed, 3 partly_confirmed, 4 confirmed
/// (`worstRating` 1, `bestRating` 4); unverifiable has no value. `alternateName` names the
/// verdict in the claim's language (French, else English: "Faux", "Contesté", "Partiellement
/// confirmé", "Confirmé", "Invérifiable").
///
/// **Role:** viewer, or none with `CLAIMDESK_PUBLIC_READ`.
#[utoipa::path(
    tag = "claims",
    operation_id = "get_claim_review",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id")),
    responses(
        (status = 200, description = "The ClaimReview document", content_type = "application/ld+json", body = Object),
        (status = 400, description = "The id is not a UUID", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No claim has this id", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "The claim has no verdict yet (`no_verdict`: unverified or in_review)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/claims/{id}/claimreview")]
pub async fn get_claim_review(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let request = pb::GetClaimReviewRequest { claim_id: id.into_inner() };
    let review = core.claims.clone().get_claim_review(grpc(&req, request)).await?.into_inner();
    Ok(HttpResponse::Ok().content_type("application/ld+json").body(review.json_ld))
}

/// Filters and pagination of the ClaimReview feed. Timestamps are RFC 3339; write the offset as
/// `Z` or percent-encode `+`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewFeedQuery {
    /// Reviews per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i32>,
    /// `next_page_token` from the previous page.
    pub page_token: Option<String>,
    /// Only this verdict: confirmed, partly_confirmed, unverifiable, disputed or false
    /// (unverified and in_review have no review: 400).
    pub status: Option<ClaimStatus>,
    /// Only claims changed at or after this instant.
    pub updated_since: Option<DateTime<Utc>>,
}

/// The reviewed claims as a schema.org DataFeed.
///
/// Every claim with a verdict, as the `ClaimReview` of `GET /v1/claims/{id}/claimreview`
/// wrapped in a `DataFeedItem` (`dateCreated`, `dateModified`, `item`), oldest change first:
/// the form Google's Fact Check Tools and Data Commons ingest. A consumer that keeps the last
/// page's `next_page_token`, or the last `dateModified` as `updated_since`, reads only what
/// changed since. Merged claims are left out (their canonical claim is in). The body also holds
/// `next_page_token`, absent on the last page, and the `Link` header the next page's URL.
///
/// **Role:** viewer, or none with `CLAIMDESK_PUBLIC_READ`.
#[utoipa::path(
    tag = "claims",
    operation_id = "list_claim_reviews",
    security(("bearer" = [])),
    params(ReviewFeedQuery),
    responses(
        (status = 200, description = "One page of the DataFeed", content_type = "application/ld+json", body = Object,
            headers(("Link" = String, description = "`<url>; rel=\"next\"` when there is a next page"))),
        (status = 400, description = "Unknown parameter, wrong type, a status that is no verdict, page_size outside 1..=100, garbage page_token (`invalid_query`, `validation_failed`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/claimreview")]
pub async fn list_claim_reviews(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    QueryParams(query): QueryParams<ReviewFeedQuery>,
) -> Result<HttpResponse, Problem> {
    let ReviewFeedQuery { page_size, page_token, status, updated_since } = query;
    let request = pb::ListClaimReviewsRequest {
        status: status.map_or(pb::ClaimStatus::Unspecified, Into::into).into(),
        updated_since: updated_since.map(timestamp),
        page_size,
        page_token,
    };
    let feed = core.claims.clone().list_claim_reviews(grpc(&req, request)).await?.into_inner();
    let mut response = HttpResponse::Ok();
    response.content_type("application/ld+json");
    if feed.next_page_token.is_empty() {
        return Ok(response.body(feed.json_ld));
    }
    response.insert_header((header::LINK, format!("<{}>; rel=\"next\"", next_link(&req, &feed.next_page_token))));
    // The page token goes into the document core wrote, as in every other list's body.
    let mut document: serde_json::Value =
        serde_json::from_str(&feed.json_ld).map_err(|_| bad_core_answer("a ClaimReview feed that is not JSON"))?;
    document["next_page_token"] = serde_json::Value::String(feed.next_page_token);
    Ok(response.body(document.to_string()))
}
