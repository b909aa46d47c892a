//! RFC 9457 problem details, and the one place where gRPC statuses from core become HTTP.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde::Serialize;
use tonic::Code;
use tonic_types::StatusExt;
use utoipa::ToSchema;

use crate::json::JsonLine;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// An error answer (`application/problem+json`). `code` is stable: branch on it, not on `title`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Problem, example = json!({
    "type": "urn:claimdesk:problem:validation_failed",
    "title": "Invalid input",
    "status": 400,
    "detail": "invalid input: text: is required and must not be blank",
    "code": "validation_failed",
    "errors": [{"field": "text", "message": "is required and must not be blank"}]
}))]
pub struct ProblemDocument {
    /// `urn:claimdesk:problem:{code}`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Stable machine-readable error code.
    pub code: String,
    /// The offending fields, when the input was at fault; the unmet conditions, for a 409.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// With `version_mismatch`: the resource's current version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// With `version_mismatch` on a claim: its current ETag (read the claim again to see what
    /// changed before you retry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_etag: Option<String>,
    /// With `already_exists`: the id of the resource that already has this name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<String>,
    /// With `possible_duplicate`: the stored claims at or above the threshold, best first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matches: Option<Vec<DuplicateRef>>,
    /// The request's id (`x-request-id`), as in the logs of the gateway and core.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// A stored claim that looks like the one submitted.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct DuplicateRef {
    pub claim_id: String,
    /// 0 to 1.
    pub score: f64,
}

/// The answers any authenticated `/v1` operation may give besides its own.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum CommonErrors {
    /// No valid token: missing, malformed, unknown, expired or revoked (`unauthenticated`).
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(ProblemDocument),
    /// The token's role is too small (`permission_denied`).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(ProblemDocument),
    /// Too many requests for this token (`rate_limited`), or too many at once from one client
    /// address (`too_many_requests_in_flight`); with `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json")]
    RateLimited(ProblemDocument),
    /// Core's answer could not be read (`bad_core_answer`).
    #[response(status = 502, content_type = "application/problem+json")]
    BadGateway(ProblemDocument),
    /// Core did not answer in time (`core_timeout`); a change may still land: read before
    /// retrying.
    #[response(status = 504, content_type = "application/problem+json")]
    Timeout(ProblemDocument),
    /// Core or its database unavailable (`core_unavailable`, `database_unavailable`), or the
    /// database busy with concurrent changes even after core retried (`database_busy`), or core
    /// beyond capacity (`overloaded`); both with `Retry-After`.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(ProblemDocument),
}

/// One offending input field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's name as sent (JSON field or query parameter), `tags[2]` for list items.
    pub field: String,
    pub message: String,
}

/// An error on its way to becoming a [`ProblemDocument`]; kept small because every handler
/// returns it in a `Result`.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub extensions: Option<Box<Extensions>>,
    /// What went wrong, for the log only (a 500's detail to the client stays generic).
    pub cause: Option<String>,
}

