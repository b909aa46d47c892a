//! `/v1/sources`: whoever says or relays things.

use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, get, http::header, patch, post, web};
use claimdesk_proto::v1 as pb;

use super::{idempotency_key, if_match_version, mark_replay, page_of};
use crate::{
    CoreClients,
    dto::{
        AttributionListQuery, CreateSourceRequest, ListSourcesQuery, Source, SourcePage, SourcePatchRequest,
        SourceStatement, SourceStatementList,
    },
    extract::{JsonBody, QueryParams},
    grpc,
    json::JsonLine,
    problem::{CommonErrors, Problem, ProblemDocument},
};

fn with_etag(mut response: HttpResponseBuilder, source: pb::Source) -> Result<HttpResponse, Problem> {
    let source = Source::try_from(source)?;
    Ok(response
        .insert_header(header::ETag(header::EntityTag::new_strong(source.version.to_string())))
        .json_line(source))
}

/// Create a source.
///
/// Names are unique: a name or alias matching an existing source's (ignoring case, accents,
/// punctuation and a leading article such as "The", "Le", "La", "L'") answers 409 with the
/// existing source's id.
///
/// **Role:** reporter.
#[utoipa::path(
    tag = "sources",
    operation_id = "create_source",
    security(("bearer" = [])),
    request_body(content = CreateSourceRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = Source,
            headers(("Location" = String, description = "URL of the new source"),
                    ("ETag" = String, description = "The source's version"))),
        (status = 400, description = "Invalid input: unknown kind, blank name, anonymous without descriptor, bad URL (`invalid_body`, `validation_failed`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "A source already has this name or alias (`already_exists`, with `existing_id`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[post("/sources")]
pub async fn create_source(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    JsonBody(body): JsonBody<CreateSourceRequest>,
) -> Result<HttpResponse, Problem> {
    let mut request = pb::CreateSourceRequest::from(body);
    request.request_id = idempotency_key(&req)?;
    let answer = core.sources.clone().create_source(grpc(&req, request)).await?;
    let mut response = HttpResponse::Created();
    mark_replay(&answer, &mut response);
    let source = answer.into_inner();
    response.insert_header((header::LOCATION, format!("/v1/sources/{}", source.id)));
    with_etag(response, source)
}

/// Read a source.
///
/// **Role:** viewer.
#[utoipa::path(
    tag = "sources",
    operation_id = "get_source",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The source's id")),
    responses(
        (status = 200, description = "The source", body = Source),
        (status = 400, description = "The id is not a UUID", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No source has this id", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/sources/{id}")]
pub async fn get_source(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let source =
        core.sources.clone().get_source(grpc(&req, pb::GetSourceRequest { id: id.into_inner() })).await?.into_inner();
    with_etag(HttpResponse::Ok(), source)
}

/// List or search sources, by name.
///
/// **Role:** viewer.
#[utoipa::path(
    tag = "sources",
    operation_id = "list_sources",
    security(("bearer" = [])),
    params(ListSourcesQuery),
    responses(
        (status = 200, description = "One page of sources", body = SourcePage),
        (status = 400, description = "Bad parameter (`invalid_query`, `validation_failed`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/sources")]
pub async fn list_sources(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    QueryParams(query): QueryParams<ListSourcesQuery>,
) -> Result<HttpResponse, Problem> {
    let page = core.sources.clone().list_sources(grpc(&req, pb::ListSourcesRequest::from(query))).await?.into_inner();
    let sources = page.sources.into_iter().map(Source::try_from).collect::<Result<Vec<_>, _>>()?;
    let next_page_token = Some(page.next_page_token).filter(|t| !t.is_empty());
    Ok(page_of(&req, next_page_token.as_deref()).json_line(SourcePage { sources, next_page_token }))
}

/// Edit a source.
///
/// JSON merge patch: only the fields present change. Needs `If-Match` with the source's ETag.
///
/// **Role:** editor.
#[utoipa::path(
    tag = "sources",
    operation_id = "update_source",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The source's id"),
        ("If-Match" = String, Header, description = "The source's current ETag"),
    ),
    request_body(content = SourcePatchRequest, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The edited source", body = Source),
        (status = 400, description = "Invalid input", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No source has this id", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "Another source has this name or alias (`already_exists`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, description = "Stale ETag (`version_mismatch`)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match (`precondition_required`)", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[patch("/sources/{id}")]
pub async fn update_source(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
    JsonBody(body): JsonBody<SourcePatchRequest>,
) -> Result<HttpResponse, Problem> {
    let version = if_match_version(&req, &core, &id).await?;
    let source =
        core.sources.clone().update_source(grpc(&req, body.into_proto(id.into_inner(), version))).await?.into_inner();
    with_etag(HttpResponse::Ok(), source)
}

/// List the statements a source made (as their speaker), newest first, each with its claim's
/// text and status.
///
/// **Role:** viewer.
#[utoipa::path(
    tag = "sources",
    operation_id = "list_source_statements",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The source's id"), AttributionListQuery),
    responses(
        (status = 200, description = "One page of the source's statements, newest first", body = SourceStatementList,
            headers(("Link" = String, description = "`<url>; rel=\"next\"` when there is a next page"))),
        (status = 400, description = "The id is not a UUID, or a bad page size or token", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No source has this id", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/sources/{id}/statements")]
pub async fn list_source_statements(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
    QueryParams(query): QueryParams<AttributionListQuery>,
) -> Result<HttpResponse, Problem> {
    let AttributionListQuery { page_size, page_token } = query;
    let request = pb::ListSourceStatementsRequest { source_id: id.into_inner(), page_size, page_token };
    let list = core.claims.clone().list_source_statements(grpc(&req, request)).await?.into_inner();
    let statements = list.statements.into_iter().map(SourceStatement::try_from).collect::<Result<Vec<_>, _>>()?;
    let next_page_token = Some(list.next_page_token).filter(|t| !t.is_empty());
    Ok(page_of(&req, next_page_token.as_deref()).json_line(SourceStatementList { statements, next_page_token }))
}
