//! The OpenAPI document, collected from the same route registration the server uses.

use utoipa::OpenApi;

use crate::{problem, routes};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "claimdesk",
        description = "Track the claims that appear in the news: who said what, through whom, \
                       who confirms or denies it, and what the desk has decided.\n\n\
                       Errors are RFC 9457 `application/problem+json` documents with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "claims", description = "Checkable statements seen in the news, their sourcing status and history"),
        (name = "attributions", description = "Who said what about a claim, and through whom"),
        (name = "sources", description = "Whoever says or relays things"),
        (name = "tokens", description = "API tokens (admin)"),
        (name = "health", description = "Liveness and readiness probes"),
    ),
    components(schemas(problem::ProblemDocument, problem::FieldError)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// Declares the bearer token scheme that every `/v1` operation uses.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token: `Authorization: Bearer cdk_...`. Roles: viewer reads; reporter also \
                         submits claims, sources and attributions; editor also edits and sets statuses; \
                         admin also manages tokens. Each operation names the role it needs.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document, collected from the same route registration the server uses.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa_actix_web::AppExt;
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").to_owned();
    api
}

/// The OpenAPI document as committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    let mut json = openapi().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}
