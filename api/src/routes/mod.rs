//! Route registration: every route goes through utoipa so the OpenAPI document cannot drift.

mod attributions;
mod claims;
mod health;
mod history;
mod sources;
mod tokens;

use actix_web::{HttpRequest, http::StatusCode, http::header};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

use crate::problem::Problem;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz).service(scope("/v1").configure(|v1| {
        v1.service(claims::create_claim)
            .service(claims::list_claims)
            .service(claims::get_claim)
            .service(claims::update_claim)
            .service(claims::set_status)
            .service(attributions::list_attributions)
            .service(attributions::add_attribution)
            .service(attributions::replace_attribution)
            .service(attributions::remove_attribution)
            .service(history::get_sourcing)
            .service(history::get_history)
            .service(sources::create_source)
            .service(sources::list_sources)
            .service(sources::get_source)
            .service(sources::update_source)
            .service(tokens::create_token)
            .service(tokens::list_tokens)
            .service(tokens::revoke_token);
    }));
}

/// Paths of the API (from its OpenAPI document) and the methods each answers.
fn route_table() -> &'static [(Vec<String>, String)] {
    static TABLE: std::sync::OnceLock<Vec<(Vec<String>, String)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        crate::openapi()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ];
                let allow: Vec<&str> = methods.iter().filter(|(_, has)| *has).map(|(m, _)| *m).collect();
                (segments, allow.join(", "))
            })
            .collect()
    })
}

/// The methods `path` answers (the `Allow` header's value), if it is one of the API's paths.
fn allowed_methods(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    route_table()
        .iter()
        .find(|(pattern, _)| {
            pattern.len() == segments.len()
                && pattern.iter().zip(&segments).all(|(p, s)| p == s || (p.starts_with('{') && !s.is_empty()))
        })
        .map(|(_, allow)| allow.as_str())
}

/// Requests no route takes: 405 with `Allow` for a known path, 404 otherwise.
pub async fn no_route(req: HttpRequest) -> Result<actix_web::HttpResponse, Problem> {
    match allowed_methods(req.path()) {
        Some(allow) => Err(Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{} is not allowed on this path; it answers {allow}", req.method()),
        )
        .allow(allow)),
        None => Err(Problem::not_found_route()),
    }
}

/// A claim's ETag: the tag core computed for its representation (`Claim::etag`).
pub fn etag(tag: &str) -> header::EntityTag {
    header::EntityTag::new_strong(tag.to_owned())
}

/// The same request with `page_token` replaced: the `Link: rel="next"` of a list.
pub fn next_link(req: &HttpRequest, token: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if key != "page_token" {
            query.append_pair(&key, &value);
        }
    }
    query.append_pair("page_token", token);
    format!("{}?{}", req.path(), query.finish())
}

/// `If-Match`, which every change needs. Missing: 428.
fn if_match(req: &HttpRequest) -> Result<&str, Problem> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Err(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "send If-Match with the ETag of your last read, so that no one else's change is overwritten",
        ));
    };
    Ok(value.to_str().unwrap_or_default().trim())
}

/// The opaque tag inside a strong `"…"` ETag; anything else cannot match one of ours: 412.
fn quoted(raw: &str) -> Result<&str, Problem> {
    raw.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .ok_or_else(|| {
            let shown: String = raw.chars().take(64).collect();
            Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "version_mismatch",
                format!("If-Match {shown:?} is not the current ETag; send the ETag of your last read"),
            )
        })
}

/// The claim ETag a change is made against, from `If-Match` (the `ETag` of the last read). Core
/// compares it with the claim's current representation, sourcing included.
pub fn if_match_etag(req: &HttpRequest) -> Result<String, Problem> {
    quoted(if_match(req)?).map(str::to_owned)
}

/// The version a change to a source is made against, from `If-Match: "N"`.
pub fn if_match_version(req: &HttpRequest) -> Result<i64, Problem> {
    let raw = if_match(req)?;
    quoted(raw)?.parse::<i64>().ok().filter(|v| *v >= 1).ok_or_else(|| {
        Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "version_mismatch",
            format!("If-Match {raw:?} is not the current ETag; send the ETag of your last read, such as \"3\""),
        )
    })
}
