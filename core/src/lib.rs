//! claimdesk core: the gRPC service that owns the rules and the storage.
//!
//! - [`domain`]: plain types and rules (no tonic, no diesel);
//! - [`storage`]: diesel queries and the connection pool;
//! - [`service`]: use cases, the rules applied against storage;
//! - [`grpc`]: tonic handlers and proto conversions;
//! - [`server`]: wiring and start-up.

pub mod context;
pub mod domain;
pub mod extract;
pub mod grpc;
pub mod metrics;
pub mod server;
pub mod service;
pub mod storage;

pub use server::{Core, CoreConfig, EventJson, own_sqlite_database};
