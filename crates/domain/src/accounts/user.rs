//! The user as use cases and pages see it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{DomainError, store::UserRow};

/// Whether an account may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    /// In use.
    Active,
    /// Turned off by an administrator.
    Disabled,
    /// Locked (by policy).
    Locked,
    /// Erasure requested; in the grace period.
    PendingDeletion,
}

impl UserStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Locked => "locked",
            Self::PendingDeletion => "pending_deletion",
        }
    }

    /// Parses a stored name.
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        match value {
            "active" => Ok(Self::Active),
            "disabled" => Ok(Self::Disabled),
            "locked" => Ok(Self::Locked),
            "pending_deletion" => Ok(Self::PendingDeletion),
            other => Err(DomainError::Invalid(format!(
                "unknown user status {other:?}"
            ))),
        }
    }
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The stored row.
    pub row: UserRow,
    /// Its status.
    pub status: UserStatus,
}

impl User {
    /// Wraps a stored row.
    pub fn from_row(row: UserRow) -> Result<Self, DomainError> {
        Ok(Self {
            status: UserStatus::parse(&row.status)?,
            row,
        })
    }

    /// The id.
    pub fn id(&self) -> Uuid {
        self.row.id
    }

    /// The address as typed.
    pub fn email(&self) -> &str {
        &self.row.email
    }

    /// When the address was verified.
    pub fn email_verified_at(&self) -> Option<DateTime<Utc>> {
        self.row.email_verified_at
    }

    /// The strings a password must not be built from.
    pub fn personal_words(&self) -> Vec<&str> {
        let mut words = vec![self.row.email.as_str()];
        if let Some((local, _)) = self.row.email.split_once('@') {
            words.push(local);
        }
        words.extend(
            [
                &self.row.display_name,
                &self.row.given_name,
                &self.row.family_name,
            ]
            .into_iter()
            .flatten()
            .map(String::as_str),
        );
        words
    }
}
