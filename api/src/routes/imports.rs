//! `/v1/import/claimreview`: other publishers' ClaimReview into claims.

use actix_web::{HttpRequest, HttpResponse, post, web};
use claimdesk_proto::v1 as pb;

use crate::{
    CoreClients,
    dto::ImportReport,
    extract::DocumentBody,
    grpc,
    json::JsonLine,
    problem::{CommonErrors, Problem, ProblemDocument},
};

/// Import ClaimReview from a JSON-LD document or an HTML page.
///
/// The body is the document itself: `application/ld+json` or `application/json` for JSON-LD (a
/// ClaimReview, a list of them, a `@graph`, a `DataFeed` or a `DataFeedItem`), `text/html` for a
/// page with `<script type="application/ld+json">` blocks (a block that is not valid JSON is
/// mended when it can be, else passed over and reported); at most 10 MB and 500 reviews (the
/// command line, `claimdesk import claimreview`, takes any number).
///
/// Each review becomes a claim: `claimReviewed` its text; the claimant (`itemReviewed.author`) a
/// source, found by name or created; `itemReviewed.datePublished` when it was claimed; each
/// appearance URL a statement of the claimant's; the reviewing organisation (`author`) a source
/// whose statement links to the review and quotes its rating. The rating becomes the claim's
/// verdict through the rating table (README, "Importing ClaimReview"); the claim goes through
/// `in_review` to it, with a note naming the review. A review already imported (same `url`,
/// else same content) is updated instead, the claim following the publisher's new verdict
/// unless the desk changed it since; one like a stored claim (similarity at or above
/// `CLAIMDESK_IMPORT_LINK_THRESHOLD`) is linked to it, the desk's status staying. One
/// transaction per review: the answer says, review by review, what was created, updated,
/// linked or left unchanged, and what was skipped and why.
///
/// **Role:** editor.
#[utoipa::path(
    tag = "claims",
    operation_id = "import_claimreview",
    security(("bearer" = [])),
    request_body(
        description = "The ClaimReview document (JSON-LD) or the page (HTML)",
        content(
            (Object = "application/ld+json"),
            (Object = "application/json"),
            (String = "text/html"),
        ),
    ),
    responses(
        (status = 200, description = "What became of each review", body = ImportReport),
        (status = 400, description = "The document is not UTF-8, not JSON, holds no ClaimReview, or more than 500 (`validation_failed`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 413, description = "Over 10 MB (`payload_too_large`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON or HTML (`unsupported_media_type`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[post("/import/claimreview")]
pub async fn import_claimreview(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    body: DocumentBody,
) -> Result<HttpResponse, Problem> {
    let request = pb::ImportClaimReviewsRequest { document: body.bytes, content_type: body.content_type };
    let report = core.claims.clone().import_claim_reviews(grpc(&req, request)).await?.into_inner();
    Ok(HttpResponse::Ok().json_line(ImportReport::try_from(report)?))
}
