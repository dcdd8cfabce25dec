//! Second factors and sign-in challenges: the stand-alone reads, the TOTP step acceptance, the
//! enrolment deadline and challenge pruning, on the pool. A TOTP step is accepted by one
//! conditional update: when two nodes race, the row lock makes the second wait and then
//! re-check `last_step` against the first one's result, so a step is accepted once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{ChallengeRow, FactorSummary, MfaStore, TotpRow, WebauthnRow};
use sqlx::postgres::PgPool;
use uuid::Uuid;

use crate::error::store_error;

/// [`MfaStore`] on the pool.
#[derive(Debug, Clone)]
pub(crate) struct PostgresMfa {
    pool: PgPool,
}

impl PostgresMfa {
    /// MFA operations on `pool`.
    pub(crate) fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The user's stored enrolment deadline.
    async fn stored_enrolment_due(
        &self,
        user_id: Uuid,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        sqlx::query_scalar!(
            "SELECT due_at FROM mfa_enrolment WHERE user_id = $1",
            user_id,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)
    }
}

#[async_trait]
impl MfaStore for PostgresMfa {
    async fn totp_devices(&self, user_id: Uuid) -> Result<Vec<TotpRow>, StoreError> {
        sqlx::query_as!(
            TotpRow,
            "SELECT id, user_id, name, secret, created_at, confirmed_at, last_step, last_used_at
             FROM mfa_totp
             WHERE user_id = $1
             ORDER BY created_at, id",
            user_id,
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn totp_device(&self, user_id: Uuid, id: Uuid) -> Result<Option<TotpRow>, StoreError> {
        sqlx::query_as!(
            TotpRow,
            "SELECT id, user_id, name, secret, created_at, confirmed_at, last_step, last_used_at
             FROM mfa_totp
             WHERE id = $1 AND user_id = $2",
            id,
            user_id,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn accept_totp_step(
        &self,
        id: Uuid,
        step: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let accepted = sqlx::query_scalar!(
            "UPDATE mfa_totp SET last_step = $2, last_used_at = $3
             WHERE id = $1 AND confirmed_at IS NOT NULL
               AND (last_step IS NULL OR last_step < $2)
             RETURNING id",
            id,
            step,
            now,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(accepted.is_some())
    }

    async fn webauthn_credentials(&self, user_id: Uuid) -> Result<Vec<WebauthnRow>, StoreError> {
        sqlx::query_as!(
            WebauthnRow,
            "SELECT id, user_id, name, credential_id, credential, kind, sign_count,
                    backup_eligible, backup_state, created_at, last_used_at
             FROM webauthn_credentials
             WHERE user_id = $1
             ORDER BY created_at, id",
            user_id,
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn webauthn_by_credential_id(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<WebauthnRow>, StoreError> {
        sqlx::query_as!(
            WebauthnRow,
            "SELECT id, user_id, name, credential_id, credential, kind, sign_count,
                    backup_eligible, backup_state, created_at, last_used_at
             FROM webauthn_credentials
             WHERE credential_id = $1",
            credential_id,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn factor_summary(&self, user_id: Uuid) -> Result<FactorSummary, StoreError> {
        // One statement, so the four counts come from one snapshot.
        sqlx::query_as!(
            FactorSummary,
            r#"SELECT
                   (SELECT count(*) FROM mfa_totp
                    WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS "totp!",
                   (SELECT count(*) FROM mfa_recovery_codes
                    WHERE user_id = $1 AND used_at IS NULL) AS "recovery_codes!",
                   (SELECT count(*) FROM webauthn_credentials
                    WHERE user_id = $1 AND kind = 'security_key') AS "security_keys!",
                   (SELECT count(*) FROM webauthn_credentials
                    WHERE user_id = $1 AND kind = 'passkey') AS "passkeys!""#,
            user_id,
        )
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn challenge(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<ChallengeRow>, StoreError> {
        sqlx::query_as!(
            ChallengeRow,
            "SELECT id, token_hash, kind, user_id, session_id, state, attempts, created_at,
                    expires_at, consumed_at
             FROM auth_challenges
             WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > $2",
            token_hash,
            now,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn enrolment_due(
        &self,
        user_id: Uuid,
        proposed: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, StoreError> {
        // Set once and never changed: a stored deadline is only read.
        if let Some(due_at) = self.stored_enrolment_due(user_id).await? {
            return Ok(due_at);
        }
        // A concurrent insert makes this one wait for it and then do nothing; the read after
        // it (a new statement, a new snapshot) sees whichever deadline was stored first.
        sqlx::query!(
            "INSERT INTO mfa_enrolment (user_id, due_at) VALUES ($1, $2)
             ON CONFLICT (user_id) DO NOTHING",
            user_id,
            proposed,
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        self.stored_enrolment_due(user_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))
    }

    async fn prune_challenges(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = sqlx::query!(
            "DELETE FROM auth_challenges WHERE expires_at < $1 OR consumed_at < $1",
            before,
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected())
    }
}
