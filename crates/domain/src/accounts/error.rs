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
    /// The action needs a recent authentication (and a second factor, if the user has one).
    #[error("confirm it is you first")]
    StepUpRequired,
    /// The sign-in or confirmation in progress is unknown, used up or expired: start again.
    #[error("this sign-in has expired; start again")]
    ChallengeExpired,
    /// The second-factor code is wrong or was used before.
    #[error("this code is wrong or was already used")]
    InvalidFactorCode,
    /// Removing the last second factor needs a password of single-factor length first.
    #[error(
        "set a password of at least {minimum} characters before removing your last second factor"
    )]
    PasswordTooShortForSingleFactor {
        /// The single-factor minimum.
        minimum: usize,
    },
    /// The factor, credential or device does not exist (or is not the caller's).
    #[error("not found")]
    NotFound,
    /// A WebAuthn ceremony failed (the message says why).
    #[error("security key or passkey not accepted: {0}")]
    WebAuthn(String),
    /// WebAuthn is not available with this public URL (its host is an IP address, or none).
    #[error("passkeys are not available on this server")]
    WebAuthnUnavailable,
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
            Self::StepUpRequired => "step_up_required",
            Self::ChallengeExpired => "challenge_expired",
            Self::InvalidFactorCode => "invalid_factor_code",
            Self::PasswordTooShortForSingleFactor { .. } => "password_too_short_for_single_factor",
            Self::NotFound => "not_found",
            Self::WebAuthn(_) => "webauthn_failed",
            Self::WebAuthnUnavailable => "webauthn_unavailable",
            Self::Domain(error) => error.code(),
        }
    }
}
