//! The OAuth provider's stand-alone reads and maintenance on the pool: clients, signing keys,
//! grants and refresh tokens, consents, idempotent answers, and pruning. Names and scopes sort
//! with `COLLATE "C"` (byte order, as SQLite and Rust compare strings), whatever the database's
//! collation.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    ClientLogoRow, ClientRow, ConsentRow, GrantRow, IdempotentResponseRow, OAuthStore,
    RefreshTokenRow, SigningKeyRow,
};
use sqlx::postgres::PgPool;
use sqlx::{Executor, Postgres};
use uuid::Uuid;

use crate::error::store_error;
use crate::oauth_record::{ClientRecord, RefreshTokenGrantRecord, clients_from};

/// The grant `id`, read through `executor` (the pool or a transaction's connection).
pub(crate) async fn grant_by_id<'e, E>(
    executor: E,
    id: Uuid,
) -> Result<Option<GrantRow>, StoreError>
where
    E: Executor<'e, Database = Postgres>,
{
    sqlx::query_as!(
        GrantRow,
        "SELECT id, client_id, user_id, session_id, scope, audience, auth_time, amr, acr,
                created_at, expires_at, revoked_at, revoke_reason
         FROM oauth_grants WHERE id = $1",
        id,
    )
    .fetch_optional(executor)
    .await
    .map_err(store_error)
}

/// The grant of the refresh token with this digest, read through `executor`.
pub(crate) async fn grant_of_refresh_token<'e, E>(
    executor: E,
    token_hash: &[u8],
) -> Result<Option<GrantRow>, StoreError>
where
    E: Executor<'e, Database = Postgres>,
{
    sqlx::query_as!(
        GrantRow,
        "SELECT g.id, g.client_id, g.user_id, g.session_id, g.scope, g.audience, g.auth_time,
                g.amr, g.acr, g.created_at, g.expires_at, g.revoked_at, g.revoke_reason
         FROM oauth_refresh_tokens AS t
         JOIN oauth_grants AS g ON g.id = t.grant_id
         WHERE t.token_hash = $1",
        token_hash,
    )
    .fetch_optional(executor)
    .await
    .map_err(store_error)
}

/// [`OAuthStore`] on the pool.
#[derive(Debug, Clone)]
pub(crate) struct PostgresOAuth {
    pool: PgPool,
}

