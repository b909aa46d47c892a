//! `/v1/claims/{id}/claimreview`: a claim and the desk's verdict as schema.org ClaimReview.

use actix_web::{HttpRequest, HttpResponse, get, web};
use claimdesk_proto::v1 as pb;

use crate::{
    CoreClients, grpc,
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
