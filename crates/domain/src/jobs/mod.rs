//! Background jobs as the domain sees them: building a job, enqueuing it with the change that
//! causes it, retry timing, and cron schedules that fire once per tick across all nodes.

mod cron;

use chrono::{DateTime, Duration, Utc};

pub use cron::CronSchedule;

use crate::{
    DomainError,
    store::{EnqueueOutcome, NewJob, Store, new_id},
};

/// Attempts a job gets unless it says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 10;

/// Job kinds Gatehouse runs.
pub mod kind {
    /// Deletes finished jobs past their retention.
    pub const PRUNE_JOBS: &str = "prune_jobs";
    /// Deletes data whose retention ended (today: personal data in audit records).
    pub const PRUNE_EXPIRED: &str = "prune_expired";
    /// Rotates token-signing keys that reached their rotation age and deletes expired ones,
    /// with used-up OAuth codes, grants and idempotent answers.
    pub const OAUTH_MAINTENANCE: &str = "oauth_maintenance";
}

/// Queues Gatehouse runs jobs in.
pub mod queue {
    /// Housekeeping.
    pub const MAINTENANCE: &str = "maintenance";
    /// Everything else.
    pub const DEFAULT: &str = "default";
}

/// A job of `kind` in `queue`, due now.
pub fn new_job(kind: &str, queue: &str, payload: serde_json::Value, now: DateTime<Utc>) -> NewJob {
    NewJob {
        id: new_id(),
        kind: kind.to_owned(),
        queue: queue.to_owned(),
        payload,
        run_at: now,
        max_attempts: DEFAULT_MAX_ATTEMPTS,
        unique_key: None,
        created_at: now,
    }
}

/// Enqueues `job` in a transaction of its own, for callers with no other change to make.
pub async fn enqueue(store: &dyn Store, job: &NewJob) -> Result<EnqueueOutcome, DomainError> {
    let mut transaction = store.begin().await?;
    let outcome = transaction.enqueue_job(job).await?;
    transaction.commit().await?;
    Ok(outcome)
}

/// How long to wait before attempt `attempt + 1` after attempt `attempt` failed: 10 s doubling
/// per attempt, at most an hour, spread by up to ±10 % (`jitter` in `[-1, 1]`) so jobs that
/// failed together do not retry together.
pub fn backoff(attempt: i32, jitter: f64) -> Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
    let base = 10_i64.saturating_mul(1_i64 << exponent).min(3_600);
    let spread = (base as f64 * 0.1 * jitter.clamp(-1.0, 1.0)) as i64;
    Duration::seconds((base + spread).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_ten_seconds_and_stops_at_an_hour() {
        assert_eq!(backoff(1, 0.0), Duration::seconds(10));
        assert_eq!(backoff(2, 0.0), Duration::seconds(20));
        assert_eq!(backoff(4, 0.0), Duration::seconds(80));
        assert_eq!(backoff(30, 0.0), Duration::seconds(3_600));
        assert_eq!(backoff(1, 1.0), Duration::seconds(11));
        assert_eq!(backoff(1, -1.0), Duration::seconds(9));
        assert_eq!(backoff(0, 0.0), Duration::seconds(10));
    }
}
