//! Route registration: every route goes through utoipa so the OpenAPI document cannot drift.

mod claims;
mod health;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(scope("/v1").configure(|v1| {
            v1.service(claims::create_claim)
                .service(claims::list_claims)
                .service(claims::get_claim);
        }));
}
