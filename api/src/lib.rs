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

pub use core_client::{CoreClients, grpc};
pub use openapi::{openapi, openapi_json};
pub use problem::Problem;
pub use server::{DEFAULT_CORE_TIMEOUT, Gateway, GatewayConfig, GatewayHandle, Stopping};
