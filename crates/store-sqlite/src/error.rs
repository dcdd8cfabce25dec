//! The one place that translates `sqlx` errors into [`StoreError`].

use gatehouse_domain::StoreError;
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::migrate::MigrateError;

/// SQLite's primary result codes this adapter tells apart (the low byte of an extended code).
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_IOERR: i64 = 10;
const SQLITE_CORRUPT: i64 = 11;
const SQLITE_CANTOPEN: i64 = 14;
const SQLITE_NOTADB: i64 = 26;

/// Translates a driver error.
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(database) => database_error(database.as_ref()),
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error.to_string()),
        sqlx::Error::RowNotFound => StoreError::NotFound(error.to_string()),
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
            StoreError::Corrupt(error.to_string())
        }
        sqlx::Error::Migrate(migrate) => migrate_error(*migrate),
        other => StoreError::Other(other.to_string()),
    }
}

/// Translates an error of the embedded migrations.
pub(crate) fn migrate_error(error: MigrateError) -> StoreError {
    match error {
        MigrateError::Execute(inner) | MigrateError::ExecuteMigration(inner, _) => {
            store_error(inner)
        }
        MigrateError::VersionMissing(_)
        | MigrateError::VersionMismatch(_)
        | MigrateError::Dirty(_) => StoreError::Corrupt(error.to_string()),
        other => StoreError::Other(other.to_string()),
    }
}

fn database_error(error: &dyn DatabaseError) -> StoreError {
    let message = error.message().to_owned();
    match error.kind() {
        ErrorKind::UniqueViolation => return StoreError::AlreadyExists(message),
        // The row a new one refers to (a user, a role) does not exist.
        ErrorKind::ForeignKeyViolation => return StoreError::NotFound(message),
        _ => {}
    }
    let primary = error
        .code()
        .and_then(|code| code.parse::<i64>().ok())
        .map(|code| code & 0xff);
    match primary {
        Some(SQLITE_CORRUPT | SQLITE_NOTADB) => StoreError::Corrupt(message),
        Some(SQLITE_BUSY | SQLITE_LOCKED | SQLITE_IOERR | SQLITE_CANTOPEN) => {
            StoreError::Unavailable(message)
        }
        _ if is_corruption(&message) => StoreError::Corrupt(message),
        _ => StoreError::Other(message),
    }
}

fn is_corruption(message: &str) -> bool {
    message.contains("file is not a database") || message.contains("malformed")
}
