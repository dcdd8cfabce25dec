//! The OAuth provider's state as a use case changes it in its transaction. Every one-time use
//! (redeeming a code, using a refresh token) is one conditional `UPDATE … RETURNING`: when two
//! nodes race, the row lock makes the second wait until the first commits, then re-check the
//! condition against the first one's result, find nothing to use, and read the row to learn
//! that it came second. A taken `client_id` or kid is refused by a unique index, which
//! [`store_error`] turns into [`StoreError::AlreadyExists`]; deleting a client cascades through
//! the foreign keys.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    AuthCodeRow, ClientLogoRow, ClientRow, CodeUse, GrantRow, IdempotentResponseRow, OAuthWrites,
    RefreshTokenRow, RefreshUse, SigningKeyRow,
};
use uuid::Uuid;

use crate::error::store_error;
use crate::oauth::grant_of_refresh_token;
use crate::oauth_record::json_list;
use crate::transaction::PostgresTransaction;

#[async_trait]
impl OAuthWrites for PostgresTransaction {
    async fn insert_client(&mut self, row: &ClientRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO oauth_clients (id, client_id, name, public, native, secret_mac,
                                        auth_method, jwks, redirect_uris,
                                        post_logout_redirect_uris, grant_types, scopes,
                                        default_scopes, audiences, default_audience,
                                        web_origins, consent, signing_alg,
                                        access_token_ttl_secs, refresh_token_ttl_secs,
                                        created_at, updated_at, disabled_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                     $18, $19, $20, $21, $22, $23, $24)",
            row.id,
            row.client_id,
            row.name,
            row.public,
            row.native,
            row.secret_mac.as_deref(),
            row.auth_method.as_deref(),
            row.jwks.as_deref(),
            json_list(&row.redirect_uris),
            json_list(&row.post_logout_redirect_uris),
            json_list(&row.grant_types),
            json_list(&row.scopes),
            json_list(&row.default_scopes),
            json_list(&row.audiences),
            row.default_audience.as_deref(),
            json_list(&row.web_origins),
            row.consent,
            row.signing_alg,
            row.access_token_ttl_secs,
            row.refresh_token_ttl_secs,
            row.created_at,
            row.updated_at,
            row.disabled_at,
            row.version,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn update_client(
        &mut self,
        row: &ClientRow,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE oauth_clients
             SET client_id = $2, name = $3, public = $4, native = $5, secret_mac = $6,
                 auth_method = $7, jwks = $8, redirect_uris = $9,
                 post_logout_redirect_uris = $10, grant_types = $11, scopes = $12,
                 default_scopes = $13, audiences = $14, default_audience = $15,
                 web_origins = $16, consent = $17, signing_alg = $18,
                 access_token_ttl_secs = $19, refresh_token_ttl_secs = $20, created_at = $21,
                 updated_at = $22, disabled_at = $23, version = $24
             WHERE id = $1 AND version = $25",
            row.id,
            row.client_id,
            row.name,
            row.public,
            row.native,
            row.secret_mac.as_deref(),
            row.auth_method.as_deref(),
            row.jwks.as_deref(),
            json_list(&row.redirect_uris),
            json_list(&row.post_logout_redirect_uris),
            json_list(&row.grant_types),
            json_list(&row.scopes),
            json_list(&row.default_scopes),
            json_list(&row.audiences),
            row.default_audience.as_deref(),
            json_list(&row.web_origins),
            row.consent,
            row.signing_alg,
            row.access_token_ttl_secs,
            row.refresh_token_ttl_secs,
            row.created_at,
            row.updated_at,
            row.disabled_at,
            row.version,
            expected_version,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn delete_client(&mut self, id: Uuid) -> Result<bool, StoreError> {
        let result = sqlx::query!("DELETE FROM oauth_clients WHERE id = $1", id)
            .execute(self.connection())
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn set_client_roles(&mut self, id: Uuid, roles: &[Uuid]) -> Result<(), StoreError> {
        sqlx::query!("DELETE FROM oauth_client_roles WHERE client_id = $1", id)
            .execute(self.connection())
            .await
            .map_err(store_error)?;
        sqlx::query!(
            "INSERT INTO oauth_client_roles (client_id, role_id)
             SELECT $1, role_id FROM unnest($2::uuid[]) AS given (role_id)
             ON CONFLICT DO NOTHING",
            id,
            roles,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn set_client_logo(&mut self, row: &ClientLogoRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO oauth_client_logos (client_id, content_type, bytes, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (client_id) DO UPDATE
                 SET content_type = EXCLUDED.content_type, bytes = EXCLUDED.bytes,
                     updated_at = EXCLUDED.updated_at",
            row.client_id,
            row.content_type,
            row.bytes,
            row.updated_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn delete_client_logo(&mut self, id: Uuid) -> Result<bool, StoreError> {
        let result = sqlx::query!("DELETE FROM oauth_client_logos WHERE client_id = $1", id)
            .execute(self.connection())
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn insert_signing_key(&mut self, row: &SigningKeyRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO oauth_signing_keys (id, kid, alg, private_key, public_jwk, created_at,
                                             activates_at, retired_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            row.id,
            row.kid,
            row.alg,
            row.private_key,
            row.public_jwk,
            row.created_at,
            row.activates_at,
            row.retired_at,
            row.expires_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn retire_signing_keys(
        &mut self,
        alg: &str,
        except: Uuid,
        retired_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let result = sqlx::query!(
            "UPDATE oauth_signing_keys SET retired_at = $3, expires_at = $4
             WHERE alg = $1 AND id <> $2 AND retired_at IS NULL",
            alg,
            except,
            retired_at,
            expires_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected())
    }

    async fn insert_code(&mut self, row: &AuthCodeRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO oauth_codes (code_hash, grant_id, client_id, user_id, session_id,
                                      redirect_uri, scope, audience, nonce, code_challenge,
                                      auth_time, amr, acr, created_at, expires_at, consumed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            row.code_hash,
            row.grant_id,
            row.client_id,
            row.user_id,
            row.session_id,
            row.redirect_uri,
            row.scope,
            row.audience.as_deref(),
            row.nonce.as_deref(),
            row.code_challenge.as_deref(),
            row.auth_time,
            row.amr,
            row.acr.as_deref(),
            row.created_at,
            row.expires_at,
            row.consumed_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn redeem_code(
        &mut self,
        code_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<CodeUse, StoreError> {
        let redeemed = sqlx::query_as!(
            AuthCodeRow,
            "UPDATE oauth_codes SET consumed_at = $2
             WHERE code_hash = $1 AND consumed_at IS NULL
             RETURNING code_hash, grant_id, client_id, user_id, session_id, redirect_uri, scope,
                       audience, nonce, code_challenge, auth_time, amr, acr, created_at,
                       expires_at, consumed_at",
            code_hash,
            now,
        )
        .fetch_optional(self.connection())
        .await
        .map_err(store_error)?;
        if let Some(row) = redeemed {
            return Ok(CodeUse::Fresh(row));
        }
        // A new statement, a new snapshot: it sees the redemption that made the update find
        // nothing, even one committed by a concurrent transaction the update waited for.
        let stored = sqlx::query_as!(
            AuthCodeRow,
            "SELECT code_hash, grant_id, client_id, user_id, session_id, redirect_uri, scope,
                    audience, nonce, code_challenge, auth_time, amr, acr, created_at, expires_at,
                    consumed_at
             FROM oauth_codes WHERE code_hash = $1",
            code_hash,
        )
        .fetch_optional(self.connection())
        .await
        .map_err(store_error)?;
        Ok(stored.map_or(CodeUse::Unknown, CodeUse::Used))
    }

    async fn insert_grant(&mut self, row: &GrantRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO oauth_grants (id, client_id, user_id, session_id, scope, audience,
                                       auth_time, amr, acr, created_at, expires_at, revoked_at,
                                       revoke_reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            row.id,
            row.client_id,
            row.user_id,
            row.session_id,
            row.scope,
            row.audience.as_deref(),
            row.auth_time,
            row.amr,
            row.acr.as_deref(),
            row.created_at,
            row.expires_at,
            row.revoked_at,
            row.revoke_reason.as_deref(),
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn insert_refresh_token(&mut self, row: &RefreshTokenRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, created_at, used_at)
             VALUES ($1, $2, $3, $4)",
            row.token_hash,
            row.grant_id,
            row.created_at,
            row.used_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn use_refresh_token(
        &mut self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<RefreshUse, StoreError> {
        // One round trip: use the token and read its grant.
        let used = sqlx::query_as!(
            GrantRow,
            "WITH used AS (
                 UPDATE oauth_refresh_tokens SET used_at = $2
                 WHERE token_hash = $1 AND used_at IS NULL
                 RETURNING grant_id
             )
             SELECT g.id, g.client_id, g.user_id, g.session_id, g.scope, g.audience, g.auth_time,
                    g.amr, g.acr, g.created_at, g.expires_at, g.revoked_at, g.revoke_reason
             FROM oauth_grants AS g JOIN used ON g.id = used.grant_id",
            token_hash,
            now,
        )
        .fetch_optional(self.connection())
        .await
        .map_err(store_error)?;
        if let Some(grant) = used {
            return Ok(RefreshUse::Fresh(grant));
        }
        // As in `redeem_code`: this read sees the use that made the update find nothing.
        Ok(
            match grant_of_refresh_token(self.connection(), token_hash).await? {
                Some(grant) => RefreshUse::Used(grant),
                None => RefreshUse::Unknown,
            },
        )
    }

    async fn revoke_grant(
        &mut self,
        id: Uuid,
        now: DateTime<Utc>,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE oauth_grants SET revoked_at = $2, revoke_reason = $3
             WHERE id = $1 AND revoked_at IS NULL",
            id,
            now,
            reason,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn revoke_user_grants(
        &mut self,
        user_id: Uuid,
        client_id: Option<Uuid>,
        now: DateTime<Utc>,
        reason: &str,
    ) -> Result<Vec<Uuid>, StoreError> {
        let mut revoked = sqlx::query_scalar!(
            "UPDATE oauth_grants SET revoked_at = $3, revoke_reason = $4
             WHERE user_id = $1 AND revoked_at IS NULL
               AND ($2::uuid IS NULL OR client_id = $2)
             RETURNING id",
            user_id,
            client_id,
            now,
            reason,
        )
        .fetch_all(self.connection())
        .await
        .map_err(store_error)?;
        revoked.sort_unstable();
        Ok(revoked)
    }

    async fn revoke_session_grants(
        &mut self,
        session_id: Uuid,
        now: DateTime<Utc>,
        reason: &str,
    ) -> Result<Vec<Uuid>, StoreError> {
        let mut revoked = sqlx::query_scalar!(
            "UPDATE oauth_grants SET revoked_at = $2, revoke_reason = $3
             WHERE session_id = $1 AND revoked_at IS NULL
             RETURNING id",
            session_id,
            now,
            reason,
        )
        .fetch_all(self.connection())
        .await
        .map_err(store_error)?;
        revoked.sort_unstable();
        Ok(revoked)
    }

    async fn grant_consent(
        &mut self,
        user_id: Uuid,
        client_id: Uuid,
        scopes: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO oauth_consents (user_id, client_id, scope, granted_at)
             SELECT $1, $2, scope, $4 FROM unnest($3::text[]) AS given (scope)
             ON CONFLICT (user_id, client_id, scope) DO NOTHING",
            user_id,
            client_id,
            scopes,
            now,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn revoke_consent(&mut self, user_id: Uuid, client_id: Uuid) -> Result<u64, StoreError> {
        let result = sqlx::query!(
            "DELETE FROM oauth_consents WHERE user_id = $1 AND client_id = $2",
            user_id,
            client_id,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected())
    }

    async fn insert_idempotent_response(
        &mut self,
        row: &IdempotentResponseRow,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "INSERT INTO api_idempotency
                 (actor, key, request_digest, status, body, created_at, completed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (actor, key) DO NOTHING",
            row.actor,
            row.key,
            row.request_digest,
            row.status,
            row.body,
            row.created_at,
            row.completed_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn take_over_idempotent_response(
        &mut self,
        row: &IdempotentResponseRow,
        abandoned_before: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // A racing taker waits for the first one's row lock, then re-checks the condition
        // against the row as the first one left it (reserved now: no longer abandoned).
        let result = sqlx::query!(
            "UPDATE api_idempotency
             SET request_digest = $3, status = $4, body = $5, created_at = $6, completed_at = $7
             WHERE actor = $1 AND key = $2 AND completed_at IS NULL AND created_at < $8",
            row.actor,
            row.key,
            row.request_digest,
            row.status,
            row.body,
            row.created_at,
            row.completed_at,
            abandoned_before,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn complete_idempotent_response(
        &mut self,
        row: &IdempotentResponseRow,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE api_idempotency SET status = $5, body = $6, completed_at = $7
             WHERE actor = $1 AND key = $2 AND request_digest = $3 AND created_at = $4
                 AND completed_at IS NULL",
            row.actor,
            row.key,
            row.request_digest,
            row.created_at,
            row.status,
            row.body,
            row.completed_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn release_idempotent_response(
        &mut self,
        row: &IdempotentResponseRow,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "DELETE FROM api_idempotency
             WHERE actor = $1 AND key = $2 AND request_digest = $3 AND created_at = $4
                 AND completed_at IS NULL",
            row.actor,
            row.key,
            row.request_digest,
            row.created_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }
}