/// Rarely present problem members, boxed to keep `Problem` small.
#[derive(Debug, Clone, Default)]
pub struct Extensions {
    pub current_version: Option<i64>,
    pub current_etag: Option<String>,
    pub existing_id: Option<String>,
    pub retry_after_secs: Option<u64>,
    /// The `Allow` header of a 405.
    pub allow: Option<&'static str>,
    pub matches: Option<Vec<DuplicateRef>>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Problem {
            status,
            code: code.to_owned(),
            detail: detail.into(),
            errors: Vec::new(),
            extensions: None,
            cause: None,
        }
    }

    /// A 400 about one field: `code`, the detail "field: message", and the field named.
    pub fn bad_field(code: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        let (field, message) = (field.into(), message.into());
        Problem::new(StatusCode::BAD_REQUEST, code, format!("{field}: {message}")).with_field(field, message)
    }

    pub fn with_field(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.errors.push(FieldError { field: field.into(), message: message.into() });
        self
    }

    pub fn unauthenticated() -> Self {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", "a valid bearer token is required")
    }

    /// Adds `Retry-After: secs`.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.extensions.get_or_insert_default().retry_after_secs = Some(secs);
        self
    }

    /// Adds `Allow: methods` (a 405).
    pub fn allow(mut self, methods: &'static str) -> Self {
        self.extensions.get_or_insert_default().allow = Some(methods);
        self
    }

    pub fn not_found_route() -> Self {
        Problem::new(StatusCode::NOT_FOUND, "route_not_found", "no such route; see /docs")
    }

    pub fn document(&self) -> ProblemDocument {
        ProblemDocument {
            problem_type: format!("urn:claimdesk:problem:{}", self.code),
            title: title(&self.code, self.status),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.clone(),
            errors: self.errors.clone(),
            current_version: self.extensions.as_ref().and_then(|e| e.current_version),
            current_etag: self.extensions.as_ref().and_then(|e| e.current_etag.clone()),
            existing_id: self.extensions.as_ref().and_then(|e| e.existing_id.clone()),
            matches: self.extensions.as_ref().and_then(|e| e.matches.clone()),
            request_id: crate::front::current_request_id(),
        }
    }
}

fn title(code: &str, status: StatusCode) -> String {
    match code {
        "validation_failed" => "Invalid input",
        "malformed_json" => "Malformed JSON",
        "invalid_body" => "Request body does not match the schema",
        "invalid_query" => "Invalid query parameters",
        "unsupported_media_type" => "Unsupported media type",
        "payload_too_large" => "Request body too large",
        "not_found" => "Not found",
        "route_not_found" => "No such route",
        "core_unavailable" => "Core service unavailable",
        "database_unavailable" => "Database unavailable",
        "database_busy" => "Database busy",
        "overloaded" => "Overloaded",
        "not_ready" => "Not ready",
        "unauthenticated" => "Authentication required",
        "permission_denied" => "Role too small",
        "rate_limited" => "Too many requests",
        "already_exists" => "Already exists",
        "version_mismatch" => "Stale version",
        "precondition_required" => "If-Match required",
        "invalid_transition" => "Status change not allowed",
        "confirmation_requirements_not_met" => "Not enough sourcing to confirm",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
    .to_owned()
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status == StatusCode::INTERNAL_SERVER_ERROR {
            // Every 500 is logged with its cause; the client gets only the code.
            tracing::error!(code = %self.code, cause = %self.cause.as_deref().unwrap_or(&self.detail), "answered 500");
        }
        let mut response = HttpResponse::build(self.status);
        response.content_type(CONTENT_TYPE);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer realm=\"claimdesk\""));
        }
        if let Some(allow) = self.extensions.as_ref().and_then(|e| e.allow) {
            response.insert_header((actix_web::http::header::ALLOW, allow));
        }
        if let Some(secs) = self.extensions.as_ref().and_then(|e| e.retry_after_secs) {
            response.insert_header((actix_web::http::header::RETRY_AFTER, secs.to_string()));
        }
        response.json_line(self.document())
    }
}

