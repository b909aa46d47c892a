//! `/v1/extract`: the attributed claims of an article, proposed; nothing stored.

use actix_web::{HttpRequest, HttpResponse, post, web};
use claimdesk_proto::v1 as pb;

use crate::{
    CoreClients,
    dto::{ExtractRequest, ExtractionResult},
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
