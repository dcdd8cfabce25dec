//! Browser sessions: looking one up by its token digest (and marking it used) in one conditional
//! update, listing and pruning on the pool, and the inserts and revocations a use case makes
//! inside its transaction. A session is live while it is not revoked and `expires_at > now`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{SessionRow, SessionStore, SessionWrites};
use sqlx::postgres::PgPool;
use uuid::Uuid;

use crate::error::store_error;
use crate::transaction::PostgresTransaction;

/// [`SessionStore`] on the pool.
#[derive(Debug, Clone)]
pub(crate) struct PostgresSessions {
    pool: PgPool,
}

impl PostgresSessions {
    /// Session operations on `pool`.
    pub(crate) fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl SessionStore for PostgresSessions {
    async fn touch(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
        idle_cutoff: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<Option<SessionRow>, StoreError> {
        // A read; a write only to refresh a stale `last_seen_at`.
        let Some(mut row) = sqlx::query_as!(
            SessionRow,
            "SELECT id, token_hash, user_id, created_at, last_seen_at, expires_at, revoked_at,
                    user_agent, ip, amr, authenticated_at
             FROM sessions
             WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2
               AND last_seen_at > $3",
            token_hash,
            now,
            idle_cutoff,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        else {
            return Ok(None);
        };
        if row.last_seen_at < stale_before {
            let refreshed = sqlx::query!(
                "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                row.id,
                now,
            )
            .execute(&self.pool)
            .await
            .map_err(store_error)?
            .rows_affected();
            if refreshed == 0 {
                return Ok(None);
            }
            row.last_seen_at = now;
        }
        Ok(Some(row))
    }

    async fn list_for_user(
        &self,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRow>, StoreError> {
        sqlx::query_as!(
            SessionRow,
            "SELECT id, token_hash, user_id, created_at, last_seen_at, expires_at, revoked_at,
                    user_agent, ip, amr, authenticated_at
             FROM sessions
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
             ORDER BY created_at DESC, id DESC",
            user_id,
            now,
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = sqlx::query!(
            "DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1",
            before,
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected())
    }
}

#[async_trait]
impl SessionWrites for PostgresTransaction {
    async fn insert_session(&mut self, row: &SessionRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at,
                                   revoked_at, user_agent, ip, amr, authenticated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            row.id,
            row.token_hash,
            row.user_id,
            row.created_at,
            row.last_seen_at,
            row.expires_at,
            row.revoked_at,
            row.user_agent.as_deref(),
            row.ip.as_deref(),
            row.amr,
            row.authenticated_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn revoke_session(
        &mut self,
        user_id: Uuid,
        session_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE sessions SET revoked_at = $3
             WHERE id = $2 AND user_id = $1 AND revoked_at IS NULL AND expires_at > $3",
            user_id,
            session_id,
            now,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn reauthenticate_session(
        &mut self,
        session_id: Uuid,
        token_hash: &[u8],
        amr: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE sessions SET amr = $2, authenticated_at = $3, token_hash = $4
             WHERE id = $1 AND revoked_at IS NULL AND expires_at > $3",
            session_id,
            amr,
            now,
            token_hash,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn revoke_sessions(
        &mut self,
        user_id: Uuid,
        keep: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let result = sqlx::query!(
            "UPDATE sessions SET revoked_at = $3
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $3
               AND ($2::uuid IS NULL OR id <> $2)",
            user_id,
            keep,
            now,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected())
    }
}
