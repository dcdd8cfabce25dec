//! The use-case transaction: a `BEGIN IMMEDIATE` transaction on the writer connection, begun
//! by its first statement.
//!
//! Beginning lazily matters on SQLite's single writer: a use case may still make stand-alone
//! writes after `Store::begin` and before its first statement (the keyring storing a new data
//! key while an audit event is being sealed, say). Had the transaction taken the writer at
//! `begin`, such a write would wait for it forever. Nothing is read through a transaction before
//! its first statement, so beginning there is indistinguishable to the caller.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    ApiRow, AuditRow, AuthCodeRow, CapabilityRow, ChallengeRow, ClientLogoRow, ClientRow, CodeUse,
    EnqueueOutcome, GrantRow, GroupRow, IdempotentResponseRow, MfaWrites, NewJob, OAuthWrites,
    OneTimeTokenRow, PasswordRow, RbacWrites, RecoveryCodeRow, RefreshTokenRow, RefreshUse,
    RoleRow, SessionRow, SessionWrites, SigningKeyRow, SubjectKeyRow, TokenWrites, TotpRow,
    Transaction, UserRow, UserWrites, WebauthnRow,
};
use sqlx::{Sqlite, SqliteConnection};
use uuid::Uuid;

use crate::error::store_error;
use crate::pools::Pools;
use crate::{
    audit, keys, mfa_writes, oauth_writes, queue, rbac_links, rbac_writes, sessions, tokens, users,
};

/// One use case's atomic change. Dropping it uncommitted rolls it back.
pub(crate) struct SqliteTransaction {
    pools: Pools,
    /// The write transaction, once the first statement has begun it.
    transaction: Option<sqlx::Transaction<'static, Sqlite>>,
}

impl SqliteTransaction {
    /// A transaction that takes the writer with its first statement.
    pub(crate) fn new(pools: Pools) -> Self {
        Self {
            pools,
            transaction: None,
        }
    }

    /// The connection of the write transaction, beginning it on first use.
    async fn connection(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        let Self { pools, transaction } = self;
        let open = match transaction.take() {
            Some(open) => open,
            None => pools.begin_write().await?,
        };
        Ok(&mut **transaction.insert(open))
    }
}

#[async_trait]
impl Transaction for SqliteTransaction {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        match self.transaction {
            Some(transaction) => transaction.commit().await.map_err(store_error),
            None => Ok(()),
        }
    }

    async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
        match self.transaction {
            Some(transaction) => transaction.rollback().await.map_err(store_error),
            None => Ok(()),
        }
    }

    async fn insert_audit_event(&mut self, row: &AuditRow) -> Result<(), StoreError> {
        audit::insert_event(self.connection().await?, row).await
    }

    async fn enqueue_job(&mut self, job: &NewJob) -> Result<EnqueueOutcome, StoreError> {
        queue::enqueue(self.connection().await?, job).await
    }

    async fn advance_cron(&mut self, name: &str, tick: DateTime<Utc>) -> Result<bool, StoreError> {
        queue::advance_cron(self.connection().await?, name, tick).await
    }

    async fn use_idempotency_key(
        &mut self,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        queue::use_idempotency_key(self.connection().await?, key, now).await
    }

    async fn subject_key_or_insert(
        &mut self,
        row: &SubjectKeyRow,
    ) -> Result<SubjectKeyRow, StoreError> {
        keys::subject_key_or_insert(self.connection().await?, row).await
    }
}

#[async_trait]
impl UserWrites for SqliteTransaction {
    async fn insert_user(&mut self, row: &UserRow) -> Result<(), StoreError> {
        users::insert_user(self.connection().await?, row).await
    }

    async fn update_user(&mut self, row: &UserRow) -> Result<bool, StoreError> {
        users::update_user(self.connection().await?, row).await
    }

    async fn lock_user(&mut self, id: Uuid) -> Result<Option<UserRow>, StoreError> {
        users::lock_user(self.connection().await?, id).await
    }

    async fn set_password(&mut self, row: &PasswordRow) -> Result<(), StoreError> {
        users::set_password(self.connection().await?, row).await
    }

    async fn delete_user(&mut self, id: Uuid) -> Result<bool, StoreError> {
        users::delete_user(self.connection().await?, id).await
    }
}

#[async_trait]
impl SessionWrites for SqliteTransaction {
    async fn insert_session(&mut self, row: &SessionRow) -> Result<(), StoreError> {
        sessions::insert_session(self.connection().await?, row).await
    }

