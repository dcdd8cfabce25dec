//! One-time tokens, written inside a use case's transaction. Each consumption and each code
//! attempt is one conditional update: when two nodes race, the row lock makes the second wait
//! and then re-check the condition against the first one's result, so a token is consumed once
//! and its attempts never pass `max_attempts`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{OneTimeTokenRow, TokenWrites};
use uuid::Uuid;

use crate::error::store_error;
use crate::transaction::PostgresTransaction;

#[async_trait]
impl TokenWrites for PostgresTransaction {
    async fn insert_one_time_token(&mut self, row: &OneTimeTokenRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO one_time_tokens (id, token_hash, purpose, user_id, email, code_hash,
                                          attempts, max_attempts, created_at, expires_at,
                                          consumed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            row.id,
            row.token_hash,
            row.purpose,
            row.user_id,
            row.email.as_deref(),
            row.code_hash.as_deref(),
            row.attempts,
            row.max_attempts,
            row.created_at,
            row.expires_at,
            row.consumed_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn consume_one_time_token(
        &mut self,
        token_hash: &[u8],
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeTokenRow>, StoreError> {
        sqlx::query_as!(
            OneTimeTokenRow,
            "UPDATE one_time_tokens SET consumed_at = $3
             WHERE token_hash = $1 AND purpose = $2 AND consumed_at IS NULL AND expires_at > $3
             RETURNING id, token_hash, purpose, user_id, email, code_hash, attempts,
                       max_attempts, created_at, expires_at, consumed_at",
            token_hash,
            purpose,
            now,
        )
        .fetch_optional(self.connection())
        .await
        .map_err(store_error)
    }

    async fn spend_code_attempt(
        &mut self,
        user_id: Uuid,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeTokenRow>, StoreError> {
        // The sub-select locks the newest candidate, so parallel attempts take turns; the outer
        // condition is checked again on the row as the previous attempt left it.
        sqlx::query_as!(
            OneTimeTokenRow,
            "UPDATE one_time_tokens SET attempts = attempts + 1
             WHERE id = (SELECT id FROM one_time_tokens
                         WHERE user_id = $1 AND purpose = $2 AND consumed_at IS NULL
                           AND expires_at > $3 AND attempts < max_attempts
                         ORDER BY created_at DESC, id DESC
                         LIMIT 1
                         FOR UPDATE)
               AND consumed_at IS NULL AND expires_at > $3 AND attempts < max_attempts
             RETURNING id, token_hash, purpose, user_id, email, code_hash, attempts,
                       max_attempts, created_at, expires_at, consumed_at",
            user_id,
            purpose,
            now,
        )
        .fetch_optional(self.connection())
        .await
        .map_err(store_error)
    }

    async fn consume_one_time_token_by_id(
        &mut self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE one_time_tokens SET consumed_at = $2 WHERE id = $1 AND consumed_at IS NULL",
            id,
            now,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn revoke_one_time_tokens(
        &mut self,
        user_id: Uuid,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let result = sqlx::query!(
            "UPDATE one_time_tokens SET consumed_at = $3
             WHERE user_id = $1 AND purpose = $2 AND consumed_at IS NULL",
            user_id,
            purpose,
            now,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected())
    }
}
