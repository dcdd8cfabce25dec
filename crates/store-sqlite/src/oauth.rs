//! The OAuth provider's stand-alone reads and maintenance: clients, signing keys, grants and
//! refresh tokens, consents, idempotent answers, and pruning. Reads go to the reader pool;
//! deletions go to the single writer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    ClientLogoRow, ClientRow, ConsentRow, GrantRow, IdempotentResponseRow, OAuthStore,
    RefreshTokenRow, SigningKeyRow,
};
use sqlx::{Executor, Sqlite};
use uuid::Uuid;

use crate::convert::micros;
use crate::error::store_error;
use crate::oauth_record::{
    ClientLogoRecord, ClientRecord, ConsentRecord, GrantRecord, IdempotentResponseRecord,
    RefreshTokenGrantRecord, SigningKeyRecord,
};
use crate::pools::Pools;

/// The grant `id`, read through `executor` (a pool or a transaction's connection).
pub(crate) async fn grant_by_id<'e, E>(
    executor: E,
    id: Uuid,
) -> Result<Option<GrantRow>, StoreError>
where
    E: Executor<'e, Database = Sqlite>,
{
    let record = sqlx::query_as!(
        GrantRecord,
        r#"SELECT id AS "id: _", client_id AS "client_id: _", user_id AS "user_id: _",
               session_id AS "session_id: _", scope, audience, auth_time, amr, acr, created_at,
               expires_at, revoked_at, revoke_reason
           FROM oauth_grants WHERE id = ?1"#,
        id,
    )
    .fetch_optional(executor)
    .await
    .map_err(store_error)?;
    record.map(GrantRow::try_from).transpose()
}

/// The grant of the refresh token with this digest, read through `executor`.
pub(crate) async fn grant_of_refresh_token<'e, E>(
    executor: E,
    token_hash: &[u8],
) -> Result<Option<GrantRow>, StoreError>
where
    E: Executor<'e, Database = Sqlite>,
{
    let record = sqlx::query_as!(
        GrantRecord,
        r#"SELECT g.id AS "id!: Uuid", g.client_id AS "client_id!: Uuid",
               g.user_id AS "user_id?: Uuid", g.session_id AS "session_id?: Uuid",
               g.scope AS "scope!", g.audience AS "audience?", g.auth_time AS "auth_time!",
               g.amr AS "amr!", g.acr AS "acr?", g.created_at AS "created_at!",
               g.expires_at AS "expires_at!", g.revoked_at AS "revoked_at?",
               g.revoke_reason AS "revoke_reason?"
           FROM oauth_refresh_tokens AS t
           JOIN oauth_grants AS g ON g.id = t.grant_id
           WHERE t.token_hash = ?1"#,
        token_hash,
    )
    .fetch_optional(executor)
    .await
    .map_err(store_error)?;
    record.map(GrantRow::try_from).transpose()
}

/// [`OAuthStore`] on the writer (deletions) and reader (reads) pools.
#[derive(Debug)]
pub(crate) struct SqliteOAuthStore {
    pools: Pools,
}

impl SqliteOAuthStore {
    /// The OAuth store of these pools.
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

#[async_trait]
impl OAuthStore for SqliteOAuthStore {
    async fn clients(&self) -> Result<Vec<ClientRow>, StoreError> {
        let records = sqlx::query_as!(
            ClientRecord,
            r#"SELECT id AS "id: _", client_id, name, public AS "public: _",
                   native AS "native: _", secret_mac, auth_method, jwks, redirect_uris,
                   post_logout_redirect_uris, grant_types, scopes, default_scopes, audiences,
                   default_audience, web_origins, consent, signing_alg, access_token_ttl_secs,
                   refresh_token_ttl_secs, created_at, updated_at, disabled_at, version
               FROM oauth_clients
               ORDER BY name, id"#
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)?;
        records.into_iter().map(ClientRow::try_from).collect()
    }

    async fn client_by_client_id(&self, client_id: &str) -> Result<Option<ClientRow>, StoreError> {
        let record = sqlx::query_as!(
            ClientRecord,
            r#"SELECT id AS "id: _", client_id, name, public AS "public: _",
                   native AS "native: _", secret_mac, auth_method, jwks, redirect_uris,
                   post_logout_redirect_uris, grant_types, scopes, default_scopes, audiences,
                   default_audience, web_origins, consent, signing_alg, access_token_ttl_secs,
                   refresh_token_ttl_secs, created_at, updated_at, disabled_at, version
               FROM oauth_clients WHERE client_id = ?1"#,
            client_id,
        )
        .fetch_optional(&self.pools.reader)
        .await
        .map_err(store_error)?;
        record.map(ClientRow::try_from).transpose()
    }

    async fn client_by_id(&self, id: Uuid) -> Result<Option<ClientRow>, StoreError> {
        let record = sqlx::query_as!(
            ClientRecord,
            r#"SELECT id AS "id: _", client_id, name, public AS "public: _",
                   native AS "native: _", secret_mac, auth_method, jwks, redirect_uris,
                   post_logout_redirect_uris, grant_types, scopes, default_scopes, audiences,
                   default_audience, web_origins, consent, signing_alg, access_token_ttl_secs,
                   refresh_token_ttl_secs, created_at, updated_at, disabled_at, version
               FROM oauth_clients WHERE id = ?1"#,
            id,
        )
        .fetch_optional(&self.pools.reader)
        .await
        .map_err(store_error)?;
        record.map(ClientRow::try_from).transpose()
    }

    async fn client_roles(&self, id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        // A 16-byte BLOB compares bytewise, which is the order of `Uuid`.
        sqlx::query_scalar!(
            r#"SELECT role_id AS "role_id: Uuid"
               FROM oauth_client_roles WHERE client_id = ?1 ORDER BY role_id"#,
            id,
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)
    }

