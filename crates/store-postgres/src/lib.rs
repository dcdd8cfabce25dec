//! Gatehouse's storage ports on PostgreSQL, the production, multi-node backend.
//!
//! This crate owns the PostgreSQL schema (`migrations/`, embedded and applied by
//! [`PostgresStore::migrate`]), the translation of `sqlx` errors into [`StoreError`]s, and the
//! implementation of every storage port of `gatehouse_domain::store` on a connection pool.
//! Several nodes share one database: the job queue claims with `FOR UPDATE SKIP LOCKED`, the
//! audit chainer serialises on an advisory lock, throttle counters, one-time tokens, TOTP steps,
//! recovery codes, sign-in challenges, authorization codes and refresh tokens change under row
//! locks, authorization-model changes serialise on the `rbac_version` row lock, and uniqueness
//! races are settled by the database's unique indexes. Time is never read here: every timestamp
//! comes from the caller.
//!
//! [`testing`] creates isolated databases for test suites.

mod audit;
mod chain;
mod error;
mod jobs;
mod keys;
mod mfa;
mod mfa_writes;
mod migrations;
mod oauth;
mod oauth_record;
mod oauth_writes;
mod rbac;
mod rbac_writes;
mod records;
mod sessions;
pub mod testing;
mod throttle;
mod tokens;
mod transaction;
mod users;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    AuditStore, Backend, JobStore, KeyStore, MfaStore, OAuthStore, PoolStats, RbacStore,
    SessionStore, Store, ThrottleStore, Transaction, UserStore,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

use crate::audit::PostgresAudit;
use crate::error::store_error;
use crate::jobs::PostgresJobs;
use crate::keys::PostgresKeys;
use crate::mfa::PostgresMfa;
use crate::oauth::PostgresOAuth;
use crate::rbac::PostgresRbac;
use crate::sessions::PostgresSessions;
use crate::throttle::PostgresThrottle;
use crate::transaction::PostgresTransaction;
use crate::users::PostgresUsers;

/// A Gatehouse database on PostgreSQL, backed by a connection pool. Cloning is cheap and shares
/// the pool.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    jobs: PostgresJobs,
    audit: PostgresAudit,
    keys: PostgresKeys,
    users: PostgresUsers,
    sessions: PostgresSessions,
    throttle: PostgresThrottle,
    rbac: PostgresRbac,
    mfa: PostgresMfa,
    oauth: PostgresOAuth,
}

impl PostgresStore {
    /// Opens a pool of at most `max_connections` connections to `url`. One connection is opened
    /// (and closed) right away without retrying, so a wrong address or a server that is down
    /// fails start-up at once, or after `acquire_timeout` when nothing answers, with
    /// [`StoreError::Unavailable`]. The pool then opens connections on demand, tests idle ones
    /// before handing them out and reconnects by itself after an outage; while the server is
    /// down, each operation fails with [`StoreError::Unavailable`] after `acquire_timeout`.
    pub async fn connect(
        url: &str,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> Result<Self, StoreError> {
        if max_connections == 0 {
            return Err(StoreError::Other(
                "max_connections must be at least 1".to_owned(),
            ));
        }
        let options = PgConnectOptions::from_str(url).map_err(store_error)?;
        first_connection(&options, acquire_timeout).await?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(acquire_timeout)
            .test_before_acquire(true)
            .connect_lazy_with(options);
        Ok(Self::from_pool(pool))
    }

    /// Wraps a pool.
    fn from_pool(pool: PgPool) -> Self {
        Self {
            jobs: PostgresJobs::new(pool.clone()),
            audit: PostgresAudit::new(pool.clone()),
            keys: PostgresKeys::new(pool.clone()),
            users: PostgresUsers::new(pool.clone()),
            sessions: PostgresSessions::new(pool.clone()),
            throttle: PostgresThrottle::new(pool.clone()),
            rbac: PostgresRbac::new(pool.clone()),
            mfa: PostgresMfa::new(pool.clone()),
            oauth: PostgresOAuth::new(pool.clone()),
            pool,
        }
    }

    /// Applies every embedded migration not applied yet. The migrator holds an advisory lock
    /// while it runs, so several nodes may start at once.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrations::run(&self.pool).await
    }

    /// Closes the pool: waits for checked-out connections to come back and closes them all.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Opens and closes one connection, so start-up fails fast when the server cannot be reached.
async fn first_connection(options: &PgConnectOptions, timeout: Duration) -> Result<(), StoreError> {
    let unavailable = |message: String| {
        StoreError::Unavailable(format!(
            "cannot connect to {}: {message}",
            describe_target(options)
        ))
    };
    let connection = match tokio::time::timeout(timeout, options.connect()).await {
        Err(_elapsed) => return Err(unavailable(format!("no answer within {timeout:?}"))),
        Ok(result) => result.map_err(|error| match store_error(error) {
            StoreError::Unavailable(message) => unavailable(message),
            other => other,
        })?,
    };
    connection.close().await.map_err(store_error)
}

/// `host:port/database` of `options`, for messages (never the password).
fn describe_target(options: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or_default()
    )
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
        let transaction = self.pool.begin().await.map_err(store_error)?;
        Ok(Box::new(PostgresTransaction::new(transaction)))
    }

    async fn check_ready(&self) -> Result<(), StoreError> {
        sqlx::query_scalar!(r#"SELECT 1 AS "answer!""#)
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)?;
        migrations::check_applied(&self.pool).await
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }
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
