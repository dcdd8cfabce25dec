//! What account use cases report. The web crate maps each to a page message, a problem+json
//! body and a status.

use chrono::{DateTime, Utc};

use super::PasswordProblem;
use crate::DomainError;

/// An account use case's failure.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A field is malformed.
    #[error("{field}: {message}")]
    Invalid {
        /// The form field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The new password breaks the policy.
    #[error("password: {}", .0.message())]
    Password(PasswordProblem),
    /// Wrong email or password (the same answer whether or not the account exists).
    #[error("the email address or password is wrong")]
    InvalidCredentials,
    /// Too many attempts; try again at `until`.
    #[error("too many attempts; try again later")]
    Throttled {
        /// When the next attempt is allowed.
        until: DateTime<Utc>,
    },
    /// The address must be verified before signing in.
    #[error("verify your email address first")]
    EmailNotVerified,
    /// The account cannot sign in.
    #[error("this account is disabled")]
    AccountDisabled,
    /// The link is unknown, used or expired.
    #[error("this link is invalid or has expired")]
    InvalidLink,
    /// The code is wrong, used or expired.
    #[error("this code is wrong or has expired")]
    InvalidCode,
    /// Self-service sign-up is turned off.
    #[error("sign-up is turned off")]
    SignUpDisabled,
    /// The address already belongs to another account.
    #[error("this email address belongs to another account")]
    EmailTaken,
    /// The session is missing, expired or revoked.
    #[error("sign in first")]
    NotSignedIn,
    /// Anything below the rules: the store, keys, a full hashing pool.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<crate::StoreError> for AccountError {
    fn from(error: crate::StoreError) -> Self {
        Self::Domain(error.into())
    }
}

impl AccountError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "invalid",
            Self::Password(problem) => problem.code(),
            Self::InvalidCredentials => "invalid_credentials",
            Self::Throttled { .. } => "throttled",
            Self::EmailNotVerified => "email_not_verified",
            Self::AccountDisabled => "account_disabled",
            Self::InvalidLink => "invalid_link",
            Self::InvalidCode => "invalid_code",
            Self::SignUpDisabled => "sign_up_disabled",
            Self::EmailTaken => "email_taken",
            Self::NotSignedIn => "not_signed_in",
            Self::Domain(error) => error.code(),
        }
    }
}
