//! The one error type of the domain. Transports map it: `grpc::status` to gRPC codes, and the
//! gateway maps those to HTTP. Each variant has a stable machine-readable code.

/// One offending input field and why it was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self { field: field.into(), description: description.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that breaks a rule; nothing was written.
    #[error("invalid input: {}", describe(.0))]
    Validation(Vec<FieldViolation>),
    /// The addressed resource does not exist.
    #[error("{resource} {id} not found")]
    NotFound { resource: &'static str, id: String },
    /// The resource would duplicate an existing one.
    #[error("{message}")]
    AlreadyExists { resource: &'static str, existing_id: String, message: String },
    /// A stored claim is too like the one submitted, and the client asked to refuse that:
    /// the matches with their scores, best first.
    #[error("{} stored claim(s) score at or above the duplicate threshold; the best is {}", matches.len(), matches.first().map(|m| m.0.to_string()).unwrap_or_default())]
    Duplicates { matches: Vec<(uuid::Uuid, f64)> },
    /// The change was made against a version or ETag that is no longer current.
    #[error("{expected} is stale: the current version is {current}{}", current_etag.as_deref().map(|t| format!(" (ETag \"{t}\")")).unwrap_or_default())]
    VersionMismatch { expected: String, current: i64, current_etag: Option<String> },
    /// The change is well-formed but the resource's state does not allow it.
    #[error("{description}")]
    Precondition { code: &'static str, subject: String, description: String },
    /// No valid credentials: missing, malformed, unknown, expired or revoked token alike.
    #[error("a valid bearer token is required")]
    Unauthenticated,
    /// Valid credentials, too small a role.
    #[error("this needs the {needed} role; the token has {has}")]
    PermissionDenied { needed: &'static str, has: &'static str },
    /// Too many requests for this token.
    #[error("rate limit exceeded: retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// The database cannot serve the request right now (pool exhausted, connection lost, down).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// More calls than the database can serve in time: shed at once rather than queued.
    #[error("core is overloaded: retry in a moment")]
    Overloaded,
    /// Concurrent transactions kept this one from completing (SQLite's write lock held past the
    /// busy timeout, a PostgreSQL serialization failure or deadlock), even after core retried.
    #[error("database busy: {0}")]
    Busy(String),
    /// The caller's deadline passed first. A statement it cut short rolled back; a change
    /// whose commit raced the deadline may have landed, so callers read before retrying.
    #[error("the caller's deadline passed before core could answer")]
    DeadlineExceeded,
    /// A change-feed cursor outside what the feed holds (ahead of its newest event: from another
    /// database, or made up).
    #[error("{field}: {description}")]
    OutOfRange { field: &'static str, description: String },
    /// A change-feed stream ended before its client did (a consumer too slow to keep up, core
    /// stopping); resuming from `resume_from`, the last cursor sent, loses and repeats nothing.
    #[error("{reason}; resume from the last cursor received")]
    StreamEnded { code: &'static str, reason: String, resume_from: String },
    /// A bug or an unexpected storage failure. The message is logged, never sent to clients.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The stable code clients can branch on (REST `code`, gRPC `ErrorInfo.reason`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation(_) => "validation_failed",
            Error::NotFound { .. } => "not_found",
            Error::AlreadyExists { .. } => "already_exists",
            Error::Duplicates { .. } => "possible_duplicate",
            Error::VersionMismatch { .. } => "version_mismatch",
            Error::Precondition { code, .. } => code,
            Error::Unauthenticated => "unauthenticated",
            Error::PermissionDenied { .. } => "permission_denied",
            Error::RateLimited { .. } => "rate_limited",
            Error::Unavailable(_) => "database_unavailable",
            Error::Busy(_) => "database_busy",
            Error::Overloaded => "overloaded",
            Error::DeadlineExceeded => "deadline_exceeded",
            Error::OutOfRange { .. } => "cursor_out_of_range",
            Error::StreamEnded { code, .. } => code,
            Error::Internal(_) => "internal",
        }
    }

    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Error::Validation(vec![FieldViolation::new(field, description)])
    }
}

fn describe(violations: &[FieldViolation]) -> String {
    violations.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; ")
}

/// Collects every violation of a request, so that a client learns all its mistakes at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn push(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// Keeps the value of a check that reports violations as `Error::Validation`; records them
    /// with the others otherwise. Any other error is not about the input: it is returned.
    pub fn absorb<T>(&mut self, result: Result<T, Error>) -> Result<Option<T>, Error> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(Error::Validation(errors)) => {
                self.0.extend(errors);
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    /// Keeps the value when valid; records the violation under `field` otherwise.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(description) => {
                self.push(field, description);
                None
            }
        }
    }

    pub fn into_result(self) -> Result<(), Error> {
        if self.0.is_empty() { Ok(()) } else { Err(Error::Validation(self.0)) }
    }
}
