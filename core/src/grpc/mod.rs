//! The gRPC transport: tonic handlers, proto conversions and status mapping.

pub mod calls;
mod claims;
pub mod convert;
mod sources;
mod status;
mod tokens;

pub use claims::ClaimApi;
pub use sources::SourceApi;
pub use status::ERROR_DOMAIN;
pub use tokens::TokenApi;

/// Who is calling, for limiting failed authentications: the client address the gateway
/// forwards (`x-forwarded-for`, the first address), else the connection's peer.
fn client_address<T>(request: &tonic::Request<T>) -> Option<std::net::IpAddr> {
    request
        .metadata()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|v| v.trim().parse().ok())
        .or_else(|| request.remote_addr().map(|a| a.ip()))
}

/// Authenticates the request's `authorization` metadata and checks what the call needs;
/// returns the actor for the history: the principal, never a value from the request body.
async fn authorize<T>(
    auth: &crate::service::Auth,
    request: &tonic::Request<T>,
    access: crate::domain::Access,
) -> Result<crate::service::Actor, tonic::Status> {
    let header = request.metadata().get("authorization").and_then(|v| v.to_str().ok());
    let principal = auth.check(header, access, client_address(request)).await?;
    Ok(principal.map_or_else(|| "public".to_owned(), |p| p.actor()))
}
