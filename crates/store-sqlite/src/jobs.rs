//! The job queue's stand-alone operations: claiming with a lease, renewing it, and finishing,
//! failing, retrying, listing and pruning jobs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{Job, JobCount, JobFilter, JobState, JobStore};
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::convert::{limit, micros, uuid_list};
use crate::error::store_error;
use crate::job_record::{JobRecord, jobs, parse_state};
use crate::pools::Pools;

/// [`JobStore`] on the writer (changes) and reader (reads) pools.
#[derive(Debug)]
pub(crate) struct SqliteJobStore {
    pools: Pools,
}

impl SqliteJobStore {
    /// The job store of these pools.
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

#[async_trait]
impl JobStore for SqliteJobStore {
    async fn claim(
        &self,
        queue: &str,
        worker: &str,
        limit_count: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<Job>, StoreError> {
        let mut transaction = self.pools.begin_write().await?;
        bury_expired(&mut transaction, queue, now).await?;
        let lease = Lease {
            worker,
            now,
            until: lease_until,
        };
        let records = take_due(&mut transaction, queue, limit_count, &lease).await?;
        transaction.commit().await.map_err(store_error)?;
        // RETURNING yields rows in no promised order.
        let mut claimed = jobs(records)?;
        claimed.sort_by_key(|job| (job.run_at, job.id));
        Ok(claimed)
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
        let ids = uuid_list(ids);
        let lease_until = micros(lease_until);
        // The port passes no "now", so `updated_at` keeps marking the last change of state.
        let renewed = sqlx::query!(
            "UPDATE jobs SET lease_expires_at = ?1 \
             WHERE state = 'running' AND locked_by = ?2 \
                 AND id IN (SELECT unhex(value) FROM json_each(?3))",
            lease_until,
            worker,
            ids,
        )
        .execute(&self.pools.writer)
        .await
        .map_err(store_error)?;
        Ok(renewed.rows_affected())
    }

    async fn complete(
        &self,
        id: Uuid,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = micros(now);
        let changed = sqlx::query!(
            "UPDATE jobs SET state = 'completed', locked_by = NULL, lease_expires_at = NULL, \
                 finished_at = ?3, updated_at = ?3 \
             WHERE id = ?1 AND state = 'running' AND locked_by = ?2",
            id,
            worker,
            now,
        )
        .execute(&self.pools.writer)
        .await
        .map_err(store_error)?;
        Ok(changed.rows_affected() == 1)
    }

    async fn retry_later(
        &self,
        id: Uuid,
        worker: &str,
        error: &str,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let run_at = micros(run_at);
        let now = micros(now);
        let changed = sqlx::query!(
            "UPDATE jobs SET state = 'available', last_error = ?3, run_at = ?4, \
                 locked_by = NULL, lease_expires_at = NULL, updated_at = ?5 \
             WHERE id = ?1 AND state = 'running' AND locked_by = ?2",
            id,
            worker,
            error,
            run_at,
            now,
        )
        .execute(&self.pools.writer)
        .await
        .map_err(store_error)?;
        Ok(changed.rows_affected() == 1)
    }

    async fn mark_dead(
        &self,
        id: Uuid,
        worker: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = micros(now);
        let changed = sqlx::query!(
            "UPDATE jobs SET state = 'dead', last_error = ?3, locked_by = NULL, \
                 lease_expires_at = NULL, finished_at = ?4, updated_at = ?4 \
             WHERE id = ?1 AND state = 'running' AND locked_by = ?2",
            id,
            worker,
            error,
            now,
        )
        .execute(&self.pools.writer)
        .await
        .map_err(store_error)?;
        Ok(changed.rows_affected() == 1)
    }

    async fn retry_dead(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let now = micros(now);
        // `last_error` stays, to show why the job had died.
        let changed = sqlx::query!(
            "UPDATE jobs SET state = 'available', attempt = 0, run_at = ?2, locked_by = NULL, \
                 lease_expires_at = NULL, finished_at = NULL, updated_at = ?2 \
             WHERE id = ?1 AND state = 'dead'",
            id,
            now,
        )
        .execute(&self.pools.writer)
        .await
        .map_err(store_error)?;
        Ok(changed.rows_affected() == 1)
    }

    async fn get(&self, id: Uuid) -> Result<Option<Job>, StoreError> {
        let record = sqlx::query_as!(
            JobRecord,
            r#"SELECT id AS "id: Uuid", kind, queue, payload, state, attempt AS "attempt: i32",
                   max_attempts AS "max_attempts: i32", run_at, locked_by, lease_expires_at,
                   last_error, unique_key, created_at, updated_at, finished_at
               FROM jobs WHERE id = ?1"#,
            id
        )
        .fetch_optional(&self.pools.reader)
        .await
        .map_err(store_error)?;
        record.map(Job::try_from).transpose()
    }

    async fn list(&self, filter: &JobFilter, limit_count: u32) -> Result<Vec<Job>, StoreError> {
        let state = filter.state.map(JobState::as_str);
        let limit_count = limit(limit_count);
        // Each filter is either unset (NULL) or must match: one static statement for every
        // combination of filters.
        let records = sqlx::query_as!(
            JobRecord,
            r#"SELECT id AS "id: Uuid", kind, queue, payload, state, attempt AS "attempt: i32",
                   max_attempts AS "max_attempts: i32", run_at, locked_by, lease_expires_at,
                   last_error, unique_key, created_at, updated_at, finished_at
               FROM jobs
               WHERE (?1 IS NULL OR state = ?1)
                   AND (?2 IS NULL OR queue = ?2)
                   AND (?3 IS NULL OR kind = ?3)
               ORDER BY created_at DESC, id DESC
               LIMIT ?4"#,
            state,
            filter.queue,
            filter.kind,
            limit_count,
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)?;
        jobs(records)
    }

    async fn counts(&self) -> Result<Vec<JobCount>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT queue, state, count(*) AS "count!: i64" FROM jobs
               GROUP BY queue, state ORDER BY queue, state"#
        )
        .fetch_all(&self.pools.reader)
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
        let before = micros(before);
        let deleted = sqlx::query!("DELETE FROM idempotency_keys WHERE created_at < ?1", before)
            .execute(&self.pools.writer)
            .await
            .map_err(store_error)?;
        Ok(deleted.rows_affected())
    }

