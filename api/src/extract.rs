//! Request extractors that answer problem+json naming the offending field, instead of
//! actix-web's plain-text defaults.

use std::{future::Future, pin::Pin, time::Duration};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::StatusCode, web::BytesMut};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Longest pause between two reads of a body.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a client has to send a body (`GatewayConfig::body_timeout`).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub timeout: Duration,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits { timeout: Duration::from_secs(15) }
    }
}

fn body_too_slow(limits: BodyLimits) -> Problem {
    Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        format!(
            "the body did not arrive in time: send it whole within {} s, with at most {} s between reads",
            limits.timeout.as_secs(),
            READ_TIMEOUT.min(limits.timeout).as_secs()
        ),
    )
}

/// A JSON request body: `application/json`, at most [`MAX_BODY_BYTES`], no unknown fields.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Problem>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .mime_type()
            .ok()
            .flatten()
            .is_some_and(|m| m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"));
        let body = BodyReader::new(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send the body as JSON with Content-Type: application/json",
                ));
            }
            parse_json(&body.read(MAX_BODY_BYTES).await?).map(JsonBody)
        })
    }
}

/// A request's body, still to read, with what limits reading it: the declared length, the time
/// allowed, and the front door that counts body timeouts.
struct BodyReader {
    payload: Payload,
    declared_len: Option<usize>,
    limits: BodyLimits,
    front: Option<actix_web::web::Data<std::sync::Arc<crate::front::FrontDoor>>>,
}

impl BodyReader {
    fn new(req: &HttpRequest, payload: &mut Payload) -> Self {
        BodyReader {
            payload: payload.take(),
            declared_len: req
                .headers()
                .get(actix_web::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok()),
            limits: req
                .app_data::<actix_web::web::Data<BodyLimits>>()
                .map_or_else(BodyLimits::default, |l| *l.get_ref()),
            front: req.app_data::<actix_web::web::Data<std::sync::Arc<crate::front::FrontDoor>>>().cloned(),
        }
    }

    /// Reads the whole body, at most `max` bytes, within the time limits.
    async fn read(mut self, max: usize) -> Result<BytesMut, Problem> {
        let too_large = || {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the request body must be at most {max} bytes"),
            )
        };
        if self.declared_len.is_some_and(|n| n > max) {
            return Err(too_large());
        }
        let mut body = BytesMut::with_capacity(self.declared_len.unwrap_or(1024).min(max));
        let deadline = tokio::time::Instant::now() + self.limits.timeout;
        let (front, limits) = (self.front, self.limits);
        let too_slow = || {
            if let Some(front) = &front {
                front.count_rejection("body_timeout");
            }
            body_too_slow(limits)
        };
        loop {
            let next = self.payload.next();
            let read = tokio::time::timeout_at(deadline.min(tokio::time::Instant::now() + READ_TIMEOUT), next);
            let Some(chunk) = read.await.map_err(|_| too_slow())? else { break };
            let chunk = chunk.map_err(|e| {
                Problem::new(StatusCode::BAD_REQUEST, "invalid_body", format!("cannot read the request body: {e}"))
            })?;
            if body.len() + chunk.len() > max {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The largest document an import takes (core's `MAX_DOCUMENT_BYTES`).
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// A document to import, as sent: JSON (`application/json`, `application/ld+json`, any
/// `+json`) or HTML (`text/html`), at most [`MAX_DOCUMENT_BYTES`]; core reads it.
#[derive(Debug)]
pub struct DocumentBody {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

impl FromRequest for DocumentBody {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Problem>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let mime = req.mime_type().ok().flatten();
        let accepted = mime.as_ref().is_some_and(|m| {
            let essence = m.essence_str();
            m.subtype() == "json"
                || m.suffix().is_some_and(|s| s == "json")
                || essence == "text/html"
                || essence == "application/xhtml+xml"
        });
        let content_type = mime.map(|m| m.essence_str().to_owned()).unwrap_or_default();
        let body = BodyReader::new(req, payload);
        Box::pin(async move {
            if !accepted {
                return Err(Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send the document as application/ld+json, application/json or text/html",
                ));
            }
            Ok(DocumentBody { bytes: body.read(MAX_DOCUMENT_BYTES).await?.to_vec(), content_type })
        })
    }
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    // Syntax first, over the whole body, so that `{} trailing` is malformed JSON rather than
    // an object missing its fields; then the shape, naming the offending field.
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        Problem::new(StatusCode::BAD_REQUEST, "malformed_json", format!("the body is not valid JSON: {e}"))
    })?;
    serde_path_to_error::deserialize(value).map_err(|err| shape_error("invalid_body", err))
}

/// A well-formed input of the wrong shape, as a problem naming the field.
fn shape_error<E: std::fmt::Display>(code: &str, err: serde_path_to_error::Error<E>) -> Problem {
    let path = err.path().to_string();
    let message = err.into_inner().to_string();
    let whole = if code == "invalid_query" { "query" } else { "body" };
    let field = field_name(&path, &message, whole);
    Problem::bad_field(code, field, message)
}

/// Query parameters, with unknown parameters and wrong types refused by name.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned> FromRequest for QueryParams<T> {
    type Error = Problem;
    type Future = std::future::Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(req.query_string().as_bytes()));
        std::future::ready(
            serde_path_to_error::deserialize(de).map(QueryParams).map_err(|err| shape_error("invalid_query", err)),
        )
    }
}

/// The field an error is about: its path, or for unknown and missing fields (reported at the
/// enclosing object) the name serde quotes in backticks.
fn field_name(path: &str, message: &str, whole: &str) -> String {
    if path != "." && !path.is_empty() {
        return path.to_owned();
    }
    message
        .split('`')
        .nth(1)
        .filter(|_| {
            message.starts_with("unknown field")
                || message.starts_with("missing field")
                || message.starts_with("duplicate field")
        })
        .unwrap_or(whole)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        text: String,
        tags: Option<Vec<String>>,
    }

    #[test]
    fn names_the_offending_field() {
        let err = parse_json::<Body>(br#"{"text": 5}"#).expect_err("wrong type");
        assert_eq!((err.code.as_str(), err.errors[0].field.as_str()), ("invalid_body", "text"));
        let err = parse_json::<Body>(br#"{"text": "x", "tags": ["a", 1]}"#).expect_err("wrong item");
        assert_eq!(err.errors[0].field, "tags[1]");
        let err = parse_json::<Body>(br#"{"text": "x", "colour": "red"}"#).expect_err("unknown");
        assert_eq!(err.errors[0].field, "colour");
        let err = parse_json::<Body>(br#"{}"#).expect_err("missing");
        assert_eq!(err.errors[0].field, "text");
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        for body in [&br#"{"text": "#[..], b"", b"{} {}", b"not json"] {
            let err = parse_json::<Body>(body).expect_err("malformed");
            assert_eq!(err.code, "malformed_json", "{}", String::from_utf8_lossy(body));
        }
    }
}
