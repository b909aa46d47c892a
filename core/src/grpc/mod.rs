//! The gRPC transport: tonic handlers, proto conversions and status mapping.

mod claims;
pub mod convert;
mod sources;
mod status;

pub use claims::ClaimApi;
pub use sources::SourceApi;
pub use status::ERROR_DOMAIN;

/// The principal behind a request. Authentication is not there yet, so everyone is
/// `anonymous`; it is never read from the request body.
fn actor<T>(_request: &tonic::Request<T>) -> crate::service::Actor {
    "anonymous".to_owned()
}