/// The HTTP status for each gRPC code. Core's `ErrorInfo.reason` becomes the problem `code`;
/// statuses without one come from the transport (core down, timeout) and get a code here.
impl From<tonic::Status> for Problem {
    fn from(status: tonic::Status) -> Self {
        let (http, fallback_code) = match status.code() {
            Code::InvalidArgument | Code::OutOfRange => (StatusCode::BAD_REQUEST, "validation_failed"),
            Code::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Code::AlreadyExists | Code::Aborted => (StatusCode::CONFLICT, "conflict"),
            Code::FailedPrecondition => (StatusCode::CONFLICT, "failed_precondition"),
            Code::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Code::PermissionDenied => (StatusCode::FORBIDDEN, "permission_denied"),
            Code::ResourceExhausted => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Code::Unavailable | Code::Cancelled => (StatusCode::SERVICE_UNAVAILABLE, "core_unavailable"),
            Code::DeadlineExceeded => (StatusCode::GATEWAY_TIMEOUT, "core_timeout"),
            Code::Unimplemented => (StatusCode::NOT_IMPLEMENTED, "not_implemented"),
            Code::Ok | Code::Unknown | Code::Internal | Code::DataLoss => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let details = status.get_error_details();
        // Without core's ErrorInfo the status comes from the transport: a limit it hit reading
        // core's answer is the service's failure, never the client's (core's own statuses for
        // bad input always carry ErrorInfo).
        let (http, fallback_code) = match (details.error_info(), status.code()) {
            (None, Code::OutOfRange | Code::ResourceExhausted) => (StatusCode::BAD_GATEWAY, "bad_core_answer"),
            // The connection to core failed under the call (a transport error, an HTTP status
            // instead of gRPC): core is not answering, as with a refused connection.
            (None, Code::Unknown) => (StatusCode::SERVICE_UNAVAILABLE, "core_unavailable"),
            // The gateway only sends well-formed messages: undecodable bytes are core's answer.
            (None, Code::InvalidArgument)
                if status.message().starts_with(claimdesk_proto::codec::MALFORMED_MESSAGE) =>
            {
                (StatusCode::BAD_GATEWAY, "bad_core_answer")
            }
            // The channel's own deadline (`GatewayConfig::core_timeout`): tonic reports it as a
            // cancellation with this message; to the client it is the gateway timing out.
            (None, Code::Cancelled) if status.message() == tonic::TimeoutExpired(()).to_string() => {
                (StatusCode::GATEWAY_TIMEOUT, "core_timeout")
            }
            _ => (http, fallback_code),
        };
        // Core's own deadline_exceeded is the same event as the gateway's: the call took too long.
        let code = match details.error_info() {
            Some(_) if status.code() == Code::DeadlineExceeded => "core_timeout",
            info => info.map_or(fallback_code, |info| info.reason.as_str()),
        };
        // A stale version is the HTTP precondition (If-Match) failing.
        let http = match code {
            "version_mismatch" => StatusCode::PRECONDITION_FAILED,
            // The same key with another request: the request cannot be processed as sent.
            "idempotency_key_reused" => StatusCode::UNPROCESSABLE_ENTITY,
            _ => http,
        };
        let detail = match code {
            "core_unavailable" => {
                tracing::warn!(error = %status.message(), "core unreachable");
                "the core service cannot be reached; try again shortly".to_owned()
            }
            "internal" => "internal error".to_owned(),
            _ => status.message().to_owned(),
        };
        let mut problem = Problem::new(http, code, detail);
        if http == StatusCode::INTERNAL_SERVER_ERROR || http == StatusCode::BAD_GATEWAY {
            problem.cause = Some(format!("core answered {:?}: {}", status.code(), status.message()));
        }
        if let Some(bad_request) = details.bad_request() {
            for v in &bad_request.field_violations {
                problem = problem.with_field(v.field.clone(), v.description.clone());
            }
        }
        if let Some(failure) = details.precondition_failure() {
            for v in &failure.violations {
                problem = problem.with_field(v.subject.clone(), v.description.clone());
            }
        }
        if let Some(info) = details.error_info() {
            let extensions = Extensions {
                current_version: info.metadata.get("current_version").and_then(|v| v.parse().ok()),
                current_etag: info.metadata.get("current_etag").cloned(),
                existing_id: info.metadata.get("existing_id").cloned(),
                retry_after_secs: info.metadata.get("retry_after_seconds").and_then(|v| v.parse().ok()),
                allow: None,
                matches: info.metadata.get("matches").and_then(|v| serde_json::from_str(v).ok()),
            };
            let Extensions { current_version, current_etag, existing_id, retry_after_secs, matches, .. } = &extensions;
            if current_version.is_some()
                || current_etag.is_some()
                || existing_id.is_some()
                || retry_after_secs.is_some()
                || matches.is_some()
            {
                problem.extensions = Some(Box::new(extensions));
            }
        }
        problem
    }
}
