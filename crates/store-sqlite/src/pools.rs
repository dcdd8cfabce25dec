//! Opening a database file: the header check, the connection settings and the two pools (one
//! writer connection, since SQLite has a single writer, and a few read-only readers).

use std::io::ErrorKind;
use std::path::Path;
use std::time::Duration;

use gatehouse_domain::StoreError;
use gatehouse_domain::store::PoolStats;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use tokio::io::AsyncReadExt;

use crate::error::store_error;

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// How long SQLite waits for a lock held by another connection.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long an operation waits for a free pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// How many read-only connections the reader pool keeps at most.
const READERS: u32 = 4;

/// The writer and reader pools of one database file.
#[derive(Debug, Clone)]
pub(crate) struct Pools {
    /// The single writing connection.
    pub(crate) writer: SqlitePool,
    /// Read-only connections (`query_only`), for reads that need no transaction.
    pub(crate) reader: SqlitePool,
}

impl Pools {
    /// Opens (creating when missing) the database at `path`. A file that is not a SQLite
    /// database is refused before SQLite touches it.
    pub(crate) async fn open(path: &Path) -> Result<Self, StoreError> {
        check_header(path).await?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(
                options
                    .clone()
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal),
            )
            .await
            .map_err(store_error)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.pragma("query_only", "ON"))
            .await
            .map_err(store_error)?;
        let pools = Self { writer, reader };
        pools.probe().await?;
        Ok(pools)
    }

    /// Starts a write transaction on the writer with `BEGIN IMMEDIATE`, so it holds SQLite's
    /// write lock from its first statement and never fails to upgrade a read lock later.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)
    }

    /// Connection figures of both pools together.
    pub(crate) fn stats(&self) -> PoolStats {
        let size = self.writer.size() + self.reader.size();
        let idle = self.writer.num_idle() + self.reader.num_idle();
        let max = self.writer.options().get_max_connections()
            + self.reader.options().get_max_connections();
        PoolStats {
            size,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            max,
        }
    }

    /// Reads the schema, which makes SQLite read and check the whole file header.
    async fn probe(&self) -> Result<(), StoreError> {
        sqlx::query_scalar!(r#"SELECT count(*) AS "count!: i64" FROM sqlite_schema"#)
            .fetch_one(&self.reader)
            .await
            .map(drop)
            .map_err(store_error)
    }
}

/// Refuses an existing, non-empty file that does not start with the SQLite header. This runs
/// before any connection opens, so such a file is never modified (SQLite treats an empty file as
/// a new database).
async fn check_header(path: &Path) -> Result<(), StoreError> {
    let mut file = match tokio::fs::File::open(path).await {
        Ok(file) => file,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(unreadable(path, &error)),
    };
    let mut header = Vec::with_capacity(SQLITE_HEADER.len());
    let length = u64::try_from(SQLITE_HEADER.len()).unwrap_or(u64::MAX);
    (&mut file)
        .take(length)
        .read_to_end(&mut header)
        .await
        .map_err(|error| unreadable(path, &error))?;
    if header.is_empty() || header.as_slice() == SQLITE_HEADER {
        return Ok(());
    }
    Err(StoreError::Corrupt(format!(
        "{} is not a SQLite database (its header does not start with \"SQLite format 3\")",
        path.display()
    )))
}

fn unreadable(path: &Path, error: &std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("cannot read {}: {error}", path.display()))
}
