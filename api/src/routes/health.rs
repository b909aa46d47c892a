//! Liveness and readiness probes for load balancers and orchestrators.

use std::time::Duration;

use actix_web::{HttpResponse, get, http::StatusCode, web};
use serde::Serialize;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};
use utoipa::ToSchema;

use crate::{
    CoreClients,
    json::JsonLine,
    problem::{Problem, ProblemDocument},
};

/// What core's health service is asked about: the claims service, which core reports as
/// NOT_SERVING while its database check fails.
const CORE_SERVICE: &str = "claimdesk.v1.ClaimService";
const READY_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` (alive) or `ready`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: answers while the process lives, whatever the state of core.
#[utoipa::path(tag = "health", operation_id = "healthz", responses((status = 200, description = "Alive", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json_line(Health { status: "ok" })
}

/// Readiness: core is reachable and its database answers.
#[utoipa::path(
    tag = "health",
    operation_id = "readyz",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Core unreachable (`core_unavailable`) or its database down (`not_ready`)", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(core: web::Data<CoreClients>) -> Result<HttpResponse, Problem> {
    let mut request = tonic::Request::new(HealthCheckRequest { service: CORE_SERVICE.to_owned() });
    request.set_timeout(READY_TIMEOUT);
    let status = core.health.clone().check(request).await?.into_inner().status();
    if status == ServingStatus::Serving {
        Ok(HttpResponse::Ok().json_line(Health { status: "ready" }))
    } else {
        Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("core reports {}", status.as_str_name()),
        ))
    }
}
