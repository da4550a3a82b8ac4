//! Errors as `application/problem+json` (RFC 9457), mapped from every layer in one place.
//!
//! Each problem has a stable machine-readable `code` (also in `type`, as
//! `urn:campaigns:problem:{code}`), a `title`, the HTTP `status`, a human `detail`, and where it
//! helps, `errors` (every invalid field) or `current_status` (for refused transitions). Internal
//! causes are logged, never returned.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::config::FieldError;
use ports::store::{Refusal, StoreError, WriteError};
use serde::Serialize;
use utoipa::ToSchema;

/// A problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:campaigns:problem:{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// Every invalid field, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The resource's status, for refused transitions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_status: Option<String>,
}

/// An API error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No or bad credentials.
    #[error("a valid API key is required")]
    Unauthorized,
    /// Nothing by that id for this tenant.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request is malformed (bad JSON, bad query).
    #[error("{0}")]
    BadRequest(String),
    /// Fields are invalid.
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    /// The body is larger than allowed.
    #[error("the request body is too large")]
    TooLarge,
    /// The body's media type is not accepted.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// An action that the resource's status does not allow.
    #[error("cannot {action} a {status} {entity}")]
    InvalidTransition {
        entity: &'static str,
        /// The refused action.
        action: &'static str,
        /// The current status.
        status: String,
    },
    /// The state of things refuses the request (plan limit, agent in use, ...).
    #[error("{detail}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        detail: String,
    },
    /// The tenant's requests this second are spent. Answered 429 with `Retry-After: 1`.
    #[error("too many requests for this tenant; retry after 1 second")]
    RateLimited,
    /// A dependency is overloaded or briefly unreachable (storage throttling, a service or
    /// network error): the same request may succeed shortly. Answered 503 with `Retry-After`.
    #[error("the service is busy; retry after {RETRY_AFTER_SECONDS} seconds")]
    Unavailable(#[source] anyhow::Error),
    /// Something failed inside; logged, not returned.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// What a 503 asks the client to wait: long enough for DynamoDB's adaptive capacity or a
/// throttled partition to recover, short enough not to stall an interactive user.
pub const RETRY_AFTER_SECONDS: u32 = 2;

impl ApiError {
    /// A conflict with a code.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// One invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", "Not found"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request", "Bad request"),
            Self::Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Validation failed",
            ),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Payload too large",
            ),
            Self::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
            ),
            Self::InvalidTransition { .. } => (
                StatusCode::CONFLICT,
                "invalid_transition",
                "Invalid transition",
            ),
            Self::Conflict { code, .. } => (StatusCode::CONFLICT, code, "Conflict"),
            Self::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests",
            ),
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, title) = self.parts();
        match &self {
            Self::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            Self::Unavailable(cause) => tracing::warn!(error = ?cause, "request shed: retryable"),
            _ => {}
        }
        let problem = Problem {
            kind: format!("urn:campaigns:problem:{code}"),
            title: title.into(),
            status: status.as_u16(),
            detail: self.to_string(),
            code: code.into(),
            errors: match &self {
                Self::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
            current_status: match &self {
                Self::InvalidTransition { status, .. } => Some(status.clone()),
                _ => None,
            },
        };
        let mut response = (status, Json(problem)).into_response();
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(RETRY_AFTER_SECONDS),
            );
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            // A record this request needs does not decode: say so (and log it), never a bare
            // 500. Lists and the engine set such items aside instead (see the quarantine).
            StoreError::Corrupt { key, reason } => {
                tracing::warn!(%key, %reason, "a stored record the request needs does not decode");
                Self::conflict(
                    "unreadable_record",
                    format!(
                        "the stored record {key} cannot be read; it is reported to the operators"
                    ),
                )
            }
            other if other.is_retryable() => Self::Unavailable(anyhow::Error::new(other)),
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<WriteError> for ApiError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::Refused(Refusal::PlanLimit) => Self::conflict(
                "plan_limit_reached",
                "the plan allows no more live campaigns",
            ),
            WriteError::Refused(Refusal::Stale | Refusal::Conflict) => Self::conflict(
                "concurrent_update",
                "the resource changed meanwhile; read it again and retry",
            ),
            WriteError::Store(store) => store.into(),
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<ports::schedules::ScheduleError> for ApiError {
    fn from(err: ports::schedules::ScheduleError) -> Self {
        Self::Internal(anyhow::Error::new(err))
    }
}

impl From<ports::blobs::BlobError> for ApiError {
    fn from(err: ports::blobs::BlobError) -> Self {
        Self::Internal(anyhow::Error::new(err))
    }
}

/// Any path the API does not have.
pub async fn not_found_route() -> ApiError {
    ApiError::NotFound("route")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_error(retryable: bool) -> StoreError {
        StoreError::Request {
            retryable,
            source: "ProvisionedThroughputExceededException".into(),
        }
    }

    #[test]
    fn storage_throttling_answers_503_with_retry_after() {
        for err in [
            ApiError::from(store_error(true)),
            ApiError::from(WriteError::Store(store_error(true))),
        ] {
            let response = err.into_response();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(
                response.headers()[axum::http::header::RETRY_AFTER],
                RETRY_AFTER_SECONDS.to_string().as_str()
            );
        }
    }

    #[test]
    fn a_store_error_that_retrying_cannot_fix_stays_a_500() {
        let response = ApiError::from(store_error(false)).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            !response
                .headers()
                .contains_key(axum::http::header::RETRY_AFTER)
        );
    }
}
