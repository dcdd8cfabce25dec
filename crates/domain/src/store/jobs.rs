//! The job queue as stored. Jobs are enqueued inside the transaction of the change that causes
//! them, claimed with a lease that the runner renews while the job runs, and taken over by another
//! worker only after that lease has expired.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreError;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for `run_at` (which may be in the future: a scheduled job or a retry).
    Available,
    /// Claimed by `locked_by` until `lease_expires_at`.
    Running,
    /// Done.
    Completed,
    /// Failed for good: out of attempts, or a fatal error. Kept, and retryable by an admin.
    Dead,
}

impl JobState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Dead => "dead",
        }
    }

    /// Parses a stored name.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "available" => Some(Self::Available),
            "running" => Some(Self::Running),
            "completed" => Some(Self::Completed),
            "dead" => Some(Self::Dead),
            _ => None,
        }
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// UUIDv7 id.
    pub id: Uuid,
    /// Which handler runs it.
    pub kind: String,
    /// Which queue (and so which concurrency limit) it runs in.
    pub queue: String,
    /// The handler's input.
    pub payload: serde_json::Value,
    /// Not before.
    pub run_at: DateTime<Utc>,
    /// Attempts before it is dead.
    pub max_attempts: i32,
    /// At most one `available` or `running` job holds a given key.
    pub unique_key: Option<String>,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// UUIDv7 id.
    pub id: Uuid,
    /// Which handler runs it.
    pub kind: String,
    /// Which queue it runs in.
    pub queue: String,
    /// The handler's input.
    pub payload: serde_json::Value,
    /// Where it is in its life.
    pub state: JobState,
    /// Attempts started so far (a claim starts one).
    pub attempt: i32,
    /// Attempts before it is dead.
    pub max_attempts: i32,
    /// Not before.
    pub run_at: DateTime<Utc>,
    /// The worker holding the lease.
    pub locked_by: Option<String>,
    /// When the lease ends unless renewed.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// The last failure's message.
    pub last_error: Option<String>,
    /// Uniqueness key.
    pub unique_key: Option<String>,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it completed or died.
    pub finished_at: Option<DateTime<Utc>>,
}

/// The result of an enqueue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnqueueOutcome {
    /// Inserted with this id.
    Enqueued(Uuid),
    /// Not inserted: the job with this id holds the unique key.
    Duplicate(Uuid),
}

/// Filters for listing jobs.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Exact state.
    pub state: Option<JobState>,
    /// Exact queue.
    pub queue: Option<String>,
    /// Exact kind.
    pub kind: Option<String>,
}

/// How many jobs of a queue are in a state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobCount {
    /// The queue.
    pub queue: String,
    /// The state.
    pub state: JobState,
    /// How many.
    pub count: i64,
}

/// Stand-alone queue operations. Every method that changes a claimed job checks that `worker`
/// still holds it (`state = running AND locked_by = worker`) and returns false otherwise: a worker
/// whose lease was taken over cannot complete or fail the job any more.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Atomically claims up to `limit` jobs of `queue` for `worker`: `available` jobs with
    /// `run_at <= now`, and `running` jobs whose lease expired (`lease_expires_at <= now`), oldest
    /// `run_at` first. A claimed job becomes `running` with `attempt + 1`, `locked_by = worker`
    /// and `lease_expires_at = lease_until`. A job whose lease expired on its last attempt is made
    /// `dead` instead ("lease expired"). Two concurrent claims never return the same job.
    async fn claim(
        &self,
        queue: &str,
        worker: &str,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<Job>, StoreError>;

    /// Renews the leases `worker` holds on `ids`. Returns how many were renewed.
    async fn extend_leases(
        &self,
        ids: &[Uuid],
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Marks the job completed.
    async fn complete(
        &self,
        id: Uuid,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Records a failure and makes the job `available` again at `run_at`.
    async fn retry_later(
        &self,
        id: Uuid,
        worker: &str,
        error: &str,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Records a failure and makes the job `dead`.
    async fn mark_dead(
        &self,
        id: Uuid,
        worker: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Makes a `dead` job `available` now with its attempts reset. False when it is not dead.
    async fn retry_dead(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// One job.
    async fn get(&self, id: Uuid) -> Result<Option<Job>, StoreError>;

    /// Jobs matching `filter`, newest first, at most `limit`.
    async fn list(&self, filter: &JobFilter, limit: u32) -> Result<Vec<Job>, StoreError>;

    /// Job counts per queue and state (only non-zero counts).
    async fn counts(&self) -> Result<Vec<JobCount>, StoreError>;

    /// Deletes idempotency keys used before `before`. Returns how many.
    async fn prune_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Deletes jobs in `state` (`Completed` or `Dead`) that finished before `before`. Returns how
    /// many.
    async fn prune_finished(
        &self,
        state: JobState,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}
