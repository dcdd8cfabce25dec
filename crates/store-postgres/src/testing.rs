//! Isolated databases for test suites: each test creates its own database on a shared server,
//! and the test script drops them all before a run.
//!
//! ```no_run
//! # async fn example() -> Result<(), gatehouse_domain::StoreError> {
//! use std::time::Duration;
//! use gatehouse_store_postgres::{PostgresStore, testing};
//!
//! let url = testing::fresh_database("postgres://postgres@127.0.0.1:5432/postgres").await?;
//! let store = PostgresStore::connect(&url, 4, Duration::from_secs(5)).await?;
//! store.migrate().await?;
//! # Ok(())
//! # }
//! ```

use std::str::FromStr;

use gatehouse_domain::StoreError;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};
use uuid::Uuid;

use crate::error::store_error;

/// The name every test database starts with.
pub const TEST_DATABASE_PREFIX: &str = "gatehouse_test_";

/// Creates a new, empty database named `gatehouse_test_<32 hex digits>` on the server of
/// `base_url` (whose database is only used to connect) and returns the URL of the new database:
/// the same server and credentials, the new database name.
pub async fn fresh_database(base_url: &str) -> Result<String, StoreError> {
    let options = PgConnectOptions::from_str(base_url).map_err(store_error)?;
    let name = format!("{TEST_DATABASE_PREFIX}{}", Uuid::now_v7().simple());
    let mut connection = options.connect().await.map_err(store_error)?;
    // Not a checked macro: a database name is an identifier, which cannot be a bind parameter.
    // `name` is made of the prefix and hex digits only.
    sqlx::raw_sql(AssertSqlSafe(format!(
        "CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"
    )))
    .execute(&mut connection)
    .await
    .map_err(store_error)?;
    connection.close().await.map_err(store_error)?;
    Ok(options.database(&name).to_url_lossy().to_string())
}

/// Drops every database whose name starts with `gatehouse_test_` on the server of `base_url`,
/// ending the sessions still connected to them. Returns how many were dropped. Meant for the
/// test script before a run: test suites running at the same time lose their databases.
pub async fn drop_test_databases(base_url: &str) -> Result<u64, StoreError> {
    let options = PgConnectOptions::from_str(base_url).map_err(store_error)?;
    let mut connection = options.connect().await.map_err(store_error)?;
    let names = test_database_names(&mut connection).await?;
    for name in &names {
        // Not a checked macro: see `fresh_database`. The name comes from `pg_database` and is
        // quoted as an identifier.
        sqlx::raw_sql(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_identifier(name)
        )))
        .execute(&mut connection)
        .await
        .map_err(store_error)?;
    }
    connection.close().await.map_err(store_error)?;
    Ok(u64::try_from(names.len()).unwrap_or(u64::MAX))
}

/// The names of the test databases on the server.
async fn test_database_names(connection: &mut PgConnection) -> Result<Vec<String>, StoreError> {
    let pattern = format!("{}%", TEST_DATABASE_PREFIX.replace('_', "\\_"));
    sqlx::query_scalar!(
        "SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname",
        pattern,
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)
}

/// `name` as a double-quoted SQL identifier.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_identifier("gatehouse_test_1"), "\"gatehouse_test_1\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }
}
