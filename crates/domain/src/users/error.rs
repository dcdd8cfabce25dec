//! What the user administration use cases report. The web crate maps each code to a
//! problem+json body and a status.

use crate::{
    DomainError, StoreError,
    accounts::{AccountError, PasswordProblem},
    oauth::Forbidden,
};

/// A user administration use case's failure.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// The operator lacks a capability.
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// No such user.
    #[error("no such user")]
    NotFound,
    /// No such live session of the user.
    #[error("no such session")]
    SessionNotFound,
    /// A field breaks a rule.
    #[error("{field}: {message}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The first password breaks the policy.
    #[error("password: {}", .0.message())]
    Password(PasswordProblem),
    /// The address belongs to another account.
    #[error("this email address belongs to another account")]
    EmailTaken,
    /// The user is the last active administrator.
    #[error("the last administrator cannot be disabled or deleted")]
    LastAdministrator,
    /// Anything below the rules: the store, keys, a full hashing pool.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<StoreError> for UserError {
    fn from(error: StoreError) -> Self {
        Self::Domain(error.into())
    }
}

impl From<AccountError> for UserError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Invalid { field, message } => Self::Invalid { field, message },
            AccountError::Password(problem) => Self::Password(problem),
            AccountError::EmailTaken => Self::EmailTaken,
            AccountError::NotFound => Self::NotFound,
            AccountError::Domain(error) => Self::Domain(error),
            other => Self::Domain(DomainError::Invalid(other.to_string())),
        }
    }
}

impl UserError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "forbidden",
            Self::NotFound | Self::SessionNotFound => "not_found",
            Self::Invalid { .. } => "invalid",
            Self::Password(problem) => problem.code(),
            Self::EmailTaken => "email_taken",
            Self::LastAdministrator => "last_administrator",
            Self::Domain(error) => error.code(),
        }
    }
}