    async fn revoke_session(
        &mut self,
        user_id: Uuid,
        session_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        sessions::revoke_session(self.connection().await?, user_id, session_id, now).await
    }

    async fn reauthenticate_session(
        &mut self,
        session_id: Uuid,
        token_hash: &[u8],
        amr: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        sessions::reauthenticate_session(self.connection().await?, session_id, token_hash, amr, now)
            .await
    }

    async fn revoke_sessions(
        &mut self,
        user_id: Uuid,
        keep: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        sessions::revoke_sessions(self.connection().await?, user_id, keep, now).await
    }
}

#[async_trait]
impl TokenWrites for SqliteTransaction {
    async fn insert_one_time_token(&mut self, row: &OneTimeTokenRow) -> Result<(), StoreError> {
        tokens::insert_token(self.connection().await?, row).await
    }

    async fn consume_one_time_token(
        &mut self,
        token_hash: &[u8],
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeTokenRow>, StoreError> {
        tokens::consume_token(self.connection().await?, token_hash, purpose, now).await
    }

    async fn spend_code_attempt(
        &mut self,
        user_id: Uuid,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeTokenRow>, StoreError> {
        tokens::spend_code_attempt(self.connection().await?, user_id, purpose, now).await
    }

    async fn consume_one_time_token_by_id(
        &mut self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        tokens::consume_token_by_id(self.connection().await?, id, now).await
    }

    async fn revoke_one_time_tokens(
        &mut self,
        user_id: Uuid,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        tokens::revoke_tokens(self.connection().await?, user_id, purpose, now).await
    }
}

#[async_trait]
impl RbacWrites for SqliteTransaction {
    async fn lock_rbac(&mut self) -> Result<i64, StoreError> {
        rbac_writes::lock_rbac(self.connection().await?).await
    }

    async fn bump_rbac_version(&mut self) -> Result<i64, StoreError> {
        rbac_writes::bump_rbac_version(self.connection().await?).await
    }

    async fn upsert_api(&mut self, row: &ApiRow) -> Result<(), StoreError> {
        rbac_writes::upsert_api(self.connection().await?, row).await
    }

    async fn delete_api(&mut self, id: Uuid) -> Result<bool, StoreError> {
        rbac_writes::delete_api(self.connection().await?, id).await
    }

    async fn upsert_capability(&mut self, row: &CapabilityRow) -> Result<(), StoreError> {
        rbac_writes::upsert_capability(self.connection().await?, row).await
    }

    async fn delete_capability(&mut self, id: Uuid) -> Result<bool, StoreError> {
        rbac_writes::delete_capability(self.connection().await?, id).await
    }

    async fn upsert_role(&mut self, row: &RoleRow) -> Result<(), StoreError> {
        rbac_writes::upsert_role(self.connection().await?, row).await
    }

    async fn delete_role(&mut self, id: Uuid) -> Result<bool, StoreError> {
        rbac_writes::delete_role(self.connection().await?, id).await
    }

    async fn set_role_capabilities(
        &mut self,
        role_id: Uuid,
        capabilities: &[Uuid],
    ) -> Result<(), StoreError> {
        rbac_links::set_role_capabilities(self.connection().await?, role_id, capabilities).await
    }

    async fn set_role_includes(&mut self, role_id: Uuid, roles: &[Uuid]) -> Result<(), StoreError> {
        rbac_links::set_role_includes(self.connection().await?, role_id, roles).await
    }

    async fn upsert_group(&mut self, row: &GroupRow) -> Result<(), StoreError> {
        rbac_writes::upsert_group(self.connection().await?, row).await
    }

    async fn delete_group(&mut self, id: Uuid) -> Result<bool, StoreError> {
        rbac_writes::delete_group(self.connection().await?, id).await
    }

    async fn set_group_roles(&mut self, group_id: Uuid, roles: &[Uuid]) -> Result<(), StoreError> {
        rbac_links::set_group_roles(self.connection().await?, group_id, roles).await
    }

    async fn add_group_member(&mut self, group_id: Uuid, user_id: Uuid) -> Result<(), StoreError> {
        rbac_links::add_group_member(self.connection().await?, group_id, user_id).await
    }

    async fn remove_group_member(
        &mut self,
        group_id: Uuid,
        user_id: Uuid,
    ) -> Result<bool, StoreError> {
        rbac_links::remove_group_member(self.connection().await?, group_id, user_id).await
    }

    async fn assign_role(
        &mut self,
        user_id: Uuid,
        role_id: Uuid,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        rbac_links::assign_role(self.connection().await?, user_id, role_id, expires_at, now).await
    }

    async fn unassign_role(&mut self, user_id: Uuid, role_id: Uuid) -> Result<bool, StoreError> {
        rbac_links::unassign_role(self.connection().await?, user_id, role_id).await
    }
}

#[async_trait]
impl MfaWrites for SqliteTransaction {
    async fn insert_totp(&mut self, row: &TotpRow) -> Result<(), StoreError> {
        mfa_writes::insert_totp(self.connection().await?, row).await
    }

    async fn confirm_totp(
        &mut self,
        user_id: Uuid,
        id: Uuid,
        step: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        mfa_writes::confirm_totp(self.connection().await?, user_id, id, step, now).await
    }

    async fn rename_totp(
        &mut self,
        user_id: Uuid,
        id: Uuid,
        name: &str,
    ) -> Result<bool, StoreError> {
        mfa_writes::rename_totp(self.connection().await?, user_id, id, name).await
    }

    async fn delete_totp(&mut self, user_id: Uuid, id: Uuid) -> Result<bool, StoreError> {
        mfa_writes::delete_totp(self.connection().await?, user_id, id).await
    }

    async fn delete_unconfirmed_totp(
        &mut self,
        user_id: Uuid,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        mfa_writes::delete_unconfirmed_totp(self.connection().await?, user_id, before).await
    }

    async fn replace_recovery_codes(
        &mut self,
        user_id: Uuid,
        rows: &[RecoveryCodeRow],
    ) -> Result<(), StoreError> {
        mfa_writes::replace_recovery_codes(self.connection().await?, user_id, rows).await
    }

    async fn use_recovery_code(
        &mut self,
        user_id: Uuid,
        code_mac: &[u8],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        mfa_writes::use_recovery_code(self.connection().await?, user_id, code_mac, now).await
    }

    async fn insert_webauthn(&mut self, row: &WebauthnRow) -> Result<(), StoreError> {
        mfa_writes::insert_webauthn(self.connection().await?, row).await
    }

    async fn update_webauthn_use(
        &mut self,
        id: Uuid,
        credential: &str,
        sign_count: i64,
        backup_state: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let connection = self.connection().await?;
        mfa_writes::update_webauthn_use(connection, id, credential, sign_count, backup_state, now)
            .await
    }

    async fn rename_webauthn(
        &mut self,
        user_id: Uuid,
        id: Uuid,
        name: &str,
    ) -> Result<bool, StoreError> {
        mfa_writes::rename_webauthn(self.connection().await?, user_id, id, name).await
    }

    async fn delete_webauthn(&mut self, user_id: Uuid, id: Uuid) -> Result<bool, StoreError> {
        mfa_writes::delete_webauthn(self.connection().await?, user_id, id).await
    }

    async fn delete_all_factors(&mut self, user_id: Uuid) -> Result<u64, StoreError> {
        mfa_writes::delete_all_factors(self.connection().await?, user_id).await
    }

    async fn insert_challenge(&mut self, row: &ChallengeRow) -> Result<(), StoreError> {
        mfa_writes::insert_challenge(self.connection().await?, row).await
    }

    async fn consume_challenge(
        &mut self,
        token_hash: &[u8],
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ChallengeRow>, StoreError> {
        mfa_writes::consume_challenge(self.connection().await?, token_hash, kind, now).await
    }

    async fn spend_challenge_attempt(
        &mut self,
        token_hash: &[u8],
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<Option<i32>, StoreError> {
        let connection = self.connection().await?;
        mfa_writes::spend_challenge_attempt(connection, token_hash, max_attempts, now).await
    }

    async fn update_challenge_state(
        &mut self,
        token_hash: &[u8],
        state: &[u8],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        mfa_writes::update_challenge_state(self.connection().await?, token_hash, state, now).await
    }
}

#[async_trait]
impl OAuthWrites for SqliteTransaction {
    async fn insert_client(&mut self, row: &ClientRow) -> Result<(), StoreError> {
        oauth_writes::insert_client(self.connection().await?, row).await
    }

    async fn update_client(
        &mut self,
        row: &ClientRow,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        oauth_writes::update_client(self.connection().await?, row, expected_version).await
    }

    async fn delete_client(&mut self, id: Uuid) -> Result<bool, StoreError> {
        oauth_writes::delete_client(self.connection().await?, id).await
    }

    async fn set_client_roles(&mut self, id: Uuid, roles: &[Uuid]) -> Result<(), StoreError> {
        oauth_writes::set_client_roles(self.connection().await?, id, roles).await
    }

    async fn set_client_logo(&mut self, row: &ClientLogoRow) -> Result<(), StoreError> {
        oauth_writes::set_client_logo(self.connection().await?, row).await
    }

    async fn delete_client_logo(&mut self, id: Uuid) -> Result<bool, StoreError> {
        oauth_writes::delete_client_logo(self.connection().await?, id).await
    }

    async fn insert_signing_key(&mut self, row: &SigningKeyRow) -> Result<(), StoreError> {
        oauth_writes::insert_signing_key(self.connection().await?, row).await
    }

    async fn retire_signing_keys(
        &mut self,
        alg: &str,
        except: Uuid,
        retired_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let connection = self.connection().await?;
        oauth_writes::retire_signing_keys(connection, alg, except, retired_at, expires_at).await
    }

    async fn insert_code(&mut self, row: &AuthCodeRow) -> Result<(), StoreError> {
        oauth_writes::insert_code(self.connection().await?, row).await
    }

    async fn redeem_code(
        &mut self,
        code_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<CodeUse, StoreError> {
        oauth_writes::redeem_code(self.connection().await?, code_hash, now).await
    }

    async fn insert_grant(&mut self, row: &GrantRow) -> Result<(), StoreError> {
        oauth_writes::insert_grant(self.connection().await?, row).await
    }

    async fn insert_refresh_token(&mut self, row: &RefreshTokenRow) -> Result<(), StoreError> {
        oauth_writes::insert_refresh_token(self.connection().await?, row).await
    }

    async fn use_refresh_token(
        &mut self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<RefreshUse, StoreError> {
        oauth_writes::use_refresh_token(self.connection().await?, token_hash, now).await
    }

    async fn revoke_grant(
        &mut self,
        id: Uuid,
        now: DateTime<Utc>,
        reason: &str,
    ) -> Result<bool, StoreError> {
        oauth_writes::revoke_grant(self.connection().await?, id, now, reason).await
    }

    async fn revoke_user_grants(
        &mut self,
        user_id: Uuid,
        client_id: Option<Uuid>,
        now: DateTime<Utc>,
        reason: &str,
    ) -> Result<Vec<Uuid>, StoreError> {
        let connection = self.connection().await?;
        oauth_writes::revoke_user_grants(connection, user_id, client_id, now, reason).await
    }

    async fn revoke_session_grants(
        &mut self,
        session_id: Uuid,
        now: DateTime<Utc>,
        reason: &str,
    ) -> Result<Vec<Uuid>, StoreError> {
        oauth_writes::revoke_session_grants(self.connection().await?, session_id, now, reason).await
    }

    async fn grant_consent(
        &mut self,
        user_id: Uuid,
        client_id: Uuid,
        scopes: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let connection = self.connection().await?;
        oauth_writes::grant_consent(connection, user_id, client_id, scopes, now).await
    }

    async fn revoke_consent(&mut self, user_id: Uuid, client_id: Uuid) -> Result<u64, StoreError> {
        oauth_writes::revoke_consent(self.connection().await?, user_id, client_id).await
    }

    async fn insert_idempotent_response(
        &mut self,
        row: &IdempotentResponseRow,
    ) -> Result<bool, StoreError> {
        oauth_writes::insert_idempotent_response(self.connection().await?, row).await
    }

    async fn take_over_idempotent_response(
        &mut self,
        row: &IdempotentResponseRow,
        abandoned_before: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let connection = self.connection().await?;
        oauth_writes::take_over_idempotent_response(connection, row, abandoned_before).await
    }

    async fn complete_idempotent_response(
        &mut self,
        row: &IdempotentResponseRow,
    ) -> Result<bool, StoreError> {
        oauth_writes::complete_idempotent_response(self.connection().await?, row).await
    }

    async fn release_idempotent_response(
        &mut self,
        row: &IdempotentResponseRow,
    ) -> Result<bool, StoreError> {
        oauth_writes::release_idempotent_response(self.connection().await?, row).await
    }
}