    async fn prune_finished(
        &self,
        state: JobState,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let state = state.as_str();
        let before = micros(before);
        // Only completed and dead jobs have a `finished_at`, so other states delete nothing.
        let deleted = sqlx::query!(
            "DELETE FROM jobs WHERE state = ?1 AND finished_at < ?2",
            state,
            before,
        )
        .execute(&self.pools.writer)
        .await
        .map_err(store_error)?;
        Ok(deleted.rows_affected())
    }
}

/// Who claims, when, and until when the lease runs.
struct Lease<'a> {
    worker: &'a str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
}

/// Makes `dead` ("lease expired") the running jobs of `queue` whose lease expired on their last
/// attempt, so they are not handed on.
async fn bury_expired(
    connection: &mut SqliteConnection,
    queue: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let now = micros(now);
    sqlx::query!(
        "UPDATE jobs SET state = 'dead', last_error = 'lease expired', locked_by = NULL, \
             lease_expires_at = NULL, finished_at = ?2, updated_at = ?2 \
         WHERE queue = ?1 AND state = 'running' AND lease_expires_at <= ?2 \
             AND attempt >= max_attempts",
        queue,
        now,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Claims, in one statement, up to `limit_count` due jobs of `queue`: available ones whose
/// `run_at` has come and running ones whose lease expired, oldest `run_at` first.
async fn take_due(
    connection: &mut SqliteConnection,
    queue: &str,
    limit_count: u32,
    lease: &Lease<'_>,
) -> Result<Vec<JobRecord>, StoreError> {
    let now = micros(lease.now);
    let until = micros(lease.until);
    let limit_count = limit(limit_count);
    sqlx::query_as!(
        JobRecord,
        r#"UPDATE jobs SET state = 'running', attempt = attempt + 1, locked_by = ?1,
               lease_expires_at = ?2, updated_at = ?3
           WHERE id IN (
               SELECT id FROM jobs
               WHERE queue = ?4
                   AND ((state = 'available' AND run_at <= ?3)
                       OR (state = 'running' AND lease_expires_at <= ?3))
               ORDER BY run_at, id
               LIMIT ?5)
           RETURNING id AS "id!: Uuid", kind AS "kind!", queue AS "queue!",
               payload AS "payload!", state AS "state!", attempt AS "attempt!: i32",
               max_attempts AS "max_attempts!: i32", run_at AS "run_at!",
               locked_by AS "locked_by?", lease_expires_at AS "lease_expires_at?",
               last_error AS "last_error?", unique_key AS "unique_key?",
               created_at AS "created_at!", updated_at AS "updated_at!",
               finished_at AS "finished_at?""#,
        lease.worker,
        until,
        now,
        queue,
        limit_count,
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)
}
