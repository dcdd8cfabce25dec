//! The one transaction a use case writes through: its audit event, the jobs it causes, cron
//! ticks and subject keys commit together or not at all. The area writes (users, sessions,
//! one-time tokens, the authorization model) live next to their area's reads and use
//! [`PostgresTransaction::connection`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{AuditRow, EnqueueOutcome, NewJob, SubjectKeyRow, Transaction};
use sqlx::Postgres;
use sqlx::postgres::PgConnection;
use uuid::Uuid;

use crate::error::store_error;

/// How often an enqueue looks again for the holder of a unique key that was released between
/// the refused insert and the look-up.
const ENQUEUE_ATTEMPTS: usize = 3;

/// [`Transaction`] on one pooled connection. Dropping it without commit rolls it back.
#[derive(Debug)]
pub(crate) struct PostgresTransaction {
    transaction: sqlx::Transaction<'static, Postgres>,
}

impl PostgresTransaction {
    /// Wraps a started transaction.
    pub(crate) fn new(transaction: sqlx::Transaction<'static, Postgres>) -> Self {
        Self { transaction }
    }

    /// The transaction's connection, for the area writes.
    pub(crate) fn connection(&mut self) -> &mut PgConnection {
        &mut self.transaction
    }

    /// Inserts `job` unless an available or running job holds its unique key; returns the
    /// inserted id, or `None` when refused.
    async fn insert_job(&mut self, job: &NewJob) -> Result<Option<Uuid>, StoreError> {
        sqlx::query_scalar!(
            "INSERT INTO jobs (id, kind, queue, payload, state, attempt, max_attempts, run_at,
                               unique_key, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'available', 0, $5, $6, $7, $8, $8)
             ON CONFLICT (unique_key)
                 WHERE unique_key IS NOT NULL AND state IN ('available', 'running')
                 DO NOTHING
             RETURNING id",
            job.id,
            job.kind,
            job.queue,
            job.payload,
            job.max_attempts,
            job.run_at,
            job.unique_key.as_deref(),
            job.created_at,
        )
        .fetch_optional(&mut *self.transaction)
        .await
        .map_err(store_error)
    }

    /// The available or running job holding `unique_key`, if any.
    async fn unique_key_holder(&mut self, unique_key: &str) -> Result<Option<Uuid>, StoreError> {
        sqlx::query_scalar!(
            "SELECT id FROM jobs
             WHERE unique_key = $1 AND state IN ('available', 'running')",
            unique_key,
        )
        .fetch_optional(&mut *self.transaction)
        .await
        .map_err(store_error)
    }
}

#[async_trait]
impl Transaction for PostgresTransaction {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.transaction.commit().await.map_err(store_error)
    }

    async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
        self.transaction.rollback().await.map_err(store_error)
    }

    async fn insert_audit_event(&mut self, row: &AuditRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO audit_events (id, occurred_at, actor_kind, actor_id, action, target,
                                       outcome, request_id, subject_id, details, personal,
                                       personal_digest)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            row.id,
            row.occurred_at,
            row.actor_kind,
            row.actor_id.as_deref(),
            row.action,
            row.target.as_deref(),
            row.outcome,
            row.request_id.as_deref(),
            row.subject_id,
            row.details.as_deref(),
            row.personal.as_deref(),
            row.personal_digest.as_deref(),
        )
        .execute(&mut *self.transaction)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn enqueue_job(&mut self, job: &NewJob) -> Result<EnqueueOutcome, StoreError> {
        for _ in 0..ENQUEUE_ATTEMPTS {
            if let Some(id) = self.insert_job(job).await? {
                return Ok(EnqueueOutcome::Enqueued(id));
            }
            let Some(unique_key) = job.unique_key.as_deref() else {
                return Err(StoreError::Other(format!(
                    "job {} was not inserted",
                    job.id
                )));
            };
            // Read committed: this sees the holder that made the insert give way, unless it
            // finished in between, in which case the insert is tried again.
            if let Some(holder) = self.unique_key_holder(unique_key).await? {
                return Ok(EnqueueOutcome::Duplicate(holder));
            }
        }
        Err(StoreError::Other(format!(
            "job {}: the holder of its unique key kept changing",
            job.id
        )))
    }

    async fn advance_cron(&mut self, name: &str, tick: DateTime<Utc>) -> Result<bool, StoreError> {
        let moved = sqlx::query_scalar!(
            "INSERT INTO cron_ticks (name, last_tick, updated_at) VALUES ($1, $2, $2)
             ON CONFLICT (name) DO UPDATE
                 SET last_tick = EXCLUDED.last_tick, updated_at = EXCLUDED.updated_at
                 WHERE cron_ticks.last_tick < EXCLUDED.last_tick
             RETURNING name",
            name,
            tick,
        )
        .fetch_optional(&mut *self.transaction)
        .await
        .map_err(store_error)?;
        Ok(moved.is_some())
    }

    async fn use_idempotency_key(
        &mut self,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query!(
            "INSERT INTO idempotency_keys (key, created_at) VALUES ($1, $2)
             ON CONFLICT (key) DO NOTHING",
            key,
            now,
        )
        .execute(&mut *self.transaction)
        .await
        .map_err(store_error)?
        .rows_affected();
        Ok(inserted == 1)
    }

    async fn subject_key_or_insert(
        &mut self,
        row: &SubjectKeyRow,
    ) -> Result<SubjectKeyRow, StoreError> {
        sqlx::query!(
            "INSERT INTO subject_keys (subject_id, key_id, wrapped, created_at, destroyed_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (subject_id) DO NOTHING",
            row.subject_id,
            row.key_id,
            row.wrapped.as_deref(),
            row.created_at,
            row.destroyed_at,
        )
        .execute(&mut *self.transaction)
        .await
        .map_err(store_error)?;
        sqlx::query_as!(
            SubjectKeyRow,
            "SELECT subject_id, key_id, wrapped, created_at, destroyed_at
             FROM subject_keys WHERE subject_id = $1",
            row.subject_id,
        )
        .fetch_one(&mut *self.transaction)
        .await
        .map_err(store_error)
    }
}
