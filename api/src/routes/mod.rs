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

/// The version a change is made against, from `If-Match: "N"` (the ETag of the last read).
/// Missing: 428. Not one of our ETags: 412, since it cannot match the current version.
pub fn if_match(req: &HttpRequest) -> Result<i64, Problem> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Err(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "send If-Match with the ETag of your last read, so that no one else's change is overwritten",
        ));
    };
    let raw = value.to_str().unwrap_or_default().trim();
    raw.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| *v >= 1)
        .ok_or_else(|| {
            Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "version_mismatch",
                format!("If-Match {raw:?} is not the current ETag; send the ETag of your last read, such as \"3\""),
            )
        })
}
