//! Helpers shared by the SQLite adapter's test binaries: a fresh store in its own temporary
//! directory, and raw connections that bypass the ports.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    AuditStore, Backend, JobStore, KeyStore, MfaStore, OAuthStore, PoolStats, RbacStore,
    SessionStore, Store, ThrottleStore, Transaction, UserStore,
};
use gatehouse_store_sqlite::SqliteStore;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use tempfile::TempDir;

/// A [`SqliteStore`] that owns the temporary directory of its file, so the directory lives
/// exactly as long as the store.
#[derive(Debug)]
pub struct TestStore {
    store: SqliteStore,
    path: PathBuf,
    _directory: TempDir,
}

impl TestStore {
    /// Opens a new database file in a new temporary directory, without migrating it.
    pub async fn unmigrated() -> Self {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("gatehouse.db");
        let store = SqliteStore::open(&path).await.unwrap();
        Self {
            store,
            path,
            _directory: directory,
        }
    }

    /// Opens and migrates a new database file in a new temporary directory.
    pub async fn migrated() -> Self {
        let store = Self::unmigrated().await;
        store.store.migrate().await.unwrap();
        store
    }

    /// The store itself.
    pub fn inner(&self) -> &SqliteStore {
        &self.store
    }

    /// A raw connection to the same file, bypassing the ports.
    pub async fn raw(&self) -> SqliteConnection {
        raw_connection(&self.path).await
    }
}

/// A raw connection to the database file at `path`.
pub async fn raw_connection(path: &Path) -> SqliteConnection {
    let options = SqliteConnectOptions::new().filename(path);
    SqliteConnection::connect_with(&options).await.unwrap()
}

/// A fresh, migrated store behind the port.
pub async fn fresh_store() -> Option<Arc<dyn Store>> {
    Some(Arc::new(TestStore::migrated().await))
}

#[async_trait]
impl Store for TestStore {
    fn backend(&self) -> Backend {
        self.store.backend()
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
        self.store.begin().await
    }

    async fn check_ready(&self) -> Result<(), StoreError> {
        self.store.check_ready().await
    }

    fn pool_stats(&self) -> PoolStats {
        self.store.pool_stats()
    }

    fn jobs(&self) -> &dyn JobStore {
        self.store.jobs()
    }

    fn audit(&self) -> &dyn AuditStore {
        self.store.audit()
    }

    fn keys(&self) -> &dyn KeyStore {
        self.store.keys()
    }

    fn users(&self) -> &dyn UserStore {
        self.store.users()
    }

    fn sessions(&self) -> &dyn SessionStore {
        self.store.sessions()
    }

    fn throttle(&self) -> &dyn ThrottleStore {
        self.store.throttle()
    }

    fn rbac(&self) -> &dyn RbacStore {
        self.store.rbac()
    }

    fn mfa(&self) -> &dyn MfaStore {
        self.store.mfa()
    }

    fn oauth(&self) -> &dyn OAuthStore {
        self.store.oauth()
    }
}
