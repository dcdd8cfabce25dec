//! The OAuth provider's state as a use case changes it in its transaction. Every one-time use
//! (redeeming a code, using a refresh token) is one conditional `UPDATE … RETURNING`; the
//! transaction holds SQLite's single writer, so no other change runs between its condition and
//! its effect. When the update finds nothing to use, a read tells a value used before from an
//! unknown one. Deleting a client cascades through the foreign keys (`foreign_keys` is on).

use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    AuthCodeRow, ClientLogoRow, ClientRow, CodeUse, GrantRow, IdempotentResponseRow,
    RefreshTokenRow, RefreshUse, SigningKeyRow,
};
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::convert::{micros, uuid_list};
use crate::error::store_error;
use crate::oauth::{grant_by_id, grant_of_refresh_token};
use crate::oauth_record::{AuthCodeRecord, json_list};

/// Inserts a client; a taken `client_id` (or id) is `AlreadyExists`.
pub(crate) async fn insert_client(
    connection: &mut SqliteConnection,
    row: &ClientRow,
) -> Result<(), StoreError> {
    let redirect_uris = json_list(&row.redirect_uris);
    let post_logout_redirect_uris = json_list(&row.post_logout_redirect_uris);
    let grant_types = json_list(&row.grant_types);
    let scopes = json_list(&row.scopes);
    let default_scopes = json_list(&row.default_scopes);
    let audiences = json_list(&row.audiences);
    let web_origins = json_list(&row.web_origins);
    let created_at = micros(row.created_at);
    let updated_at = micros(row.updated_at);
    let disabled_at = row.disabled_at.map(micros);
    sqlx::query!(
        "INSERT INTO oauth_clients (id, client_id, name, public, native, secret_mac, \
             auth_method, jwks, redirect_uris, post_logout_redirect_uris, grant_types, scopes, \
             default_scopes, audiences, default_audience, web_origins, consent, signing_alg, \
             access_token_ttl_secs, refresh_token_ttl_secs, created_at, updated_at, \
             disabled_at, version) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
             ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
        row.id,
        row.client_id,
        row.name,
        row.public,
        row.native,
        row.secret_mac,
        row.auth_method,
        row.jwks,
        redirect_uris,
        post_logout_redirect_uris,
        grant_types,
        scopes,
        default_scopes,
        audiences,
        row.default_audience,
        web_origins,
        row.consent,
        row.signing_alg,
        row.access_token_ttl_secs,
        row.refresh_token_ttl_secs,
        created_at,
        updated_at,
        disabled_at,
        row.version,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Replaces every field of the client `row.id` if its version is `expected_version`. True when
/// replaced.
pub(crate) async fn update_client(
    connection: &mut SqliteConnection,
    row: &ClientRow,
    expected_version: i64,
) -> Result<bool, StoreError> {
    let redirect_uris = json_list(&row.redirect_uris);
    let post_logout_redirect_uris = json_list(&row.post_logout_redirect_uris);
    let grant_types = json_list(&row.grant_types);
    let scopes = json_list(&row.scopes);
    let default_scopes = json_list(&row.default_scopes);
    let audiences = json_list(&row.audiences);
    let web_origins = json_list(&row.web_origins);
    let created_at = micros(row.created_at);
    let updated_at = micros(row.updated_at);
    let disabled_at = row.disabled_at.map(micros);
    let updated = sqlx::query!(
        "UPDATE oauth_clients SET client_id = ?2, name = ?3, public = ?4, native = ?5, \
             secret_mac = ?6, auth_method = ?7, jwks = ?8, redirect_uris = ?9, \
             post_logout_redirect_uris = ?10, grant_types = ?11, scopes = ?12, \
             default_scopes = ?13, audiences = ?14, default_audience = ?15, \
             web_origins = ?16, consent = ?17, signing_alg = ?18, \
             access_token_ttl_secs = ?19, refresh_token_ttl_secs = ?20, created_at = ?21, \
             updated_at = ?22, disabled_at = ?23, version = ?24 \
         WHERE id = ?1 AND version = ?25",
        row.id,
        row.client_id,
        row.name,
        row.public,
        row.native,
        row.secret_mac,
        row.auth_method,
        row.jwks,
        redirect_uris,
        post_logout_redirect_uris,
        grant_types,
        scopes,
        default_scopes,
        audiences,
        row.default_audience,
        web_origins,
        row.consent,
        row.signing_alg,
        row.access_token_ttl_secs,
        row.refresh_token_ttl_secs,
        created_at,
        updated_at,
        disabled_at,
        row.version,
        expected_version,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(updated.rows_affected() == 1)
}

/// Deletes a client and, through the foreign keys, its roles, logo, codes, grants (with their
/// refresh tokens) and consents. True when it existed.
pub(crate) async fn delete_client(
    connection: &mut SqliteConnection,
    id: Uuid,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query!("DELETE FROM oauth_clients WHERE id = ?1", id)
        .execute(connection)
        .await
        .map_err(store_error)?;
    Ok(deleted.rows_affected() == 1)
}

/// Replaces the roles of a client's service account (duplicates count once); an unknown client
/// or role is `NotFound`.
pub(crate) async fn set_client_roles(
    connection: &mut SqliteConnection,
    id: Uuid,
    roles: &[Uuid],
) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM oauth_client_roles WHERE client_id = ?1", id)
        .execute(&mut *connection)
        .await
        .map_err(store_error)?;
    if roles.is_empty() {
        return Ok(());
    }
    let roles = uuid_list(roles);
    sqlx::query!(
        "INSERT INTO oauth_client_roles (client_id, role_id) \
         SELECT DISTINCT ?1, unhex(value) FROM json_each(?2)",
        id,
        roles,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Stores or replaces a client's logo; an unknown client is `NotFound`.
pub(crate) async fn set_client_logo(
    connection: &mut SqliteConnection,
    row: &ClientLogoRow,
) -> Result<(), StoreError> {
    let updated_at = micros(row.updated_at);
    sqlx::query!(
        "INSERT INTO oauth_client_logos (client_id, content_type, bytes, updated_at) \
         VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (client_id) DO UPDATE \
             SET content_type = excluded.content_type, bytes = excluded.bytes, \
                 updated_at = excluded.updated_at",
        row.client_id,
        row.content_type,
        row.bytes,
        updated_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Removes a client's logo. True when there was one.
pub(crate) async fn delete_client_logo(
    connection: &mut SqliteConnection,
    id: Uuid,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query!("DELETE FROM oauth_client_logos WHERE client_id = ?1", id)
        .execute(connection)
        .await
        .map_err(store_error)?;
    Ok(deleted.rows_affected() == 1)
}

/// Inserts a signing key; a taken kid is `AlreadyExists`.
pub(crate) async fn insert_signing_key(
    connection: &mut SqliteConnection,
    row: &SigningKeyRow,
) -> Result<(), StoreError> {
    let created_at = micros(row.created_at);
    let activates_at = micros(row.activates_at);
    let retired_at = row.retired_at.map(micros);
    let expires_at = row.expires_at.map(micros);
    sqlx::query!(
        "INSERT INTO oauth_signing_keys (id, kid, alg, private_key, public_jwk, created_at, \
             activates_at, retired_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        row.id,
        row.kid,
        row.alg,
        row.private_key,
        row.public_jwk,
        created_at,
        activates_at,
        retired_at,
        expires_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Retires every unretired key of `alg` but `except`. Returns how many.
pub(crate) async fn retire_signing_keys(
    connection: &mut SqliteConnection,
    alg: &str,
    except: Uuid,
    retired_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let retired_at = micros(retired_at);
    let expires_at = micros(expires_at);
    let retired = sqlx::query!(
        "UPDATE oauth_signing_keys SET retired_at = ?3, expires_at = ?4 \
         WHERE alg = ?1 AND id <> ?2 AND retired_at IS NULL",
        alg,
        except,
        retired_at,
        expires_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(retired.rows_affected())
}

/// Inserts an authorization code; an unknown client or user is `NotFound`.
pub(crate) async fn insert_code(
    connection: &mut SqliteConnection,
    row: &AuthCodeRow,
) -> Result<(), StoreError> {
    let auth_time = micros(row.auth_time);
    let created_at = micros(row.created_at);
    let expires_at = micros(row.expires_at);
    let consumed_at = row.consumed_at.map(micros);
    sqlx::query!(
        "INSERT INTO oauth_codes (code_hash, grant_id, client_id, user_id, session_id, \
             redirect_uri, scope, audience, nonce, code_challenge, auth_time, amr, acr, \
             created_at, expires_at, consumed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        row.code_hash,
        row.grant_id,
        row.client_id,
        row.user_id,
        row.session_id,
        row.redirect_uri,
        row.scope,
        row.audience,
        row.nonce,
        row.code_challenge,
        auth_time,
        row.amr,
        row.acr,
        created_at,
        expires_at,
        consumed_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Redeems the code with this digest: one conditional update sets `consumed_at`; when it
/// changes nothing, a read tells a code redeemed before from an unknown one.
pub(crate) async fn redeem_code(
    connection: &mut SqliteConnection,
    code_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<CodeUse, StoreError> {
    let now = micros(now);
    let redeemed = sqlx::query_as!(
        AuthCodeRecord,
        r#"UPDATE oauth_codes SET consumed_at = ?2
           WHERE code_hash = ?1 AND consumed_at IS NULL
           RETURNING code_hash AS "code_hash!", grant_id AS "grant_id!: Uuid",
               client_id AS "client_id!: Uuid", user_id AS "user_id!: Uuid",
               session_id AS "session_id?: Uuid", redirect_uri AS "redirect_uri!",
               scope AS "scope!", audience AS "audience?", nonce AS "nonce?",
               code_challenge AS "code_challenge?", auth_time AS "auth_time!", amr AS "amr!",
               acr AS "acr?", created_at AS "created_at!", expires_at AS "expires_at!",
               consumed_at AS "consumed_at?""#,
        code_hash,
        now,
    )
    .fetch_optional(&mut *connection)
    .await
    .map_err(store_error)?;
    if let Some(record) = redeemed {
        return AuthCodeRow::try_from(record).map(CodeUse::Fresh);
    }
    let stored = sqlx::query_as!(
        AuthCodeRecord,
        r#"SELECT code_hash, grant_id AS "grant_id: _", client_id AS "client_id: _",
               user_id AS "user_id: _", session_id AS "session_id: _", redirect_uri, scope,
               audience, nonce, code_challenge, auth_time, amr, acr, created_at, expires_at,
               consumed_at
           FROM oauth_codes WHERE code_hash = ?1"#,
        code_hash,
    )
    .fetch_optional(connection)
    .await
    .map_err(store_error)?;
    match stored {
        Some(record) => AuthCodeRow::try_from(record).map(CodeUse::Used),
        None => Ok(CodeUse::Unknown),
    }
}

/// Inserts a grant; an unknown client or user is `NotFound`.
pub(crate) async fn insert_grant(
    connection: &mut SqliteConnection,
    row: &GrantRow,
) -> Result<(), StoreError> {
    let auth_time = micros(row.auth_time);
    let created_at = micros(row.created_at);
    let expires_at = micros(row.expires_at);
    let revoked_at = row.revoked_at.map(micros);
    sqlx::query!(
        "INSERT INTO oauth_grants (id, client_id, user_id, session_id, scope, audience, \
             auth_time, amr, acr, created_at, expires_at, revoked_at, revoke_reason) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        row.id,
        row.client_id,
        row.user_id,
        row.session_id,
        row.scope,
        row.audience,
        auth_time,
        row.amr,
        row.acr,
        created_at,
        expires_at,
        revoked_at,
        row.revoke_reason,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Inserts a refresh token; an unknown grant is `NotFound`.
pub(crate) async fn insert_refresh_token(
    connection: &mut SqliteConnection,
    row: &RefreshTokenRow,
) -> Result<(), StoreError> {
    let created_at = micros(row.created_at);
    let used_at = row.used_at.map(micros);
    sqlx::query!(
        "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, created_at, used_at) \
         VALUES (?1, ?2, ?3, ?4)",
        row.token_hash,
        row.grant_id,
        created_at,
        used_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Uses the refresh token with this digest: one conditional update sets `used_at`; when it
/// changes nothing, a read tells a token used before from an unknown one.
pub(crate) async fn use_refresh_token(
    connection: &mut SqliteConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<RefreshUse, StoreError> {
    let now = micros(now);
    let used = sqlx::query_scalar!(
        r#"UPDATE oauth_refresh_tokens SET used_at = ?2
           WHERE token_hash = ?1 AND used_at IS NULL
           RETURNING grant_id AS "grant_id!: Uuid""#,
        token_hash,
        now,
    )
    .fetch_optional(&mut *connection)
    .await
    .map_err(store_error)?;
    if let Some(grant_id) = used {
        let grant = grant_by_id(connection, grant_id).await?.ok_or_else(|| {
            StoreError::Corrupt(format!("refresh token of grant {grant_id} has no grant"))
        })?;
        return Ok(RefreshUse::Fresh(grant));
    }
    Ok(
        match grant_of_refresh_token(connection, token_hash).await? {
            Some(grant) => RefreshUse::Used(grant),
            None => RefreshUse::Unknown,
        },
    )
}

/// Revokes the grant `id` unless it is revoked. True when this call revoked it.
pub(crate) async fn revoke_grant(
    connection: &mut SqliteConnection,
    id: Uuid,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<bool, StoreError> {
    let now = micros(now);
    let revoked = sqlx::query!(
        "UPDATE oauth_grants SET revoked_at = ?2, revoke_reason = ?3 \
         WHERE id = ?1 AND revoked_at IS NULL",
        id,
        now,
        reason,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(revoked.rows_affected() == 1)
}

/// Revokes the user's unrevoked grants (of `client_id` only, when given). Returns their ids in
/// id order.
pub(crate) async fn revoke_user_grants(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    client_id: Option<Uuid>,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<Vec<Uuid>, StoreError> {
    let now = micros(now);
    let mut revoked = sqlx::query_scalar!(
        r#"UPDATE oauth_grants SET revoked_at = ?3, revoke_reason = ?4
           WHERE user_id = ?1 AND revoked_at IS NULL AND (?2 IS NULL OR client_id = ?2)
           RETURNING id AS "id!: Uuid""#,
        user_id,
        client_id,
        now,
        reason,
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)?;
    revoked.sort_unstable();
    Ok(revoked)
}

/// Revokes the unrevoked grants that came from the browser session. Returns their ids in id
/// order.
pub(crate) async fn revoke_session_grants(
    connection: &mut SqliteConnection,
    session_id: Uuid,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<Vec<Uuid>, StoreError> {
    let now = micros(now);
    let mut revoked = sqlx::query_scalar!(
        r#"UPDATE oauth_grants SET revoked_at = ?2, revoke_reason = ?3
           WHERE session_id = ?1 AND revoked_at IS NULL
           RETURNING id AS "id!: Uuid""#,
        session_id,
        now,
        reason,
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)?;
    revoked.sort_unstable();
    Ok(revoked)
}

/// Records consent to each scope; a scope consented to before keeps its time.
pub(crate) async fn grant_consent(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    client_id: Uuid,
    scopes: &[String],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if scopes.is_empty() {
        return Ok(());
    }
    let scopes = json_list(scopes);
    let now = micros(now);
    // `WHERE true` keeps SQLite from reading `ON CONFLICT` as part of the SELECT.
    sqlx::query!(
        "INSERT INTO oauth_consents (user_id, client_id, scope, granted_at) \
         SELECT DISTINCT ?1, ?2, value, ?4 FROM json_each(?3) WHERE true \
         ON CONFLICT (user_id, client_id, scope) DO NOTHING",
        user_id,
        client_id,
        scopes,
        now,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Forgets every consent of the user for the client. Returns how many scopes.
pub(crate) async fn revoke_consent(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    client_id: Uuid,
) -> Result<u64, StoreError> {
    let deleted = sqlx::query!(
        "DELETE FROM oauth_consents WHERE user_id = ?1 AND client_id = ?2",
        user_id,
        client_id,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(deleted.rows_affected())
}

/// Stores an idempotent answer or reservation. False when `(actor, key)` is stored already.
pub(crate) async fn insert_idempotent_response(
    connection: &mut SqliteConnection,
    row: &IdempotentResponseRow,
) -> Result<bool, StoreError> {
    let created_at = micros(row.created_at);
    let completed_at = row.completed_at.map(micros);
    let inserted = sqlx::query!(
        "INSERT INTO api_idempotency \
             (actor, key, request_digest, status, body, created_at, completed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (actor, key) DO NOTHING",
        row.actor,
        row.key,
        row.request_digest,
        row.status,
        row.body,
        created_at,
        completed_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(inserted.rows_affected() == 1)
}

/// Replaces a pending reservation made before `abandoned_before` with `row`. False when the
/// stored row is completed, younger or gone.
pub(crate) async fn take_over_idempotent_response(
    connection: &mut SqliteConnection,
    row: &IdempotentResponseRow,
    abandoned_before: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let created_at = micros(row.created_at);
    let completed_at = row.completed_at.map(micros);
    let abandoned_before = micros(abandoned_before);
    let taken = sqlx::query!(
        "UPDATE api_idempotency \
         SET request_digest = ?3, status = ?4, body = ?5, created_at = ?6, completed_at = ?7 \
         WHERE actor = ?1 AND key = ?2 AND completed_at IS NULL AND created_at < ?8",
        row.actor,
        row.key,
        row.request_digest,
        row.status,
        row.body,
        created_at,
        completed_at,
        abandoned_before,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(taken.rows_affected() == 1)
}

/// Stores the answer into the pending reservation `row` made. False when it is no longer
/// pending.
pub(crate) async fn complete_idempotent_response(
    connection: &mut SqliteConnection,
    row: &IdempotentResponseRow,
) -> Result<bool, StoreError> {
    let created_at = micros(row.created_at);
    let completed_at = row.completed_at.map(micros);
    let completed = sqlx::query!(
        "UPDATE api_idempotency SET status = ?5, body = ?6, completed_at = ?7 \
         WHERE actor = ?1 AND key = ?2 AND request_digest = ?3 AND created_at = ?4 \
             AND completed_at IS NULL",
        row.actor,
        row.key,
        row.request_digest,
        created_at,
        row.status,
        row.body,
        completed_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(completed.rows_affected() == 1)
}

/// Deletes the pending reservation `row` made. False when there is none.
pub(crate) async fn release_idempotent_response(
    connection: &mut SqliteConnection,
    row: &IdempotentResponseRow,
) -> Result<bool, StoreError> {
    let created_at = micros(row.created_at);
    let released = sqlx::query!(
        "DELETE FROM api_idempotency \
         WHERE actor = ?1 AND key = ?2 AND request_digest = ?3 AND created_at = ?4 \
             AND completed_at IS NULL",
        row.actor,
        row.key,
        row.request_digest,
        created_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(released.rows_affected() == 1)
}
