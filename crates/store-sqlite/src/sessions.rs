//! Browser sessions: the stand-alone touch, listing and pruning, and the writes a use case makes
//! in its transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{SessionRow, SessionStore};
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::convert::{micros, optional_timestamp, timestamp};
use crate::error::store_error;
use crate::pools::Pools;

/// A `sessions` row in its stored form.
struct SessionRecord {
    id: Uuid,
    token_hash: Vec<u8>,
    user_id: Uuid,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    user_agent: Option<String>,
    ip: Option<String>,
    amr: String,
    authenticated_at: i64,
}

impl TryFrom<SessionRecord> for SessionRow {
    type Error = StoreError;

    fn try_from(record: SessionRecord) -> Result<Self, StoreError> {
        Ok(SessionRow {
            id: record.id,
            token_hash: record.token_hash,
            user_id: record.user_id,
            created_at: timestamp(record.created_at)?,
            last_seen_at: timestamp(record.last_seen_at)?,
            expires_at: timestamp(record.expires_at)?,
            revoked_at: optional_timestamp(record.revoked_at)?,
            user_agent: record.user_agent,
            ip: record.ip,
            amr: record.amr,
            authenticated_at: timestamp(record.authenticated_at)?,
        })
    }
}

/// Inserts a session.
pub(crate) async fn insert_session(
    connection: &mut SqliteConnection,
    row: &SessionRow,
) -> Result<(), StoreError> {
    let created_at = micros(row.created_at);
    let last_seen_at = micros(row.last_seen_at);
    let expires_at = micros(row.expires_at);
    let revoked_at = row.revoked_at.map(micros);
    let authenticated_at = micros(row.authenticated_at);
    sqlx::query!(
        "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, \
             revoked_at, user_agent, ip, amr, authenticated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        row.id,
        row.token_hash,
        row.user_id,
        created_at,
        last_seen_at,
        expires_at,
        revoked_at,
        row.user_agent,
        row.ip,
        row.amr,
        authenticated_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Revokes the user's live (unrevoked, unexpired) session `session_id`. True when revoked.
pub(crate) async fn revoke_session(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let now = micros(now);
    let revoked = sqlx::query!(
        "UPDATE sessions SET revoked_at = ?3 \
         WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?3",
        session_id,
        user_id,
        now,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(revoked.rows_affected() == 1)
}

/// Records a fresh authentication on the live session `session_id`: its `amr` and
/// `authenticated_at`. True when the session was live.
pub(crate) async fn reauthenticate_session(
    connection: &mut SqliteConnection,
    session_id: Uuid,
    token_hash: &[u8],
    amr: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let now = micros(now);
    let changed = sqlx::query!(
        "UPDATE sessions SET amr = ?2, authenticated_at = ?3, token_hash = ?4 \
         WHERE id = ?1 AND revoked_at IS NULL AND expires_at > ?3",
        session_id,
        amr,
        now,
        token_hash,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(changed.rows_affected() == 1)
}

/// Revokes every live session of the user except `keep`. Returns how many.
pub(crate) async fn revoke_sessions(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    keep: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let now = micros(now);
    let revoked = sqlx::query!(
        "UPDATE sessions SET revoked_at = ?3 \
         WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?3 \
             AND (?2 IS NULL OR id <> ?2)",
        user_id,
        keep,
        now,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(revoked.rows_affected())
}

/// [`SessionStore`] on the writer (changes) and reader (reads) pools.
#[derive(Debug)]
pub(crate) struct SqliteSessionStore {
    pools: Pools,
}

impl SqliteSessionStore {
    /// The session store of these pools.
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

#[async_trait]
impl SessionStore for SqliteSessionStore {
    async fn touch(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
        idle_cutoff: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<Option<SessionRow>, StoreError> {
        let (now, idle_cutoff) = (micros(now), micros(idle_cutoff));
        // A read on the reader pool; the single writer is taken only to refresh a stale
        // `last_seen_at`.
        let Some(mut record) = sqlx::query_as!(
            SessionRecord,
            r#"SELECT id AS "id: _", token_hash, user_id AS "user_id: _", created_at,
                   last_seen_at, expires_at, revoked_at, user_agent, ip, amr, authenticated_at
               FROM sessions
               WHERE token_hash = ?1 AND revoked_at IS NULL AND expires_at > ?2
                   AND last_seen_at > ?3"#,
            token_hash,
            now,
            idle_cutoff,
        )
        .fetch_optional(&self.pools.reader)
        .await
        .map_err(store_error)?
        else {
            return Ok(None);
        };
        if record.last_seen_at < micros(stale_before) {
            let refreshed = sqlx::query!(
                "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                record.id,
                now,
            )
            .execute(&self.pools.writer)
            .await
            .map_err(store_error)?
            .rows_affected();
            if refreshed == 0 {
                return Ok(None);
            }
            record.last_seen_at = now;
        }
        SessionRow::try_from(record).map(Some)
    }

    async fn list_for_user(
        &self,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRow>, StoreError> {
        let now = micros(now);
        let records = sqlx::query_as!(
            SessionRecord,
            r#"SELECT id AS "id: _", token_hash, user_id AS "user_id: _", created_at,
                   last_seen_at, expires_at, revoked_at, user_agent, ip, amr, authenticated_at
               FROM sessions
               WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2
               ORDER BY created_at DESC, id DESC"#,
            user_id,
            now,
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)?;
        records.into_iter().map(SessionRow::try_from).collect()
    }

    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let before = micros(before);
        let deleted = sqlx::query!(
            "DELETE FROM sessions WHERE expires_at < ?1 OR revoked_at < ?1",
            before,
        )
        .execute(&self.pools.writer)
        .await
        .map_err(store_error)?;
        Ok(deleted.rows_affected())
    }
}
