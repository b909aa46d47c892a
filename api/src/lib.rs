//! claimdesk REST gateway: JSON over HTTP in front of core's gRPC services.
//!
//! Stateless. It owns HTTP concerns (JSON shapes, problem details, ETags, pagination links,
//! OpenAPI and the docs UI) and no business rule: every request becomes one gRPC call to core.
//! `core_client` is how it reaches core, `openapi` the document its routes are registered in.

mod core_client;
mod dto;
mod extract;
mod front;
mod json;
mod openapi;
mod problem;
mod routes;
mod server;
mod web;

pub use core_client::{CoreClients, grpc};
pub use openapi::{openapi, openapi_json};
pub use problem::Problem;
pub use server::{DEFAULT_CORE_TIMEOUT, Gateway, GatewayConfig, GatewayHandle, Stopping};

/// The change feed's JSON for one event: a `GET /v1/events` message's `data`, and the body core
/// POSTs to webhooks (core is given this function: the gateway owns the document).
pub fn feed_event_json(event: claimdesk_proto::v1::FeedEvent) -> Result<String, String> {
    let event = dto::FeedEvent::try_from(event).map_err(|problem| problem.to_string())?;
    serde_json::to_string(&event).map_err(|e| e.to_string())
}

/// An extraction as `POST /v1/extract` answers it, pretty-printed (`claimdesk extract`).
pub fn extraction_json(extraction: claimdesk_proto::v1::Extraction) -> String {
    let extraction = dto::ExtractionResult::try_from(extraction).map_err(|problem| problem.to_string());
    match extraction.and_then(|x| serde_json::to_string_pretty(&x).map_err(|e| e.to_string())) {
        Ok(json) => json,
        Err(error) => serde_json::json!({ "error": error }).to_string(),
    }
}

/// An import's report as the REST answer's JSON (`POST /v1/import/claimreview`); the command
/// line prints the same.
pub fn import_report_json(report: claimdesk_proto::v1::ImportReport) -> String {
    let report = dto::ImportReport::try_from(report).map_err(|problem| problem.to_string());
    match report.and_then(|r| serde_json::to_string_pretty(&r).map_err(|e| e.to_string())) {
        Ok(json) => json,
        Err(error) => serde_json::json!({ "error": error }).to_string(),
    }
}
