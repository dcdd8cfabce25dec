//! Answers for requests refused before a handler runs (CSRF, unreadable body, a failed session
//! lookup): problem+json under `/account-api`, a page everywhere else.

use axum::{
    extract::OriginalUri,
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Response},
};
use gatehouse_domain::DomainError;

use crate::{AppState, account::error::Failure, account::message, i18n::Language};

/// The path prefix of the JSON twin.
pub const API_PREFIX: &str = "/account-api";

/// The request path as the client sent it (inside a nested router `uri` lacks the prefix).
fn original_path(parts: &Parts) -> &str {
    parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |OriginalUri(uri)| uri)
        .path()
}

/// Whether the request is for the JSON twin (or the management API).
pub fn is_api(parts: &Parts) -> bool {
    let path = original_path(parts);
    path == API_PREFIX
        || path.starts_with("/account-api/")
        || path.starts_with("/webauthn/")
        || path.starts_with("/api/")
}

/// `failure` as a problem or a page, whichever the request's surface speaks.
pub fn respond(state: &AppState, parts: &Parts, failure: Failure) -> Response {
    let language = Language::negotiate(None, &parts.headers);
    if is_api(parts) {
        failure.problem(language).into_response()
    } else {
        message::failure_page(&state.site, language, &failure)
    }
}

/// 403: the CSRF token is missing or wrong; nothing was changed.
pub fn csrf_rejected(state: &AppState, parts: &Parts) -> Response {
    tracing::info!(path = %original_path(parts), "csrf check failed");
    respond(
        state,
        parts,
        Failure::new(StatusCode::FORBIDDEN, "csrf_failed", "error.csrf"),
    )
}

/// 413: the body could not be read within the limit.
pub fn body_too_large(state: &AppState, parts: &Parts) -> Response {
    respond(
        state,
        parts,
        Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "error.body_too_large",
        ),
    )
}

/// A failure below the rules (database, keys) before the handler ran.
pub fn domain_failure(state: &AppState, parts: &Parts, error: DomainError) -> Response {
    respond(state, parts, Failure::from_domain(error))
}

/// An answer that ends a handler early (a redirect, an error page, a problem). Boxed so that
/// `Result<_, Halt>` stays small.
#[derive(Debug)]
pub struct Halt(Box<Response>);

impl From<Response> for Halt {
    fn from(response: Response) -> Self {
        Self(Box::new(response))
    }
}

impl IntoResponse for Halt {
    fn into_response(self) -> Response {
        *self.0
    }
}
