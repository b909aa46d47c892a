//! What core does around every gRPC call, whatever the service: honour the caller's deadline
//! (`grpc-timeout`), and tag the call with its request id so that every log line of it, also
//! those written on the blocking pool, can be found together.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use claimdesk_proto::request_id;
use tokio::time::Instant;
use tonic::codegen::http;
use tracing::Instrument;

/// Core answers a fifth of the caller's timeout before its deadline, at most this long, so that
/// the answer still reaches a caller that gives up exactly at its deadline (tonic's own timer,
/// which would answer CANCELLED, fires first otherwise) even on a loaded machine, where 20 ms
/// proved too little.
const ANSWER_MARGIN: Duration = Duration::from_millis(100);

/// How long before the caller's deadline core answers.
fn answer_margin(timeout: Duration) -> Duration {
    (timeout / 5).min(ANSWER_MARGIN)
}

/// Parses `grpc-timeout` (`1*8DIGIT unit`, unit one of `H M S m u n`).
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// A request tonic could not read as one message (bad framing, a compressed flag without an
/// encoding, a truncated or missing message; tonic answers INTERNAL) or that is not the method's
/// message (our codec): INVALID_ARGUMENT with `ErrorInfo` `validation_failed`, like every other
/// bad input. `None` for every other answer.
fn malformed_request(response: &http::Response<tonic::body::Body>) -> Option<http::Response<tonic::body::Body>> {
    use tonic_types::{ErrorDetails, StatusExt};
    let status = tonic::Status::from_header_map(response.headers())?;
    let framing = status.code() == tonic::Code::Internal
        && ["protocol error", "Unexpected EOF", "Missing request message"]
            .iter()
            .any(|m| status.message().starts_with(m));
    let undecodable = status.code() == tonic::Code::InvalidArgument
        && status.message().starts_with(claimdesk_proto::codec::MALFORMED_MESSAGE)
        && status.details().is_empty();
    if !framing && !undecodable {
        return None;
    }
    let details =
        ErrorDetails::with_error_info("validation_failed", super::ERROR_DOMAIN, std::collections::HashMap::new());
    let message = format!("the request is not one well-formed message: {}", status.message());
    Some(tonic::Status::with_error_details(tonic::Code::InvalidArgument, message, details).into_http())
}

/// The layer for tonic's `Server::builder().layer(...)`.
#[derive(Debug, Clone, Default)]
pub struct CallLayer;

impl<S> tower::Layer<S> for CallLayer {
    type Service = Call<S>;

    fn layer(&self, inner: S) -> Call<S> {
        Call { inner }
    }
}

#[derive(Debug, Clone)]
pub struct Call<S> {
    inner: S,
}

impl<S, B> tower::Service<http::Request<B>> for Call<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>> + Send,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let id = request_id::accept_or_new(request.headers().get(request_id::HEADER).map(|v| v.as_bytes()));
        let span = tracing::info_span!("rpc", request_id = %id, method = %request.uri().path());
        let timeout = request.headers().get("grpc-timeout").and_then(|v| v.to_str().ok()).and_then(parse_grpc_timeout);
        // Bounded labels: a path no service answers (UNIMPLEMENTED) is counted as `other`.
        let path = request.uri().path();
        let known = ["/claimdesk.v1.", "/grpc.health.v1.", "/grpc.reflection.v1"].iter().any(|p| path.starts_with(p))
            && path.len() <= 100;
        let method = if known { path.to_owned() } else { "other".to_owned() };
        let call = self.inner.call(request);
        let started = std::time::Instant::now();
        Box::pin(
            async move {
                let mut response = match timeout {
                    None => call.await?,
                    Some(timeout) => {
                        let deadline = Instant::now() + timeout.saturating_sub(answer_margin(timeout));
                        match tokio::time::timeout_at(deadline, crate::context::with_deadline(deadline, call)).await {
                            Ok(answer) => answer?,
                            Err(_) => {
                                tracing::warn!(?timeout, "deadline exceeded before core could answer");
                                tonic::Status::deadline_exceeded(format!(
                                    "the caller's deadline ({} ms) passed before core could answer",
                                    timeout.as_millis()
                                ))
                                .into_http()
                            }
                        }
                    }
                };
                if let Some(fixed) = malformed_request(&response) {
                    response = fixed;
                }
                // A failed unary call answers its status in the headers; a success, in the
                // trailers, after the body.
                let code = response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i32>().ok())
                    .map_or(tonic::Code::Ok, tonic::Code::from_i32);
                let took = started.elapsed();
                // A method no service has (UNIMPLEMENTED) is counted as `other`: any client could
                // otherwise add a series per made-up name.
                let method = if code == tonic::Code::Unimplemented { "other" } else { method.as_str() };
                crate::metrics::metrics().observe_call(method, code, took);
                tracing::debug!(?code, took_ms = took.as_secs_f64() * 1000.0, "answered");
                if let Ok(value) = http::HeaderValue::from_str(&id) {
                    response.headers_mut().insert(request_id::HEADER, value);
                }
                Ok(response)
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_per_the_protocol() {
        assert_eq!(parse_grpc_timeout("30S"), Some(Duration::from_secs(30)));
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_grpc_timeout("99999999u"), Some(Duration::from_micros(99_999_999)));
        for bad in ["", "S", "123456789S", "10x", "-1S", "1.5S", "１S"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad:?}");
        }
    }
}
