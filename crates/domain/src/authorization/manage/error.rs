//! What the administration use cases report. The web crate maps each code to a page message, a
//! problem+json body and a status.

use crate::{DomainError, StoreError};

/// An administration use case's failure.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizationError {
    /// The actor lacks `capability`: the permission the use case needs, or one that the change
    /// would grant (nobody grants what they do not hold).
    #[error("you need the capability {capability:?}")]
    Forbidden {
        /// The capability missing.
        capability: String,
    },
    /// The object named does not exist.
    #[error("{kind} {name:?} does not exist")]
    NotFound {
        /// `api`, `capability`, `role`, `group`, `user`, `group member` or `role assignment`.
        kind: &'static str,
        /// Its name, or its id when only that is known.
        name: String,
    },
    /// The name is taken (names are compared case-insensitively).
    #[error("{kind} {name:?} already exists")]
    AlreadyExists {
        /// `api`, `capability`, `role` or `group`.
        kind: &'static str,
        /// The name asked for.
        name: String,
    },
    /// Someone changed the object since the actor read it; nothing was changed.
    #[error("{kind} {name:?} was changed by someone else (version {actual}, not {expected})")]
    Conflict {
        /// `role` or `group`.
        kind: &'static str,
        /// Its current name.
        name: String,
        /// The version the actor edited.
        expected: i64,
        /// The version stored now.
        actual: i64,
    },
    /// A field breaks a rule (format, length, an inclusion cycle, a past expiry).
    #[error("{field}: {message}")]
    Invalid {
        /// The form field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Seeded by a migration: cannot be changed or deleted.
    #[error("the system {kind} {name:?} cannot be changed")]
    SystemObject {
        /// `api`, `capability` or `role`.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// The change would leave no active holder of `gatehouse:admin`.
    #[error("the last administrator cannot be removed")]
    LastAdministrator,
    /// Anything below the rules: the store, keys.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<StoreError> for AuthorizationError {
    fn from(error: StoreError) -> Self {
        Self::Domain(error.into())
    }
}

impl AuthorizationError {
    /// A stable, neutral code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Forbidden { .. } => "forbidden",
            Self::NotFound { .. } => "not_found",
            Self::AlreadyExists { .. } => "already_exists",
            Self::Conflict { .. } => "conflict",
            Self::Invalid { .. } => "invalid",
            Self::SystemObject { .. } => "system_object",
            Self::LastAdministrator => "last_administrator",
            Self::Domain(error) => error.code(),
        }
    }

    /// `NotFound` for an object known only by its id.
    pub(super) fn missing(kind: &'static str, id: uuid::Uuid) -> Self {
        Self::NotFound {
            kind,
            name: id.to_string(),
        }
    }
}
