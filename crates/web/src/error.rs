//! The one place that turns errors into HTTP answers: RFC 9457 problem details for JSON
//! surfaces. 5xx bodies never carry internals.

use axum::{
    Json,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use gatehouse_domain::{DomainError, StoreError};
use serde::Serialize;

/// An RFC 9457 problem.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip)]
    retry_after: Option<u32>,
}

impl Problem {
    /// A problem with this status and the status's reason as title.
    pub fn new(status: StatusCode) -> Self {
        Self {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: None,
            retry_after: None,
        }
    }

    /// Adds a human-readable explanation.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
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
                let mut problem = Self::new(StatusCode::SERVICE_UNAVAILABLE)
                    .detail("the database is unavailable; try again shortly");
                problem.retry_after = Some(5);
                problem
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
