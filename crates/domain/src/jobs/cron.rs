//! Cron schedules. Every node evaluates every schedule; the store's conditional tick update lets
//! exactly one of them enqueue the job for a tick, in the same transaction.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use croner::Cron;

use super::new_job;
use crate::{
    DomainError,
    store::{NewJob, Store},
};

/// A job enqueued on a cron schedule.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    /// Unique schedule name.
    pub name: String,
    cron: Cron,
    /// The job kind to enqueue.
    pub kind: String,
    /// The queue to enqueue it in.
    pub queue: String,
}

impl CronSchedule {
    /// Parses a five-field cron expression (`0 * * * *` = hourly, UTC).
    pub fn new(name: &str, expression: &str, kind: &str, queue: &str) -> Result<Self, DomainError> {
        let cron = Cron::from_str(expression).map_err(|error| {
            DomainError::Invalid(format!("cron expression {expression:?}: {error}"))
        })?;
        Ok(Self {
            name: name.to_owned(),
            cron,
            kind: kind.to_owned(),
            queue: queue.to_owned(),
        })
    }

    /// The newest tick at or before `now`.
    pub fn latest_tick(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_previous_occurrence(&now, true).ok()
    }

    /// The first tick after `now`.
    pub fn next_tick(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&now, false).ok()
    }

    fn job(&self, tick: DateTime<Utc>) -> NewJob {
        let payload = serde_json::json!({ "schedule": self.name, "tick": tick.to_rfc3339() });
        NewJob {
            unique_key: Some(format!("cron:{}", self.name)),
            ..new_job(&self.kind, &self.queue, payload, tick)
        }
    }

    /// Enqueues the job for the newest tick unless some node already did. True when this call
    /// enqueued it.
    pub async fn fire_if_due(
        &self,
        store: &dyn Store,
        now: DateTime<Utc>,
    ) -> Result<bool, DomainError> {
        let Some(tick) = self.latest_tick(now) else {
            return Ok(false);
        };
        let mut transaction = store.begin().await?;
        if !transaction.advance_cron(&self.name, tick).await? {
            return Ok(false);
        }
        transaction.enqueue_job(&self.job(tick)).await?;
        transaction.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn hourly_schedule_finds_its_ticks() {
        let schedule =
            CronSchedule::new("prune", "0 * * * *", "prune_jobs", "maintenance").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 5, 1, 10, 17, 3).unwrap();
        assert_eq!(
            schedule.latest_tick(now),
            Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0).single()
        );
        assert_eq!(
            schedule.next_tick(now),
            Utc.with_ymd_and_hms(2026, 5, 1, 11, 0, 0).single()
        );
        let job = schedule.job(Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0).unwrap());
        assert_eq!(job.unique_key.as_deref(), Some("cron:prune"));
    }

    #[test]
    fn bad_expression_names_itself() {
        let error = CronSchedule::new("x", "61 * * * *", "k", "q").unwrap_err();
        assert!(error.to_string().contains("61 * * * *"));
    }
}
