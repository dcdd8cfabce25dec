//! The job-queue writes a use case makes inside its transaction: enqueueing a job and recording
//! a cron tick.

use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{EnqueueOutcome, NewJob};
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::convert::micros;
use crate::error::store_error;

/// Inserts `job` as `available`, unless an `available` or `running` job holds its unique key:
/// then nothing is inserted and the holder's id is returned.
pub(crate) async fn enqueue(
    connection: &mut SqliteConnection,
    job: &NewJob,
) -> Result<EnqueueOutcome, StoreError> {
    let payload = job.payload.to_string();
    let run_at = micros(job.run_at);
    let created_at = micros(job.created_at);
    let inserted = sqlx::query!(
        "INSERT INTO jobs (id, kind, queue, payload, state, attempt, max_attempts, run_at, \
             unique_key, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, 'available', 0, ?5, ?6, ?7, ?8, ?8) \
         ON CONFLICT (unique_key) \
             WHERE unique_key IS NOT NULL AND state IN ('available', 'running') \
         DO NOTHING",
        job.id,
        job.kind,
        job.queue,
        payload,
        job.max_attempts,
        run_at,
        job.unique_key,
        created_at,
    )
    .execute(&mut *connection)
    .await
    .map_err(store_error)?
    .rows_affected();
    if inserted == 1 {
        return Ok(EnqueueOutcome::Enqueued(job.id));
    }
    let holder = unique_key_holder(connection, job.unique_key.as_deref()).await?;
    Ok(EnqueueOutcome::Duplicate(holder))
}

/// The `available` or `running` job holding `unique_key`.
async fn unique_key_holder(
    connection: &mut SqliteConnection,
    unique_key: Option<&str>,
) -> Result<Uuid, StoreError> {
    let Some(unique_key) = unique_key else {
        return Err(StoreError::Other(
            "job without a unique key was not inserted".to_owned(),
        ));
    };
    sqlx::query_scalar!(
        r#"SELECT id AS "id: Uuid" FROM jobs
           WHERE unique_key = ?1 AND state IN ('available', 'running')"#,
        unique_key
    )
    .fetch_one(connection)
    .await
    .map_err(store_error)
}

/// Records `tick` for the cron schedule `name` when it is later than the recorded tick (or none
/// is recorded). True only when the tick moved forward.
pub(crate) async fn advance_cron(
    connection: &mut SqliteConnection,
    name: &str,
    tick: DateTime<Utc>,
) -> Result<bool, StoreError> {
    // The port passes no separate "now": the tick is when the schedule fired, so it is also
    // when the row last changed.
    let tick = micros(tick);
    let changed = sqlx::query!(
        "INSERT INTO cron_ticks (name, last_tick, updated_at) VALUES (?1, ?2, ?2) \
         ON CONFLICT (name) DO UPDATE \
             SET last_tick = excluded.last_tick, updated_at = excluded.updated_at \
             WHERE excluded.last_tick > cron_ticks.last_tick",
        name,
        tick,
    )
    .execute(connection)
    .await
    .map_err(store_error)?
    .rows_affected();
    Ok(changed == 1)
}

/// Inserts `key` unless it exists. True when this call inserted it.
pub(crate) async fn use_idempotency_key(
    connection: &mut SqliteConnection,
    key: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let now = micros(now);
    let inserted = sqlx::query!(
        "INSERT INTO idempotency_keys (key, created_at) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
        key,
        now,
    )
    .execute(connection)
    .await
    .map_err(store_error)?
    .rows_affected();
    Ok(inserted == 1)
}
