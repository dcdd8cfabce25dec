//! Second factors and sign-in challenges: the stand-alone reads, the TOTP step acceptance, the
//! enrolment deadline and challenge pruning. Reads go to the reader pool; writes go to the single
//! writer, where the conditional update of a TOTP step is serialised with every other write, so
//! a step is accepted once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{ChallengeRow, FactorSummary, MfaStore, TotpRow, WebauthnRow};
use sqlx::{Executor, Sqlite};
use uuid::Uuid;

use crate::convert::{micros, timestamp};
use crate::error::store_error;
use crate::mfa_record::{ChallengeRecord, TotpRecord, WebauthnRecord};
use crate::pools::Pools;

/// The user's stored enrolment deadline (Unix microseconds), read through `executor`.
async fn stored_enrolment_due<'e, E>(executor: E, user_id: Uuid) -> Result<Option<i64>, StoreError>
where
    E: Executor<'e, Database = Sqlite>,
{
    sqlx::query_scalar!(
        "SELECT due_at FROM mfa_enrolment WHERE user_id = ?1",
        user_id,
    )
    .fetch_optional(executor)
    .await
    .map_err(store_error)
}

/// [`MfaStore`] on the writer (changes) and reader (reads) pools.
#[derive(Debug)]
pub(crate) struct SqliteMfaStore {
    pools: Pools,
}

impl SqliteMfaStore {
    /// The MFA store of these pools.
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

#[async_trait]
impl MfaStore for SqliteMfaStore {
    async fn totp_devices(&self, user_id: Uuid) -> Result<Vec<TotpRow>, StoreError> {
        let records = sqlx::query_as!(
            TotpRecord,
            r#"SELECT id AS "id: _", user_id AS "user_id: _", name, secret, created_at,
                   confirmed_at, last_step, last_used_at
               FROM mfa_totp
               WHERE user_id = ?1
               ORDER BY created_at, id"#,
            user_id,
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)?;
        records.into_iter().map(TotpRow::try_from).collect()
    }

    async fn totp_device(&self, user_id: Uuid, id: Uuid) -> Result<Option<TotpRow>, StoreError> {
        let record = sqlx::query_as!(
            TotpRecord,
            r#"SELECT id AS "id: _", user_id AS "user_id: _", name, secret, created_at,
                   confirmed_at, last_step, last_used_at
               FROM mfa_totp
               WHERE id = ?1 AND user_id = ?2"#,
            id,
            user_id,
        )
        .fetch_optional(&self.pools.reader)
        .await
        .map_err(store_error)?;
        record.map(TotpRow::try_from).transpose()
    }

    async fn accept_totp_step(
        &self,
        id: Uuid,
        step: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = micros(now);
        let accepted = sqlx::query_scalar!(
            r#"UPDATE mfa_totp SET last_step = ?2, last_used_at = ?3
               WHERE id = ?1 AND confirmed_at IS NOT NULL
                   AND (last_step IS NULL OR last_step < ?2)
               RETURNING id AS "id!: Uuid""#,
            id,
            step,
            now,
        )
        .fetch_optional(&self.pools.writer)
        .await
        .map_err(store_error)?;
        Ok(accepted.is_some())
    }

    async fn webauthn_credentials(&self, user_id: Uuid) -> Result<Vec<WebauthnRow>, StoreError> {
        let records = sqlx::query_as!(
            WebauthnRecord,
            r#"SELECT id AS "id: _", user_id AS "user_id: _", name, credential_id, credential,
                   kind, sign_count, backup_eligible AS "backup_eligible: _",
                   backup_state AS "backup_state: _", created_at, last_used_at
               FROM webauthn_credentials
               WHERE user_id = ?1
               ORDER BY created_at, id"#,
            user_id,
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)?;
        records.into_iter().map(WebauthnRow::try_from).collect()
    }

    async fn webauthn_by_credential_id(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<WebauthnRow>, StoreError> {
        let record = sqlx::query_as!(
            WebauthnRecord,
            r#"SELECT id AS "id: _", user_id AS "user_id: _", name, credential_id, credential,
                   kind, sign_count, backup_eligible AS "backup_eligible: _",
                   backup_state AS "backup_state: _", created_at, last_used_at
               FROM webauthn_credentials
               WHERE credential_id = ?1"#,
            credential_id,
        )
        .fetch_optional(&self.pools.reader)
        .await
        .map_err(store_error)?;
        record.map(WebauthnRow::try_from).transpose()
    }

    async fn factor_summary(&self, user_id: Uuid) -> Result<FactorSummary, StoreError> {
        // One statement, so the four counts come from one snapshot.
        let summary = sqlx::query_as!(
            FactorSummary,
            r#"SELECT
                   (SELECT COUNT(*) FROM mfa_totp
                    WHERE user_id = ?1 AND confirmed_at IS NOT NULL) AS "totp!: i64",
                   (SELECT COUNT(*) FROM mfa_recovery_codes
                    WHERE user_id = ?1 AND used_at IS NULL) AS "recovery_codes!: i64",
                   (SELECT COUNT(*) FROM webauthn_credentials
                    WHERE user_id = ?1 AND kind = 'security_key') AS "security_keys!: i64",
                   (SELECT COUNT(*) FROM webauthn_credentials
                    WHERE user_id = ?1 AND kind = 'passkey') AS "passkeys!: i64""#,
            user_id,
        )
        .fetch_one(&self.pools.reader)
        .await
        .map_err(store_error)?;
        Ok(summary)
    }

    async fn challenge(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<ChallengeRow>, StoreError> {
        let now = micros(now);
        let record = sqlx::query_as!(
            ChallengeRecord,
            r#"SELECT id AS "id: _", token_hash, kind, user_id AS "user_id: _",
                   session_id AS "session_id: _", state, attempts AS "attempts: _",
                   created_at, expires_at, consumed_at
               FROM auth_challenges
               WHERE token_hash = ?1 AND consumed_at IS NULL AND expires_at > ?2"#,
            token_hash,
            now,
        )
        .fetch_optional(&self.pools.reader)
        .await
        .map_err(store_error)?;
        record.map(ChallengeRow::try_from).transpose()
    }

    async fn enrolment_due(
        &self,
        user_id: Uuid,
        proposed: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, StoreError> {
        // Set once and never changed: a stored deadline is read without taking the writer.
        if let Some(due_at) = stored_enrolment_due(&self.pools.reader, user_id).await? {
            return timestamp(due_at);
        }
        let proposed = micros(proposed);
        sqlx::query!(
            "INSERT INTO mfa_enrolment (user_id, due_at) VALUES (?1, ?2) \
             ON CONFLICT (user_id) DO NOTHING",
            user_id,
            proposed,
        )
        .execute(&self.pools.writer)
        .await
        .map_err(store_error)?;
        // Whoever inserted first, their deadline is the one stored.
        let due_at = stored_enrolment_due(&self.pools.writer, user_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))?;
        timestamp(due_at)
    }

    async fn prune_challenges(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let before = micros(before);
        let deleted = sqlx::query!(
            "DELETE FROM auth_challenges WHERE expires_at < ?1 OR consumed_at < ?1",
            before,
        )
        .execute(&self.pools.writer)
        .await
        .map_err(store_error)?;
        Ok(deleted.rows_affected())
    }
}
