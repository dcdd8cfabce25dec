//! Command failures and the exit codes of INTERFACE.md: 1 the operation failed, 2 usage or
//! configuration error, 3 a dependency is unavailable.

use std::{fmt, process::ExitCode};

use gatehouse_domain::{DomainError, StoreError};

use crate::config::ConfigError;

/// A failed command: what to tell the operator and how to exit.
#[derive(Debug)]
pub struct Failure {
    /// 1, 2 or 3.
    pub code: u8,
    /// One readable line.
    pub message: String,
}

impl Failure {
    /// The operation failed or found a problem (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            message: message.into(),
        }
    }

    /// A usage or configuration error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }

    /// A dependency is unavailable (exit 3).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            code: 3,
            message: message.into(),
        }
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl From<ConfigError> for Failure {
    fn from(error: ConfigError) -> Self {
        Self::usage(error.to_string())
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(_) => Self::unavailable(error.to_string()),
            other => Self::failed(other.to_string()),
        }
    }
}

impl From<DomainError> for Failure {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Store(store) => store.into(),
            other => Self::failed(other.to_string()),
        }
    }
}
