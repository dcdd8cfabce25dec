//! The one place that turns errors into HTTP answers: RFC 9457 problem details for JSON
//! surfaces. 5xx bodies never carry internals. Account errors are classified in
//! `account::error` and rendered through [`Problem`] or a page.

use axum::{
    Json,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use gatehouse_domain::{DomainError, StoreError};
use serde::Serialize;

/// How long to tell clients to wait when the database is unavailable.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u32 = 5;

/// An RFC 9457 problem.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldProblem>,
    #[serde(skip)]
    retry_after: Option<u32>,
}

/// One field's problem in a problem body's `errors` list.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldProblem {
    /// The request field (JSON member or form field name).
    pub field: String,
    /// A stable code.
    pub code: &'static str,
    /// A human-readable explanation.
    pub message: String,
}

impl Problem {
    /// A problem with this status and the status's reason as title.
    pub fn new(status: StatusCode) -> Self {
        Self {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            code: None,
            detail: None,
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// Adds a human-readable explanation.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds a stable machine-readable code.
    pub fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// Adds a field error.
    pub fn field_error(mut self, error: FieldProblem) -> Self {
        self.errors.push(error);
        self
    }

    /// Sends `Retry-After` with this many seconds.
    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = self.retry_after;
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            Json(self),
        )
            .into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<DomainError> for Problem {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Store(StoreError::Unavailable(_)) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE)
                    .code("unavailable")
                    .detail("the database is unavailable; try again shortly")
                    .retry_after(UNAVAILABLE_RETRY_AFTER_SECS)
            }
            DomainError::Store(StoreError::NotFound(_)) => Self::new(StatusCode::NOT_FOUND),
            DomainError::Store(StoreError::AlreadyExists(_)) => Self::new(StatusCode::CONFLICT),
            DomainError::Invalid(message) => Self::new(StatusCode::BAD_REQUEST).detail(message),
            error => {
                tracing::error!(code = error.code(), error = %error, "request failed");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Self {
        DomainError::Store(error).into()
    }
}

/// The answer for paths that do not exist.
pub async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND)
}