impl PostgresOAuth {
    /// OAuth operations on `pool`.
    pub(crate) fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl OAuthStore for PostgresOAuth {
    async fn clients(&self) -> Result<Vec<ClientRow>, StoreError> {
        let records = sqlx::query_as!(
            ClientRecord,
            r#"SELECT id, client_id, name, public, native, secret_mac, auth_method, jwks,
                      redirect_uris, post_logout_redirect_uris, grant_types, scopes,
                      default_scopes, audiences, default_audience, web_origins, consent,
                      signing_alg, access_token_ttl_secs, refresh_token_ttl_secs, created_at,
                      updated_at, disabled_at, version
               FROM oauth_clients
               ORDER BY name COLLATE "C", id"#
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        clients_from(records)
    }

    async fn client_by_client_id(&self, client_id: &str) -> Result<Option<ClientRow>, StoreError> {
        let record = sqlx::query_as!(
            ClientRecord,
            "SELECT id, client_id, name, public, native, secret_mac, auth_method, jwks,
                    redirect_uris, post_logout_redirect_uris, grant_types, scopes,
                    default_scopes, audiences, default_audience, web_origins, consent,
                    signing_alg, access_token_ttl_secs, refresh_token_ttl_secs, created_at,
                    updated_at, disabled_at, version
             FROM oauth_clients WHERE client_id = $1",
            client_id,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        record.map(ClientRow::try_from).transpose()
    }

    async fn client_by_id(&self, id: Uuid) -> Result<Option<ClientRow>, StoreError> {
        let record = sqlx::query_as!(
            ClientRecord,
            "SELECT id, client_id, name, public, native, secret_mac, auth_method, jwks,
                    redirect_uris, post_logout_redirect_uris, grant_types, scopes,
                    default_scopes, audiences, default_audience, web_origins, consent,
                    signing_alg, access_token_ttl_secs, refresh_token_ttl_secs, created_at,
                    updated_at, disabled_at, version
             FROM oauth_clients WHERE id = $1",
            id,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        record.map(ClientRow::try_from).transpose()
    }

    async fn client_roles(&self, id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        sqlx::query_scalar!(
            "SELECT role_id FROM oauth_client_roles WHERE client_id = $1 ORDER BY role_id",
            id,
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn client_logo(&self, id: Uuid) -> Result<Option<ClientLogoRow>, StoreError> {
        sqlx::query_as!(
            ClientLogoRow,
            "SELECT client_id, content_type, bytes, updated_at
             FROM oauth_client_logos WHERE client_id = $1",
            id,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn signing_keys(&self) -> Result<Vec<SigningKeyRow>, StoreError> {
        sqlx::query_as!(
            SigningKeyRow,
            "SELECT id, kid, alg, private_key, public_jwk, created_at, activates_at, retired_at,
                    expires_at
             FROM oauth_signing_keys
             ORDER BY created_at, id"
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn prune_signing_keys(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = sqlx::query!("DELETE FROM oauth_signing_keys WHERE expires_at < $1", now)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected())
    }

    async fn grant(&self, id: Uuid) -> Result<Option<GrantRow>, StoreError> {
        grant_by_id(&self.pool, id).await
    }

    async fn refresh_token(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<(RefreshTokenRow, GrantRow)>, StoreError> {
        let record = sqlx::query_as!(
            RefreshTokenGrantRecord,
            "SELECT t.token_hash, t.created_at AS token_created_at, t.used_at, g.id,
                    g.client_id, g.user_id, g.session_id, g.scope, g.audience, g.auth_time,
                    g.amr, g.acr, g.created_at, g.expires_at, g.revoked_at, g.revoke_reason
             FROM oauth_refresh_tokens AS t
             JOIN oauth_grants AS g ON g.id = t.grant_id
             WHERE t.token_hash = $1",
            token_hash,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(record.map(<(RefreshTokenRow, GrantRow)>::from))
    }

    async fn grants_for_user(
        &self,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<GrantRow>, StoreError> {
        sqlx::query_as!(
            GrantRow,
            "SELECT id, client_id, user_id, session_id, scope, audience, auth_time, amr, acr,
                    created_at, expires_at, revoked_at, revoke_reason
             FROM oauth_grants
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
             ORDER BY created_at DESC, id DESC",
            user_id,
            now,
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn consented_scopes(
        &self,
        user_id: Uuid,
        client_id: Uuid,
    ) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar!(
            r#"SELECT scope FROM oauth_consents WHERE user_id = $1 AND client_id = $2
               ORDER BY scope COLLATE "C""#,
            user_id,
            client_id,
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn consents_for_user(&self, user_id: Uuid) -> Result<Vec<ConsentRow>, StoreError> {
        sqlx::query_as!(
            ConsentRow,
            r#"SELECT user_id, client_id, scope, granted_at
               FROM oauth_consents
               WHERE user_id = $1
               ORDER BY client_id, scope COLLATE "C""#,
            user_id,
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn idempotent_response(
        &self,
        actor: &str,
        key: &str,
    ) -> Result<Option<IdempotentResponseRow>, StoreError> {
        sqlx::query_as!(
            IdempotentResponseRow,
            "SELECT actor, key, request_digest, status, body, created_at, completed_at
             FROM api_idempotency WHERE actor = $1 AND key = $2",
            actor,
            key,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut transaction = self.pool.begin().await.map_err(store_error)?;
        let codes = sqlx::query!("DELETE FROM oauth_codes WHERE expires_at < $1", before)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        // The refresh tokens go explicitly (not only by cascade), so they are counted too.
        let tokens = sqlx::query!(
            "DELETE FROM oauth_refresh_tokens WHERE grant_id IN (
                 SELECT id FROM oauth_grants WHERE expires_at < $1 OR revoked_at < $1)",
            before,
        )
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        let grants = sqlx::query!(
            "DELETE FROM oauth_grants WHERE expires_at < $1 OR revoked_at < $1",
            before,
        )
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        let answers = sqlx::query!("DELETE FROM api_idempotency WHERE created_at < $1", before)
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
