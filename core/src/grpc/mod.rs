//! The gRPC transport: tonic handlers, proto conversions and status mapping.

mod claims;
pub mod convert;
mod status;

pub use claims::ClaimApi;
pub use status::ERROR_DOMAIN;
