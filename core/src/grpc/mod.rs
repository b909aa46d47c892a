//! The gRPC transport: tonic handlers, proto conversions and status mapping.

pub mod calls;
mod claims;
pub mod convert;
mod extraction;
mod feed;
mod sources;
mod status;
mod tokens;
mod webhooks;

pub use claims::ClaimApi;
pub use sources::SourceApi;
pub use status::ERROR_DOMAIN;
pub use tokens::TokenApi;
pub use webhooks::WebhookApi;

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
    Ok(authorize_caller(auth, request, access).await?.0)
}

/// The idempotency key of a creation, from its `request_id`: scoped to the caller's token and
/// the operation, with the digest of the request (without its `request_id`) to tell a retry
/// from another request under the same key.
fn idempotency_key<M: prost::Message + Clone>(
    caller: Option<uuid::Uuid>,
    operation: &str,
    request_id: Option<&str>,
    request: &M,
    without_id: impl FnOnce(&mut M),
) -> Result<Option<crate::service::IdempotencyKey>, crate::domain::Error> {
    use sha2::Digest;
    let Some(request_id) = request_id else { return Ok(None) };
    if request_id.is_empty() || request_id.len() > 200 || !request_id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(crate::domain::Error::invalid("request_id", "must be 1 to 200 visible ASCII characters"));
    }
    let mut bare = request.clone();
    without_id(&mut bare);
    let digest = sha2::Sha256::digest(bare.encode_to_vec());
    let caller = caller.map_or_else(|| "public".to_owned(), |id| id.to_string());
    Ok(Some(crate::service::IdempotencyKey {
        key: format!("{caller}:{operation}:{request_id}"),
        request_hash: digest.iter().map(|b| format!("{b:02x}")).collect(),
    }))
}

/// Like [`authorize`], also answering the caller's token id (none for an anonymous reader).
async fn authorize_caller<T>(
    auth: &crate::service::Auth,
    request: &tonic::Request<T>,
    access: crate::domain::Access,
) -> Result<(crate::service::Actor, Option<uuid::Uuid>), tonic::Status> {
    let header = request.metadata().get("authorization").and_then(|v| v.to_str().ok());
    let principal = auth.check(header, access, client_address(request)).await?;
    let id = principal.as_ref().map(|p| p.token_id);
    Ok((principal.map_or_else(|| "public".to_owned(), |p| p.actor()), id))
}

/// Marks an answer replayed for a reused idempotency key (`idempotent-replayed: true`).
fn replay_marked<T>(mut response: tonic::Response<T>, replayed: bool) -> tonic::Response<T> {
    if replayed {
        response.metadata_mut().insert("idempotent-replayed", tonic::metadata::MetadataValue::from_static("true"));
    }
    response
}
