//! OAuth errors in RFC 6749 form: a registered `error` code and a description for developers.

use crate::{DomainError, StoreError};

/// The `error` codes Gatehouse answers with (RFC 6749 §4.1.2.1, §5.2; RFC 7009; RFC 8707;
/// OpenID Connect Core §3.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A parameter is missing, repeated, malformed or not allowed.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// The code, refresh token or credentials are invalid, expired, revoked or were issued to
    /// another client.
    InvalidGrant,
    /// The client may not use this grant or response type.
    UnauthorizedClient,
    /// The grant type is unknown.
    UnsupportedGrantType,
    /// The response type is unknown.
    UnsupportedResponseType,
    /// A requested scope is unknown or not allowed for the client.
    InvalidScope,
    /// The requested resource (audience) is unknown or not allowed for the client.
    InvalidTarget,
    /// The user or the server refused.
    AccessDenied,
    /// `prompt=none` but the user must sign in.
    LoginRequired,
    /// `prompt=none` but the user must consent.
    ConsentRequired,
    /// `prompt=none` but the user must interact (choose an account, step up).
    InteractionRequired,
    /// The bearer token is invalid (RFC 6750).
    InvalidToken,
    /// The bearer token lacks the scope (RFC 6750).
    InsufficientScope,
    /// Something went wrong on the server.
    ServerError,
    /// The server is overloaded or a dependency is down.
    TemporarilyUnavailable,
}

impl ErrorCode {
    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::AccessDenied => "access_denied",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// An OAuth failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    /// The `error` code.
    pub code: ErrorCode,
    /// The `error_description`: for developers, never secret.
    pub description: String,
}

impl OAuthError {
    /// A failure with `code` and `description`.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }

    /// `invalid_request`.
    pub fn request(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_client`.
    pub fn client(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidClient, description)
    }

    /// `invalid_grant`.
    pub fn grant(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    /// `invalid_token`.
    pub fn token(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidToken, description)
    }
}

impl From<DomainError> for OAuthError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Busy | DomainError::Store(StoreError::Unavailable(_)) => Self::new(
                ErrorCode::TemporarilyUnavailable,
                "the server cannot answer now; try again shortly",
            ),
            DomainError::Invalid(message) => Self::request(message),
            other => {
                tracing::error!(code = other.code(), error = %other, "OAuth request failed");
                Self::new(ErrorCode::ServerError, "the server failed to answer")
            }
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> Self {
        DomainError::from(error).into()
    }
}
