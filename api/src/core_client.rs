//! How the gateway reaches core: one gRPC client per service over a shared channel, and the
//! caller's credentials forwarded on every call.

use claimdesk_proto::v1::{
    claim_service_client::ClaimServiceClient, source_service_client::SourceServiceClient,
    token_service_client::TokenServiceClient, webhook_service_client::WebhookServiceClient,
};
use tonic::transport::Channel;
use tonic_health::pb::health_client::HealthClient;

/// Longest `Authorization` value passed on to core: far above any token (core takes secrets of
/// at most 200 characters), far below what HTTP/2 takes in one header block. A longer one is
/// not a token: the front door answers 401 without asking core.
pub const MAX_AUTHORIZATION_BYTES: usize = 1024;

/// A gRPC request to core carrying the caller's credentials: the gateway forwards them and
/// decides nothing on its own.
pub fn grpc<T>(req: &actix_web::HttpRequest, message: T) -> tonic::Request<T> {
    let authorization = req.headers().get(actix_web::http::header::AUTHORIZATION).map(|v| v.as_bytes());
    grpc_as(req, authorization, message)
}

/// A gRPC request to core for this HTTP request, with these credentials (an `Authorization`
/// value) instead of the request's header: the desk's pages carry the token in a cookie.
pub fn grpc_as<T>(req: &actix_web::HttpRequest, authorization: Option<&[u8]>, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(value) = authorization
        && value.len() <= MAX_AUTHORIZATION_BYTES
        && let Ok(value) = tonic::metadata::MetadataValue::try_from(value)
    {
        request.metadata_mut().insert("authorization", value);
    }
    if let Some(id) = crate::front::current_request_id()
        && let Ok(value) = id.parse()
    {
        request.metadata_mut().insert(claimdesk_proto::request_id::HEADER, value);
    }
    // Core gives up when the gateway does, down to its database.
    if let Some(core) = req.app_data::<actix_web::web::Data<CoreClients>>() {
        request.set_timeout(core.timeout);
    }
    // Core limits failed authentications per client: it must see the client, not the gateway.
    if let Some(peer) = req.peer_addr()
        && let Ok(value) = peer.ip().to_string().parse()
    {
        request.metadata_mut().insert("x-forwarded-for", value);
    }
    request
}

/// gRPC clients to core. Clones share one HTTP/2 connection.
#[derive(Debug, Clone)]
pub struct CoreClients {
    pub claims: ClaimServiceClient<Channel>,
    pub sources: SourceServiceClient<Channel>,
    pub tokens: TokenServiceClient<Channel>,
    pub webhooks: WebhookServiceClient<Channel>,
    pub health: HealthClient<Channel>,
    /// How long the gateway waits for core's answer; sent as each call's deadline.
    pub timeout: std::time::Duration,
}

/// The largest answer read from core, as large as core may send (its `MAX_RESPONSE_BYTES`):
/// every answer core gives is bounded below it, so none is ever unreadable here.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;
/// The largest call sent to core (its `MAX_REQUEST_BYTES`); REST bodies stop at 1 MiB anyway.
pub const MAX_CALL_BYTES: usize = 16 * 1024 * 1024;

impl CoreClients {
    pub fn new(channel: Channel, timeout: std::time::Duration) -> Self {
        Self {
            claims: ClaimServiceClient::new(channel.clone())
                .max_decoding_message_size(MAX_ANSWER_BYTES)
                .max_encoding_message_size(MAX_CALL_BYTES),
            sources: SourceServiceClient::new(channel.clone())
                .max_decoding_message_size(MAX_ANSWER_BYTES)
                .max_encoding_message_size(MAX_CALL_BYTES),
            tokens: TokenServiceClient::new(channel.clone())
                .max_decoding_message_size(MAX_ANSWER_BYTES)
                .max_encoding_message_size(MAX_CALL_BYTES),
            webhooks: WebhookServiceClient::new(channel.clone())
                .max_decoding_message_size(MAX_ANSWER_BYTES)
                .max_encoding_message_size(MAX_CALL_BYTES),
            health: HealthClient::new(channel),
            timeout,
        }
    }
}
