//! `/v1/extract`: the attributed claims of an article, proposed; nothing stored.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, post, web};
use claimdesk_proto::v1 as pb;

use crate::{
    CoreClients,
    dto::{AcceptRequest, AcceptResult, ExtractRequest, ExtractionResult},
    extract::JsonBody,
    grpc,
    json::JsonLine,
    problem::{CommonErrors, Problem, ProblemDocument},
};

/// Propose the claims of an article.
///
/// Reads a French or English article (text, or an HTML page) and proposes the attributed
/// claims to track: each with its sentence's offsets (Unicode code points) and a W3C
/// TextQuoteSelector; its speakers and relay chains (`Peskov → TASS`), with the stored source of
/// each name when there is one; the stance and the cue that triggered it; relative dates
/// resolved against `published`; stated totals checked against their parts; rewordings of the
/// same claim merged (`merged_spans`); and the stored claims it matches. Rule-based and
/// explainable: the cues are the lexicons in `core/lexicons`. Narration without a cue proposes
/// nothing. Nothing is stored.
///
/// **Role:** viewer.
#[utoipa::path(
    tag = "claims",
    operation_id = "extract_claims",
    security(("bearer" = [])),
    request_body(content = ExtractRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The candidates, in the order of the text", body = ExtractionResult),
        (status = 400, description = "Empty text, binary data, text over 200,000 characters, a language other than French or English, or a bad date (`malformed_json`, `invalid_body`, `validation_failed`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 413, description = "Body over 1 MiB (`payload_too_large`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON (`unsupported_media_type`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[post("/extract")]
pub async fn extract_claims(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    JsonBody(body): JsonBody<ExtractRequest>,
) -> Result<HttpResponse, Problem> {
    let request = pb::ExtractClaimsRequest::from(body);
    let answer = core.claims.clone().extract_claims(grpc(&req, request)).await?.into_inner();
    Ok(HttpResponse::Ok().json_line(ExtractionResult::try_from(answer)?))
}

/// Track chosen candidates.
///
/// Stores the candidates a reporter chose from `POST /v1/extract`, in one transaction: each
/// speaker and relay (a stored source by `source_id`, else the source of that name or alias,
/// else a new source of the proposed kind), each claim (the sentence as its context, the first
/// date before publication as `claimed_at`) with its attributions, which keep the article's
/// `url` with a text fragment quoting the sentence (`#:~:text=…`, so a browser highlights it),
/// the sentence as `quote` and `published` as `published_at`. A claim's id derives from the
/// article and its text: accepting a candidate again creates nothing and answers the stored
/// claim with `created: false`. 201 when a claim was created, 200 when none was.
///
/// **Role:** reporter.
#[utoipa::path(
    tag = "claims",
    operation_id = "accept_extraction",
    security(("bearer" = [])),
    request_body(content = AcceptRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Claims created (and any accepted earlier)", body = AcceptResult),
        (status = 200, description = "Every candidate was accepted before: nothing new", body = AcceptResult),
        (status = 400, description = "No candidate, a candidate without speaker, an invalid claim, URL or source id, an unknown source id (`malformed_json`, `invalid_body`, `validation_failed`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "A source id names a merged or missing source", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 413, description = "Body over 1 MiB (`payload_too_large`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON (`unsupported_media_type`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[post("/extract/accept")]
pub async fn accept_extraction(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    JsonBody(body): JsonBody<AcceptRequest>,
) -> Result<HttpResponse, Problem> {
    let request = pb::AcceptExtractionRequest::from(body);
    let answer = core.claims.clone().accept_extraction(grpc(&req, request)).await?.into_inner();
    let result = AcceptResult::try_from(answer)?;
    let status = if result.claims.iter().any(|c| c.created) { StatusCode::CREATED } else { StatusCode::OK };
    Ok(HttpResponse::build(status).json_line(result))
}
