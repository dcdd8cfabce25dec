//! Second factors and sign-in challenges as a use case changes them in its transaction. Every
//! one-time use (confirming a TOTP device, a recovery code, a challenge and its attempts) is one
//! conditional `UPDATE … RETURNING`: when two nodes race, the row lock makes the second wait and
//! then re-check the condition against the first one's result, so exactly one succeeds. A change
//! to one of a user's factors names the user, so nobody changes another user's factor by its
//! id. A taken WebAuthn credential id is refused by the unique index, which [`store_error`]
//! turns into [`StoreError::AlreadyExists`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{ChallengeRow, MfaWrites, RecoveryCodeRow, TotpRow, WebauthnRow};
use uuid::Uuid;

use crate::error::store_error;
use crate::transaction::PostgresTransaction;

#[async_trait]
impl MfaWrites for PostgresTransaction {
    async fn insert_totp(&mut self, row: &TotpRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO mfa_totp (id, user_id, name, secret, created_at, confirmed_at,
                                   last_step, last_used_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            row.id,
            row.user_id,
            row.name,
            row.secret,
            row.created_at,
            row.confirmed_at,
            row.last_step,
            row.last_used_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn confirm_totp(
        &mut self,
        user_id: Uuid,
        id: Uuid,
        step: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let confirmed = sqlx::query_scalar!(
            "UPDATE mfa_totp SET confirmed_at = $4, last_step = $3, last_used_at = $4
             WHERE id = $2 AND user_id = $1 AND confirmed_at IS NULL
             RETURNING id",
            user_id,
            id,
            step,
            now,
        )
        .fetch_optional(self.connection())
        .await
        .map_err(store_error)?;
        Ok(confirmed.is_some())
    }

    async fn rename_totp(
        &mut self,
        user_id: Uuid,
        id: Uuid,
        name: &str,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE mfa_totp SET name = $3 WHERE id = $2 AND user_id = $1",
            user_id,
            id,
            name,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn delete_totp(&mut self, user_id: Uuid, id: Uuid) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "DELETE FROM mfa_totp WHERE id = $2 AND user_id = $1",
            user_id,
            id,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn delete_unconfirmed_totp(
        &mut self,
        user_id: Uuid,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let result = sqlx::query!(
            "DELETE FROM mfa_totp
             WHERE user_id = $1 AND confirmed_at IS NULL AND created_at < $2",
            user_id,
            before,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected())
    }

    async fn replace_recovery_codes(
        &mut self,
        user_id: Uuid,
        rows: &[RecoveryCodeRow],
    ) -> Result<(), StoreError> {
        if let Some(row) = rows.iter().find(|row| row.user_id != user_id) {
            return Err(StoreError::Other(format!(
                "recovery code {} belongs to another user",
                row.id
            )));
        }
        sqlx::query!("DELETE FROM mfa_recovery_codes WHERE user_id = $1", user_id)
            .execute(self.connection())
            .await
            .map_err(store_error)?;
        for row in rows {
            sqlx::query!(
                "INSERT INTO mfa_recovery_codes (id, user_id, code_mac, created_at, used_at)
                 VALUES ($1, $2, $3, $4, $5)",
                row.id,
                row.user_id,
                row.code_mac,
                row.created_at,
                row.used_at,
            )
            .execute(self.connection())
            .await
            .map_err(store_error)?;
        }
        Ok(())
    }

    async fn use_recovery_code(
        &mut self,
        user_id: Uuid,
        code_mac: &[u8],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let used = sqlx::query_scalar!(
            "UPDATE mfa_recovery_codes SET used_at = $3
             WHERE user_id = $1 AND code_mac = $2 AND used_at IS NULL
             RETURNING id",
            user_id,
            code_mac,
            now,
        )
        .fetch_optional(self.connection())
        .await
        .map_err(store_error)?;
        Ok(used.is_some())
    }

    async fn insert_webauthn(&mut self, row: &WebauthnRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO webauthn_credentials (id, user_id, name, credential_id, credential,
                                               kind, sign_count, backup_eligible, backup_state,
                                               created_at, last_used_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            row.id,
            row.user_id,
            row.name,
            row.credential_id,
            row.credential,
            row.kind,
            row.sign_count,
            row.backup_eligible,
            row.backup_state,
            row.created_at,
            row.last_used_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn update_webauthn_use(
        &mut self,
        id: Uuid,
        credential: &str,
        sign_count: i64,
        backup_state: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE webauthn_credentials
             SET credential = $2, sign_count = $3, backup_state = $4, last_used_at = $5
             WHERE id = $1",
            id,
            credential,
            sign_count,
            backup_state,
            now,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn rename_webauthn(
        &mut self,
        user_id: Uuid,
        id: Uuid,
        name: &str,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE webauthn_credentials SET name = $3 WHERE id = $2 AND user_id = $1",
            user_id,
            id,
            name,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn delete_webauthn(&mut self, user_id: Uuid, id: Uuid) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "DELETE FROM webauthn_credentials WHERE id = $2 AND user_id = $1",
            user_id,
            id,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn delete_all_factors(&mut self, user_id: Uuid) -> Result<u64, StoreError> {
        let totp = sqlx::query!("DELETE FROM mfa_totp WHERE user_id = $1", user_id)
            .execute(self.connection())
            .await
            .map_err(store_error)?;
        let codes = sqlx::query!("DELETE FROM mfa_recovery_codes WHERE user_id = $1", user_id)
            .execute(self.connection())
            .await
            .map_err(store_error)?;
        let credentials = sqlx::query!(
            "DELETE FROM webauthn_credentials WHERE user_id = $1",
            user_id,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(totp.rows_affected() + codes.rows_affected() + credentials.rows_affected())
    }

    async fn insert_challenge(&mut self, row: &ChallengeRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO auth_challenges (id, token_hash, kind, user_id, session_id, state,
                                          attempts, created_at, expires_at, consumed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            row.id,
            row.token_hash,
            row.kind,
            row.user_id,
            row.session_id,
            row.state,
            row.attempts,
            row.created_at,
            row.expires_at,
            row.consumed_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn consume_challenge(
        &mut self,
        token_hash: &[u8],
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ChallengeRow>, StoreError> {
        sqlx::query_as!(
            ChallengeRow,
            "UPDATE auth_challenges SET consumed_at = $3
             WHERE token_hash = $1 AND kind = $2 AND consumed_at IS NULL AND expires_at > $3
             RETURNING id, token_hash, kind, user_id, session_id, state, attempts, created_at,
                       expires_at, consumed_at",
            token_hash,
            kind,
            now,
        )
        .fetch_optional(self.connection())
        .await
        .map_err(store_error)
    }

    async fn spend_challenge_attempt(
        &mut self,
        token_hash: &[u8],
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<Option<i32>, StoreError> {
        sqlx::query_scalar!(
            "UPDATE auth_challenges SET attempts = attempts + 1
             WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > $3
               AND attempts < $2
             RETURNING attempts",
            token_hash,
            max_attempts,
            now,
        )
        .fetch_optional(self.connection())
        .await
        .map_err(store_error)
    }

    async fn update_challenge_state(
        &mut self,
        token_hash: &[u8],
        state: &[u8],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE auth_challenges SET state = $2
             WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > $3",
            token_hash,
            state,
            now,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }
}
