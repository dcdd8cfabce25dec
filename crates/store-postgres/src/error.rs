//! The one place that turns driver errors into [`StoreError`]s.

use gatehouse_domain::StoreError;
use sqlx::migrate::MigrateError;

/// SQLSTATE `unique_violation`.
const UNIQUE_VIOLATION: &str = "23505";
/// SQLSTATE `foreign_key_violation`: the row referred to (a user) does not exist.
const FOREIGN_KEY_VIOLATION: &str = "23503";
/// SQLSTATE `admin_shutdown`: the server is shutting down or the connection was terminated.
const ADMIN_SHUTDOWN: &str = "57P01";
/// SQLSTATE `crash_shutdown`.
const CRASH_SHUTDOWN: &str = "57P02";
/// SQLSTATE `cannot_connect_now`: the server is starting up or in recovery.
const CANNOT_CONNECT_NOW: &str = "57P03";
/// SQLSTATE `too_many_connections`.
const TOO_MANY_CONNECTIONS: &str = "53300";
/// SQLSTATE class 08: connection exceptions.
const CONNECTION_EXCEPTION_CLASS: &str = "08";

/// Maps a driver error to the port's error.
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(database) => match database.code().as_deref() {
            Some(UNIQUE_VIOLATION) => StoreError::AlreadyExists(database.message().to_owned()),
            Some(FOREIGN_KEY_VIOLATION) => StoreError::NotFound(database.message().to_owned()),
            Some(code) if is_unavailable_code(code) => StoreError::Unavailable(error.to_string()),
            _ => StoreError::Other(error.to_string()),
        },
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error.to_string()),
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
            StoreError::Corrupt(error.to_string())
        }
        _ => StoreError::Other(error.to_string()),
    }
}

/// Maps a migration failure to the port's error.
pub(crate) fn migrate_error(error: MigrateError) -> StoreError {
    match error {
        MigrateError::Execute(inner) => store_error(inner),
        MigrateError::ExecuteMigration(inner, version) => match store_error(inner) {
            StoreError::Unavailable(message) => StoreError::Unavailable(message),
            other => StoreError::Other(format!("migration {version} failed: {other}")),
        },
        MigrateError::VersionMismatch(_)
        | MigrateError::VersionMissing(_)
        | MigrateError::VersionNotPresent(_)
        | MigrateError::VersionTooOld(_, _)
        | MigrateError::VersionTooNew(_, _)
        | MigrateError::Dirty(_) => StoreError::Corrupt(error.to_string()),
        other => StoreError::Other(other.to_string()),
    }
}

/// Whether a SQLSTATE says the server cannot serve right now.
fn is_unavailable_code(code: &str) -> bool {
    matches!(
        code,
        ADMIN_SHUTDOWN | CRASH_SHUTDOWN | CANNOT_CONNECT_NOW | TOO_MANY_CONNECTIONS
    ) || code.starts_with(CONNECTION_EXCEPTION_CLASS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_and_pool_timeouts_are_unavailable() {
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(matches!(store_error(refused), StoreError::Unavailable(_)));
        let other_io = sqlx::Error::Io(std::io::Error::other("disk on fire"));
        assert!(matches!(store_error(other_io), StoreError::Unavailable(_)));
        assert!(matches!(
            store_error(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            store_error(sqlx::Error::RowNotFound),
            StoreError::Other(_)
        ));
    }

    #[test]
    fn connection_exception_codes_are_unavailable() {
        for code in ["57P01", "57P03", "08006", "53300"] {
            assert!(is_unavailable_code(code), "{code}");
        }
        for code in ["23505", "42P01", "40001"] {
            assert!(!is_unavailable_code(code), "{code}");
        }
    }
}
