//! Domain errors to gRPC statuses. Every status carries `google.rpc.ErrorInfo` whose reason is
//! the stable error code; validation errors add `google.rpc.BadRequest` field violations.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::domain::Error;

pub const ERROR_DOMAIN: &str = "claimdesk";

/// Field violations sent with one status; a request breaking more rules learns the first ones.
const MAX_VIOLATIONS: usize = 50;
/// The longest message or violation text sent: gRPC statuses travel in HTTP/2 headers.
const MAX_TEXT: usize = 1024;

fn bounded(text: &str) -> String {
    if text.len() <= MAX_TEXT {
        return text.to_owned();
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let mut details = ErrorDetails::new();
        let mut metadata = HashMap::new();
        // No `_` arm: a new error variant must be mapped here before it compiles.
        let (code, message) = match &err {
            Error::Validation(violations) => {
                // At most a screenful: each violation is short (values are quoted cut), and a
                // request cannot make the details, which travel in a header, grow without bound.
                for v in violations.iter().take(MAX_VIOLATIONS) {
                    details.add_bad_request_violation(bounded(&v.field), bounded(&v.description));
                }
                (Code::InvalidArgument, err.to_string())
            }
            Error::NotFound { resource, id } => {
                details.set_resource_info(*resource, id.clone(), "", format!("no {resource} has id {id}"));
                (Code::NotFound, err.to_string())
            }
            Error::AlreadyExists { resource, existing_id, .. } => {
                metadata.insert("existing_id".to_owned(), existing_id.clone());
                details.set_resource_info(*resource, existing_id.clone(), "", "the existing resource");
                (Code::AlreadyExists, err.to_string())
            }
            Error::Duplicates { matches } => {
                let listed: Vec<serde_json::Value> = matches
                    .iter()
                    .map(|(id, score)| serde_json::json!({"claim_id": id.to_string(), "score": score}))
                    .collect();
                metadata.insert("matches".to_owned(), serde_json::Value::from(listed).to_string());
                if let Some((best, _)) = matches.first() {
                    details.set_resource_info("claim", best.to_string(), "", "the best-scoring stored claim");
                }
                (Code::AlreadyExists, err.to_string())
            }
            Error::VersionMismatch { current, current_etag, .. } => {
                metadata.insert("current_version".to_owned(), current.to_string());
                if let Some(etag) = current_etag {
                    metadata.insert("current_etag".to_owned(), etag.clone());
                }
                details.add_precondition_failure_violation("VERSION", "version", err.to_string());
                (Code::FailedPrecondition, err.to_string())
            }
            Error::Precondition { code, subject, description } => {
                details.add_precondition_failure_violation(code.to_uppercase(), subject.clone(), description.clone());
                (Code::FailedPrecondition, err.to_string())
            }
            Error::Unauthenticated => (Code::Unauthenticated, err.to_string()),
            Error::PermissionDenied { needed, .. } => {
                metadata.insert("required_role".to_owned(), (*needed).to_owned());
                (Code::PermissionDenied, err.to_string())
            }
            Error::RateLimited { retry_after_secs } => {
                metadata.insert("retry_after_seconds".to_owned(), retry_after_secs.to_string());
                details.set_retry_info(Some(std::time::Duration::from_secs(*retry_after_secs)));
                (Code::ResourceExhausted, err.to_string())
            }
            Error::Unavailable(reason) => {
                tracing::warn!(%reason, "database unavailable");
                (Code::Unavailable, "the database is unavailable, try again".to_owned())
            }
            Error::Overloaded => {
                metadata.insert("retry_after_seconds".to_owned(), "1".to_owned());
                details.set_retry_info(Some(std::time::Duration::from_secs(1)));
                (Code::Unavailable, err.to_string())
            }
            Error::Busy(reason) => {
                tracing::warn!(%reason, "database busy after retries");
                metadata.insert("retry_after_seconds".to_owned(), "1".to_owned());
                details.set_retry_info(Some(std::time::Duration::from_secs(1)));
                (Code::Unavailable, "the database is busy with concurrent changes, try again".to_owned())
            }
            Error::DeadlineExceeded => (Code::DeadlineExceeded, err.to_string()),
            Error::OutOfRange { field, description } => {
                details.add_bad_request_violation(*field, bounded(description));
                (Code::OutOfRange, err.to_string())
            }
            Error::StreamEnded { code, resume_from, .. } => {
                metadata.insert("resume_from".to_owned(), resume_from.clone());
                let code = if *code == "core_stopping" { Code::Unavailable } else { Code::Aborted };
                (code, err.to_string())
            }
            Error::Internal(reason) => {
                tracing::error!(%reason, "internal error");
                (Code::Internal, "internal error".to_owned())
            }
        };
        crate::metrics::metrics().count_error(err.code());
        details.set_error_info(err.code(), ERROR_DOMAIN, metadata);
        Status::with_error_details(code, bounded(&message), details)
    }
}
