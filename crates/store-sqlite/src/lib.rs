//! Gatehouse's storage ports on SQLite, the embedded single-node default.
//!
//! This crate owns the SQLite schema (`migrations/`, embedded at compile time), the SQLite
//! implementation of every port in `gatehouse_domain::store` ([`SqliteStore`]), and the
//! translation of driver errors into `StoreError` (`error.rs`). Timestamps are stored as INTEGER
//! Unix microseconds and uuids as 16-byte BLOBs. Every query is checked at compile time against
//! the schema; the offline query data lives in `.sqlx/` (see `prepare-queries.sh`).
//!
//! SQLite has a single writer: a pool of exactly one connection carries every write, each write
//! transaction starting with `BEGIN IMMEDIATE`; reads that need no transaction use a separate
//! pool of read-only connections, which WAL mode lets run beside the writer. A use case's
//! [`Transaction`] takes the writer with its first statement, not at `begin`, and holds it until
//! it ends: while it does, every other write of the process waits for it.

mod audit;
mod audit_record;
mod chain;
mod convert;
mod error;
mod job_record;
mod jobs;
mod keys;
mod mfa;
mod mfa_record;
mod mfa_writes;
mod oauth;
mod oauth_record;
mod oauth_writes;
mod pools;
mod queue;
mod rbac;
mod rbac_links;
mod rbac_record;
mod rbac_writes;
mod ready;
mod sessions;
mod throttle;
mod tokens;
mod transaction;
mod user_record;
mod users;

use std::path::Path;

use async_trait::async_trait;
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    AuditStore, Backend, JobStore, KeyStore, MfaStore, OAuthStore, PoolStats, RbacStore,
    SessionStore, Store, ThrottleStore, Transaction, UserStore,
};
use sqlx::migrate::Migrator;

use crate::audit::SqliteAuditStore;
use crate::error::migrate_error;
use crate::jobs::SqliteJobStore;
use crate::keys::SqliteKeyStore;
use crate::mfa::SqliteMfaStore;
use crate::oauth::SqliteOAuthStore;
use crate::pools::Pools;
use crate::rbac::SqliteRbacStore;
use crate::sessions::SqliteSessionStore;
use crate::throttle::SqliteThrottleStore;
use crate::transaction::SqliteTransaction;
use crate::users::SqliteUserStore;

/// The embedded migrations of `migrations/`.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A Gatehouse database in one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    pools: Pools,
    jobs: SqliteJobStore,
    audit: SqliteAuditStore,
    keys: SqliteKeyStore,
    users: SqliteUserStore,
    sessions: SqliteSessionStore,
    throttle: SqliteThrottleStore,
    rbac: SqliteRbacStore,
    mfa: SqliteMfaStore,
    oauth: SqliteOAuthStore,
}

impl SqliteStore {
    /// Opens the database at `path`, creating the file when it is missing, in WAL mode with
    /// foreign keys on, a 5 s busy timeout and `synchronous = NORMAL`. Applies no migrations
    /// (see [`SqliteStore::migrate`]).
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the file is not a SQLite database (the file is left
    /// untouched); [`StoreError::Unavailable`] when it cannot be opened.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let pools = Pools::open(path).await?;
        Ok(Self {
            jobs: SqliteJobStore::new(pools.clone()),
            audit: SqliteAuditStore::new(pools.clone()),
            keys: SqliteKeyStore::new(pools.clone()),
            users: SqliteUserStore::new(pools.clone()),
            sessions: SqliteSessionStore::new(pools.clone()),
            throttle: SqliteThrottleStore::new(pools.clone()),
            rbac: SqliteRbacStore::new(pools.clone()),
            mfa: SqliteMfaStore::new(pools.clone()),
            oauth: SqliteOAuthStore::new(pools.clone()),
            pools,
        })
    }

    /// Applies every embedded migration not applied yet.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the database holds a migration this version does not know
    /// or one that changed since it was applied; otherwise what the failing statement reports.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR
            .run(&self.pools.writer)
            .await
            .map_err(migrate_error)
    }

    /// Waits for every connection to be returned, then closes them, so SQLite checkpoints the
    /// write-ahead log into the database file. Later operations fail with
    /// [`StoreError::Unavailable`].
    pub async fn close(&self) {
        self.pools.reader.close().await;
        self.pools.writer.close().await;
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
        Ok(Box::new(SqliteTransaction::new(self.pools.clone())))
    }

    async fn check_ready(&self) -> Result<(), StoreError> {
        ready::check_ready(&self.pools.reader, &MIGRATOR).await
    }

    fn pool_stats(&self) -> PoolStats {
        self.pools.stats()
    }

    fn jobs(&self) -> &dyn JobStore {
        &self.jobs
    }

    fn audit(&self) -> &dyn AuditStore {
        &self.audit
    }

    fn keys(&self) -> &dyn KeyStore {
        &self.keys
    }

    fn users(&self) -> &dyn UserStore {
        &self.users
    }

    fn sessions(&self) -> &dyn SessionStore {
        &self.sessions
    }

    fn throttle(&self) -> &dyn ThrottleStore {
        &self.throttle
    }

    fn rbac(&self) -> &dyn RbacStore {
        &self.rbac
    }

    fn mfa(&self) -> &dyn MfaStore {
        &self.mfa
    }

    fn oauth(&self) -> &dyn OAuthStore {
        &self.oauth
    }
}
