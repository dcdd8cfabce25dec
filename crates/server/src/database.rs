//! Opening the configured database: PostgreSQL when `database.url` is set, otherwise SQLite at
//! `DATA_DIR/gatehouse.db`.

use std::{path::Path, sync::Arc, time::Duration};

use gatehouse_domain::store::Store;
use gatehouse_store_postgres::PostgresStore;
use gatehouse_store_sqlite::SqliteStore;

use crate::{config::Config, error::Failure};

/// An opened database of either kind.
#[derive(Debug, Clone)]
pub enum Database {
    /// Embedded.
    Sqlite(Arc<SqliteStore>),
    /// Production.
    Postgres(Arc<PostgresStore>),
}

impl Database {
    /// Opens (without migrating) the configured database.
    pub async fn open(config: &Config, data_dir: &Path) -> Result<Self, Failure> {
        match &config.database.url {
            Some(url) => {
                let pool = &config.database.pool;
                let timeout = Duration::from_secs(pool.acquire_timeout_secs);
                let store =
                    PostgresStore::connect(url.expose(), pool.max_connections, timeout).await?;
                Ok(Self::Postgres(Arc::new(store)))
            }
            None => {
                std::fs::create_dir_all(data_dir).map_err(|e| {
                    Failure::failed(format!(
                        "cannot create data directory {}: {e}",
                        data_dir.display()
                    ))
                })?;
                let store = SqliteStore::open(&data_dir.join("gatehouse.db")).await?;
                Ok(Self::Sqlite(Arc::new(store)))
            }
        }
    }

    /// Applies every embedded migration.
    pub async fn migrate(&self) -> Result<(), Failure> {
        match self {
            Self::Sqlite(store) => store.migrate().await?,
            Self::Postgres(store) => store.migrate().await?,
        }
        Ok(())
    }

    /// The store behind the ports.
    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(store) => store.clone(),
            Self::Postgres(store) => store.clone(),
        }
    }

    /// True for PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }
}
