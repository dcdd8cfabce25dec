//! The storage ports. `store-sqlite` and `store-postgres` implement them; the contract suite in
//! `store-contract` states and checks what every implementation must do.
//!
//! A use case makes one atomic change through one [`Transaction`]: its state, its audit event and
//! any job it causes commit together or not at all. Operations that stand alone (claiming a job,
//! listing audit records) live on the per-area stores returned by [`Store`].

mod audit;
mod jobs;
mod keys;
mod mfa;
mod oauth;
mod rbac;
mod sessions;
mod throttle;
mod tokens;
mod users;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use audit::{AuditFilter, AuditPage, AuditRow, AuditStore, ChainHead, ChainTransaction};
pub use jobs::{EnqueueOutcome, Job, JobCount, JobFilter, JobState, JobStore, NewJob};
pub use keys::{DataKeyRow, KeyStore, SubjectKeyRow};
pub use mfa::{
    ChallengeRow, FactorSummary, MfaStore, MfaWrites, RecoveryCodeRow, TotpRow, WebauthnRow,
};
pub use oauth::{
    AuthCodeRow, ClientLogoRow, ClientRow, CodeUse, ConsentRow, GrantRow, IdempotentResponseRow,
    OAuthStore, OAuthWrites, RefreshTokenRow, RefreshUse, SigningKeyRow,
};
pub use rbac::{
    ApiRow, CapabilityRow, GroupRow, RbacModel, RbacStore, RbacWrites, RoleAssignment, RoleRow,
    UserAssignments,
};
pub use sessions::{SessionRow, SessionStore, SessionWrites};
pub use throttle::{ThrottleDecision, ThrottlePolicy, ThrottleStore};
pub use tokens::{OneTimeTokenRow, TokenWrites};
pub use users::{PasswordRow, UserFilter, UserRow, UserStore, UserWrites};

use crate::StoreError;

/// Which database an adapter runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded single-node default.
    Sqlite,
    /// The production, multi-node backend.
    Postgres,
}

/// Connection-pool figures for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolStats {
    /// Open connections.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The configured maximum.
    pub max: u32,
}

/// A Gatehouse database.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Which database this is.
    fn backend(&self) -> Backend;

    /// Starts the one transaction a use case writes through. Dropping it without
    /// [`Transaction::commit`] rolls it back.
    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError>;

    /// Ok when the database answers and every embedded migration is applied.
    async fn check_ready(&self) -> Result<(), StoreError>;

    /// Connection-pool figures.
    fn pool_stats(&self) -> PoolStats;

    /// The job queue's stand-alone operations.
    fn jobs(&self) -> &dyn JobStore;

    /// The audit log's stand-alone operations.
    fn audit(&self) -> &dyn AuditStore;

    /// Wrapped key material.
    fn keys(&self) -> &dyn KeyStore;

    /// Users and passwords.
    fn users(&self) -> &dyn UserStore;

    /// Browser sessions.
    fn sessions(&self) -> &dyn SessionStore;

    /// Attempt throttling.
    fn throttle(&self) -> &dyn ThrottleStore;

    /// The authorization model.
    fn rbac(&self) -> &dyn RbacStore;

    /// Second factors and sign-in challenges.
    fn mfa(&self) -> &dyn MfaStore;

    /// OAuth clients, signing keys, grants and consents.
    fn oauth(&self) -> &dyn OAuthStore;
}

/// One use case's atomic change. The area traits (`UserWrites`, `SessionWrites`,
/// `TokenWrites`, `RbacWrites`, `MfaWrites`, `OAuthWrites`) hold the writes of each area.
#[async_trait]
pub trait Transaction:
    UserWrites + SessionWrites + TokenWrites + RbacWrites + MfaWrites + OAuthWrites + Send
{
    /// Makes every change of this transaction durable.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;

    /// Discards every change of this transaction.
    async fn rollback(self: Box<Self>) -> Result<(), StoreError>;

    /// Appends an unchained audit record (`chain_seq` and `chain_mac` are ignored; the chainer
    /// sets them after commit). The store assigns `position`.
    async fn insert_audit_event(&mut self, row: &AuditRow) -> Result<(), StoreError>;

    /// Enqueues a job. With a `unique_key` already held by an `available` or `running` job, the
    /// new job is not inserted and the holder's id is returned as [`EnqueueOutcome::Duplicate`].
    async fn enqueue_job(&mut self, job: &NewJob) -> Result<EnqueueOutcome, StoreError>;

    /// Records that the cron schedule `name` fired for `tick`. True only for the first caller
    /// for a tick later than any recorded before, across all nodes; false otherwise.
    async fn advance_cron(&mut self, name: &str, tick: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Marks `key` as used. True for the one transaction that commits it first (on any node;
    /// a concurrent one waits and then gets false); false when it was used before. A job's
    /// database effect and its key commit together, so a rerun after a crash skips the effect.
    async fn use_idempotency_key(
        &mut self,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Returns the key row of `row.subject_id`, inserting `row` when the subject has none yet.
    /// A destroyed key stays destroyed: the returned row then has `wrapped == None`.
    async fn subject_key_or_insert(
        &mut self,
        row: &SubjectKeyRow,
    ) -> Result<SubjectKeyRow, StoreError>;
}

/// A fresh UUIDv7, the id of every new row.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
