//! A fresh, migrated database per test.

use std::time::Duration;

use gatehouse::{config::Config, database::Database};
use gatehouse_store_postgres::testing::fresh_database;
use tempfile::TempDir;

/// The PostgreSQL server tests may use, if any.
pub fn postgres_base_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// True when this run tests the PostgreSQL backend.
pub fn use_postgres() -> bool {
    std::env::var("GATEHOUSE_TEST_BACKEND").is_ok_and(|backend| backend == "postgres")
        && postgres_base_url().is_some()
}

/// A migrated database of the backend under test, and the data directory.
pub struct TestDatabase {
    /// The opened database.
    pub database: Database,
    /// `database.url` for PostgreSQL.
    pub url: Option<String>,
    /// The data directory (SQLite file, key file).
    pub dir: TempDir,
}

impl TestDatabase {
    /// A new database on the backend under test.
    pub async fn new() -> Self {
        if use_postgres() {
            let base = postgres_base_url().unwrap();
            Self::postgres(&fresh_database(&base).await.unwrap()).await
        } else {
            let dir = tempfile::tempdir().unwrap();
            let database = Database::open(&Config::default(), dir.path())
                .await
                .unwrap();
            database.migrate().await.unwrap();
            Self {
                database,
                url: None,
                dir,
            }
        }
    }

    /// A database at `url` (PostgreSQL), migrated.
    pub async fn postgres(url: &str) -> Self {
        let mut config = Config::default();
        config.database.url = Some(gatehouse::config::Secret::new(url));
        config.database.pool.acquire_timeout_secs = 2;
        let dir = tempfile::tempdir().unwrap();
        let database = Database::open(&config, dir.path()).await.unwrap();
        database.migrate().await.unwrap();
        Self {
            database,
            url: Some(url.to_owned()),
            dir,
        }
    }

    /// A second, independent connection pool to the same database, as another node would have.
    pub async fn another_node(&self) -> Database {
        let mut config = Config::default();
        config.database.url = self.url.clone().map(gatehouse::config::Secret::new);
        config.database.pool.acquire_timeout_secs = 2;
        let _ = Duration::ZERO;
        Database::open(&config, self.dir.path()).await.unwrap()
    }
}