    async fn client_logo(&self, id: Uuid) -> Result<Option<ClientLogoRow>, StoreError> {
        let record = sqlx::query_as!(
            ClientLogoRecord,
            r#"SELECT client_id AS "client_id: _", content_type, bytes, updated_at
               FROM oauth_client_logos WHERE client_id = ?1"#,
            id,
        )
        .fetch_optional(&self.pools.reader)
        .await
        .map_err(store_error)?;
        record.map(ClientLogoRow::try_from).transpose()
    }

    async fn signing_keys(&self) -> Result<Vec<SigningKeyRow>, StoreError> {
        let records = sqlx::query_as!(
            SigningKeyRecord,
            r#"SELECT id AS "id: _", kid, alg, private_key, public_jwk, created_at, activates_at,
                   retired_at, expires_at
               FROM oauth_signing_keys
               ORDER BY created_at, id"#
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)?;
        records.into_iter().map(SigningKeyRow::try_from).collect()
    }

    async fn prune_signing_keys(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let now = micros(now);
        let deleted = sqlx::query!("DELETE FROM oauth_signing_keys WHERE expires_at < ?1", now)
            .execute(&self.pools.writer)
            .await
            .map_err(store_error)?;
        Ok(deleted.rows_affected())
    }

    async fn grant(&self, id: Uuid) -> Result<Option<GrantRow>, StoreError> {
        grant_by_id(&self.pools.reader, id).await
    }

    async fn refresh_token(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<(RefreshTokenRow, GrantRow)>, StoreError> {
        let record = sqlx::query_as!(
            RefreshTokenGrantRecord,
            r#"SELECT t.token_hash AS "token_hash!", t.created_at AS "token_created_at!",
                   t.used_at AS "used_at?", g.id AS "id!: Uuid",
                   g.client_id AS "client_id!: Uuid", g.user_id AS "user_id?: Uuid",
                   g.session_id AS "session_id?: Uuid", g.scope AS "scope!",
                   g.audience AS "audience?", g.auth_time AS "auth_time!", g.amr AS "amr!",
                   g.acr AS "acr?", g.created_at AS "created_at!", g.expires_at AS "expires_at!",
                   g.revoked_at AS "revoked_at?", g.revoke_reason AS "revoke_reason?"
               FROM oauth_refresh_tokens AS t
               JOIN oauth_grants AS g ON g.id = t.grant_id
               WHERE t.token_hash = ?1"#,
            token_hash,
        )
        .fetch_optional(&self.pools.reader)
        .await
        .map_err(store_error)?;
        record
            .map(<(RefreshTokenRow, GrantRow)>::try_from)
            .transpose()
    }

    async fn grants_for_user(
        &self,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<GrantRow>, StoreError> {
        let now = micros(now);
        let records = sqlx::query_as!(
            GrantRecord,
            r#"SELECT id AS "id: _", client_id AS "client_id: _", user_id AS "user_id: _",
                   session_id AS "session_id: _", scope, audience, auth_time, amr, acr,
                   created_at, expires_at, revoked_at, revoke_reason
               FROM oauth_grants
               WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2
               ORDER BY created_at DESC, id DESC"#,
            user_id,
            now,
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)?;
        records.into_iter().map(GrantRow::try_from).collect()
    }

    async fn consented_scopes(
        &self,
        user_id: Uuid,
        client_id: Uuid,
    ) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar!(
            "SELECT scope FROM oauth_consents WHERE user_id = ?1 AND client_id = ?2 \
             ORDER BY scope",
            user_id,
            client_id,
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)
    }

    async fn consents_for_user(&self, user_id: Uuid) -> Result<Vec<ConsentRow>, StoreError> {
        let records = sqlx::query_as!(
            ConsentRecord,
            r#"SELECT user_id AS "user_id: _", client_id AS "client_id: _", scope, granted_at
               FROM oauth_consents
               WHERE user_id = ?1
               ORDER BY client_id, scope"#,
            user_id,
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)?;
        records.into_iter().map(ConsentRow::try_from).collect()
    }

    async fn idempotent_response(
        &self,
        actor: &str,
        key: &str,
    ) -> Result<Option<IdempotentResponseRow>, StoreError> {
        let record = sqlx::query_as!(
            IdempotentResponseRecord,
            r#"SELECT actor, key, request_digest, status AS "status: _", body, created_at,
                      completed_at
               FROM api_idempotency WHERE actor = ?1 AND key = ?2"#,
            actor,
            key,
        )
        .fetch_optional(&self.pools.reader)
        .await
        .map_err(store_error)?;
        record.map(IdempotentResponseRow::try_from).transpose()
    }

    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let before = micros(before);
        let mut transaction = self.pools.begin_write().await?;
        let codes = sqlx::query!("DELETE FROM oauth_codes WHERE expires_at < ?1", before)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        // The refresh tokens go explicitly (not only by cascade), so they are counted too.
        let tokens = sqlx::query!(
            "DELETE FROM oauth_refresh_tokens WHERE grant_id IN ( \
                 SELECT id FROM oauth_grants WHERE expires_at < ?1 OR revoked_at < ?1)",
            before,
        )
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        let grants = sqlx::query!(
            "DELETE FROM oauth_grants WHERE expires_at < ?1 OR revoked_at < ?1",
            before,
        )
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        let answers = sqlx::query!("DELETE FROM api_idempotency WHERE created_at < ?1", before)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        Ok(codes.rows_affected()
            + tokens.rows_affected()
            + grants.rows_affected()
            + answers.rows_affected())
    }
}
