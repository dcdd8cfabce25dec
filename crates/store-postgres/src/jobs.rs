//! The job queue's stand-alone operations: claiming with `FOR UPDATE SKIP LOCKED`, lease
//! renewal, and the holder-checked state changes that end an attempt.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{Job, JobCount, JobFilter, JobState, JobStore};
use sqlx::postgres::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::store_error;
use crate::records::{JobRecord, jobs_from, limit_of, parse_state};

/// The message of a job that died because its lease expired on its last attempt.
const LEASE_EXPIRED: &str = "lease expired";

/// [`JobStore`] on the pool.
#[derive(Debug, Clone)]
pub(crate) struct PostgresJobs {
    pool: PgPool,
}

impl PostgresJobs {
    /// Queue operations on `pool`.
    pub(crate) fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl JobStore for PostgresJobs {
    async fn claim(
        &self,
        queue: &str,
        worker: &str,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<Job>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut transaction = self.pool.begin().await.map_err(store_error)?;
        bury_expired(&mut transaction, queue, now).await?;
        let records = take_due(&mut transaction, queue, worker, limit, now, lease_until).await?;
        transaction.commit().await.map_err(store_error)?;
        let mut jobs = jobs_from(records)?;
        jobs.sort_by_key(|job| (job.run_at, job.id));
        Ok(jobs)
    }

    async fn extend_leases(
        &self,
        ids: &[Uuid],
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let result = sqlx::query!(
            "UPDATE jobs SET lease_expires_at = $3
             WHERE id = ANY($1) AND state = 'running' AND locked_by = $2",
            ids,
            worker,
            lease_until,
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected())
    }

    async fn complete(
        &self,
        id: Uuid,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE jobs
             SET state = 'completed', locked_by = NULL, lease_expires_at = NULL,
                 finished_at = $3, updated_at = $3
             WHERE id = $1 AND state = 'running' AND locked_by = $2",
            id,
            worker,
            now,
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn retry_later(
        &self,
        id: Uuid,
        worker: &str,
        error: &str,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE jobs
             SET state = 'available', last_error = $3, run_at = $4, locked_by = NULL,
                 lease_expires_at = NULL, updated_at = $5
             WHERE id = $1 AND state = 'running' AND locked_by = $2",
            id,
            worker,
            error,
            run_at,
            now,
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn mark_dead(
        &self,
        id: Uuid,
        worker: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE jobs
             SET state = 'dead', last_error = $3, locked_by = NULL, lease_expires_at = NULL,
                 finished_at = $4, updated_at = $4
             WHERE id = $1 AND state = 'running' AND locked_by = $2",
            id,
            worker,
            error,
            now,
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn retry_dead(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE jobs
             SET state = 'available', attempt = 0, run_at = $2, locked_by = NULL,
                 lease_expires_at = NULL, finished_at = NULL, updated_at = $2
             WHERE id = $1 AND state = 'dead'",
            id,
            now,
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn get(&self, id: Uuid) -> Result<Option<Job>, StoreError> {
        let record = sqlx::query_as!(
            JobRecord,
            r#"SELECT id, kind, queue, payload, state, attempt, max_attempts, run_at, locked_by,
                   lease_expires_at, last_error, unique_key, created_at, updated_at, finished_at
               FROM jobs WHERE id = $1"#,
            id,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        record.map(Job::try_from).transpose()
    }

    async fn list(&self, filter: &JobFilter, limit: u32) -> Result<Vec<Job>, StoreError> {
        let records = sqlx::query_as!(
            JobRecord,
            r#"SELECT id, kind, queue, payload, state, attempt, max_attempts, run_at, locked_by,
                   lease_expires_at, last_error, unique_key, created_at, updated_at, finished_at
               FROM jobs
               WHERE ($1::text IS NULL OR state = $1)
                 AND ($2::text IS NULL OR queue = $2)
                 AND ($3::text IS NULL OR kind = $3)
               ORDER BY created_at DESC, id DESC
               LIMIT $4"#,
            filter.state.map(JobState::as_str),
            filter.queue.as_deref(),
            filter.kind.as_deref(),
            limit_of(limit),
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        jobs_from(records)
    }

    async fn counts(&self) -> Result<Vec<JobCount>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT queue, state, count(*) AS "count!"
               FROM jobs GROUP BY queue, state ORDER BY queue, state"#
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.into_iter()
            .map(|row| {
                Ok(JobCount {
                    state: parse_state(&row.state)?,
                    queue: row.queue,
                    count: row.count,
                })
            })
            .collect()
    }

    async fn prune_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = sqlx::query!("DELETE FROM idempotency_keys WHERE created_at < $1", before)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected())
    }

    async fn prune_finished(
        &self,
        state: JobState,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if !matches!(state, JobState::Completed | JobState::Dead) {
            return Err(StoreError::Other(format!(
                "only completed or dead jobs are pruned, not {}",
                state.as_str()
            )));
        }
        let result = sqlx::query!(
            "DELETE FROM jobs WHERE state = $1 AND finished_at < $2",
            state.as_str(),
            before,
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected())
    }
}

/// Makes `dead` the running jobs of `queue` whose lease expired on their last attempt. Rows
/// another claimer holds are skipped: that claimer deals with them.
async fn bury_expired(
    connection: &mut PgConnection,
    queue: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE jobs
         SET state = 'dead', last_error = $3, locked_by = NULL, lease_expires_at = NULL,
             finished_at = $2, updated_at = $2
         WHERE id IN (
             SELECT id FROM jobs
             WHERE queue = $1 AND state = 'running' AND lease_expires_at <= $2
               AND attempt >= max_attempts
             FOR UPDATE SKIP LOCKED)",
        queue,
        now,
        LEASE_EXPIRED,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Leases up to `limit` due jobs of `queue` to `worker`. The candidates are picked once (a
/// materialized CTE, which the planner never re-runs) and locked as they are picked; rows
/// locked by a concurrent claim are skipped, so two claims never return the same job.
async fn take_due(
    connection: &mut PgConnection,
    queue: &str,
    worker: &str,
    limit: u32,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Vec<JobRecord>, StoreError> {
    sqlx::query_as!(
        JobRecord,
        r#"WITH picked AS MATERIALIZED (
               SELECT id FROM jobs
               WHERE queue = $1
                 AND ((state = 'available' AND run_at <= $4)
                   OR (state = 'running' AND lease_expires_at <= $4
                       AND attempt < max_attempts))
               ORDER BY run_at, id
               LIMIT $5
               FOR UPDATE SKIP LOCKED)
           UPDATE jobs
           SET state = 'running', attempt = attempt + 1, locked_by = $2,
               lease_expires_at = $3, updated_at = $4
           WHERE id IN (SELECT id FROM picked)
           RETURNING id AS "id!", kind AS "kind!", queue AS "queue!",
               payload AS "payload!", state AS "state!", attempt AS "attempt!",
               max_attempts AS "max_attempts!", run_at AS "run_at!",
               locked_by AS "locked_by?", lease_expires_at AS "lease_expires_at?",
               last_error AS "last_error?", unique_key AS "unique_key?",
               created_at AS "created_at!", updated_at AS "updated_at!",
               finished_at AS "finished_at?""#,
        queue,
        worker,
        lease_until,
        now,
        limit_of(limit),
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)
}
