//! `/v1/tokens`: API tokens, for admins.

use actix_web::{HttpRequest, HttpResponse, delete, get, http::header, post, web};
use claimdesk_proto::v1 as pb;

use crate::{
    CoreClients,
    dto::{CreateTokenRequest, CreatedToken, Token, TokenList},
    extract::JsonBody,
    grpc,
    json::JsonLine,
    problem::{CommonErrors, Problem, ProblemDocument},
};

/// Create a token. **Role: admin.**
///
/// The answer holds the secret, shown this once: only its hash is stored.
#[utoipa::path(
    tag = "tokens",
    operation_id = "create_token",
    security(("bearer" = [])),
    request_body(content = CreateTokenRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; the secret is shown once", body = CreatedToken),
        (status = 400, description = "Invalid input", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[post("/tokens")]
pub async fn create_token(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    JsonBody(body): JsonBody<CreateTokenRequest>,
) -> Result<HttpResponse, Problem> {
    let created = core.tokens.clone().create_token(grpc(&req, pb::CreateTokenRequest::from(body))).await?.into_inner();
    let pb::CreatedToken { token, secret } = created;
    let token = Token::try_from(token.unwrap_or_default())?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json_line(CreatedToken { token, secret }))
}

/// List tokens, never their secrets. **Role: admin.**
#[utoipa::path(
    tag = "tokens",
    operation_id = "list_tokens",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every token", body = TokenList),
        CommonErrors,
    )
)]
#[get("/tokens")]
pub async fn list_tokens(req: HttpRequest, core: web::Data<CoreClients>) -> Result<HttpResponse, Problem> {
    let list = core.tokens.clone().list_tokens(grpc(&req, pb::ListTokensRequest {})).await?.into_inner();
    let tokens = list.tokens.into_iter().map(Token::try_from).collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json_line(TokenList { tokens }))
}

/// Revoke a token, at once. **Role: admin.**
#[utoipa::path(
    tag = "tokens",
    operation_id = "revoke_token",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The token's id")),
    responses(
        (status = 200, description = "Revoked", body = Token),
        (status = 400, description = "The id is not a UUID", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
        (status = 404, description = "No token has this id", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "The last usable admin token (`last_admin_token`): create another admin token first", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
#[delete("/tokens/{id}")]
pub async fn revoke_token(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let token = core.tokens.clone().revoke_token(grpc(&req, pb::RevokeTokenRequest { id: id.into_inner() })).await?;
    Ok(HttpResponse::Ok().json_line(Token::try_from(token.into_inner())?))
}
