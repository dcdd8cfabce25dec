//! Second factors and sign-in challenges as a use case changes them in its transaction. Every
//! one-time use (confirming a TOTP device, a recovery code, a challenge and its attempts) is one
//! conditional `UPDATE … RETURNING`; the transaction holds SQLite's single writer, so no other
//! change runs between its condition and its effect. A change to one of a user's factors names
//! the user, so nobody changes another user's factor by its id.

use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{ChallengeRow, RecoveryCodeRow, TotpRow, WebauthnRow};
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::convert::micros;
use crate::error::store_error;
use crate::mfa_record::ChallengeRecord;

/// Inserts a TOTP device.
pub(crate) async fn insert_totp(
    connection: &mut SqliteConnection,
    row: &TotpRow,
) -> Result<(), StoreError> {
    let created_at = micros(row.created_at);
    let confirmed_at = row.confirmed_at.map(micros);
    let last_used_at = row.last_used_at.map(micros);
    sqlx::query!(
        "INSERT INTO mfa_totp (id, user_id, name, secret, created_at, confirmed_at, last_step, \
             last_used_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        row.id,
        row.user_id,
        row.name,
        row.secret,
        created_at,
        confirmed_at,
        row.last_step,
        last_used_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Confirms the user's unconfirmed device `id` with the code of `step`. True when this call
/// confirmed it.
pub(crate) async fn confirm_totp(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    id: Uuid,
    step: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let now = micros(now);
    let confirmed = sqlx::query_scalar!(
        r#"UPDATE mfa_totp SET confirmed_at = ?4, last_step = ?3, last_used_at = ?4
           WHERE id = ?2 AND user_id = ?1 AND confirmed_at IS NULL
           RETURNING id AS "id!: Uuid""#,
        user_id,
        id,
        step,
        now,
    )
    .fetch_optional(connection)
    .await
    .map_err(store_error)?;
    Ok(confirmed.is_some())
}

/// Renames the user's device `id`. True when it exists.
pub(crate) async fn rename_totp(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    id: Uuid,
    name: &str,
) -> Result<bool, StoreError> {
    let renamed = sqlx::query!(
        "UPDATE mfa_totp SET name = ?3 WHERE id = ?2 AND user_id = ?1",
        user_id,
        id,
        name,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(renamed.rows_affected() == 1)
}

/// Deletes the user's device `id`. True when it existed.
pub(crate) async fn delete_totp(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    id: Uuid,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query!(
        "DELETE FROM mfa_totp WHERE id = ?2 AND user_id = ?1",
        user_id,
        id,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(deleted.rows_affected() == 1)
}

/// Deletes the user's never-confirmed devices begun before `before`. Returns how many.
pub(crate) async fn delete_unconfirmed_totp(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let before = micros(before);
    let deleted = sqlx::query!(
        "DELETE FROM mfa_totp WHERE user_id = ?1 AND confirmed_at IS NULL AND created_at < ?2",
        user_id,
        before,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(deleted.rows_affected())
}

/// Replaces all the user's recovery codes with `rows`, which must all be the user's.
pub(crate) async fn replace_recovery_codes(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    rows: &[RecoveryCodeRow],
) -> Result<(), StoreError> {
    if let Some(row) = rows.iter().find(|row| row.user_id != user_id) {
        return Err(StoreError::Other(format!(
            "recovery code {} belongs to another user",
            row.id
        )));
    }
    sqlx::query!("DELETE FROM mfa_recovery_codes WHERE user_id = ?1", user_id)
        .execute(&mut *connection)
        .await
        .map_err(store_error)?;
    for row in rows {
        let created_at = micros(row.created_at);
        let used_at = row.used_at.map(micros);
        sqlx::query!(
            "INSERT INTO mfa_recovery_codes (id, user_id, code_mac, created_at, used_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            row.id,
            row.user_id,
            row.code_mac,
            created_at,
            used_at,
        )
        .execute(&mut *connection)
        .await
        .map_err(store_error)?;
    }
    Ok(())
}

/// Uses the user's unused recovery code with this digest. True when this call used it.
pub(crate) async fn use_recovery_code(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    code_mac: &[u8],
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let now = micros(now);
    let used = sqlx::query_scalar!(
        r#"UPDATE mfa_recovery_codes SET used_at = ?3
           WHERE user_id = ?1 AND code_mac = ?2 AND used_at IS NULL
           RETURNING id AS "id!: Uuid""#,
        user_id,
        code_mac,
        now,
    )
    .fetch_optional(connection)
    .await
    .map_err(store_error)?;
    Ok(used.is_some())
}

/// Inserts a WebAuthn credential; a taken credential id is `AlreadyExists`.
pub(crate) async fn insert_webauthn(
    connection: &mut SqliteConnection,
    row: &WebauthnRow,
) -> Result<(), StoreError> {
    let created_at = micros(row.created_at);
    let last_used_at = row.last_used_at.map(micros);
    sqlx::query!(
        "INSERT INTO webauthn_credentials (id, user_id, name, credential_id, credential, kind, \
             sign_count, backup_eligible, backup_state, created_at, last_used_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        row.id,
        row.user_id,
        row.name,
        row.credential_id,
        row.credential,
        row.kind,
        row.sign_count,
        row.backup_eligible,
        row.backup_state,
        created_at,
        last_used_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Records a use of the credential `id`. True when it exists.
pub(crate) async fn update_webauthn_use(
    connection: &mut SqliteConnection,
    id: Uuid,
    credential: &str,
    sign_count: i64,
    backup_state: bool,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let now = micros(now);
    let updated = sqlx::query!(
        "UPDATE webauthn_credentials \
         SET credential = ?2, sign_count = ?3, backup_state = ?4, last_used_at = ?5 \
         WHERE id = ?1",
        id,
        credential,
        sign_count,
        backup_state,
        now,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(updated.rows_affected() == 1)
}

/// Renames the user's credential `id`. True when it exists.
pub(crate) async fn rename_webauthn(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    id: Uuid,
    name: &str,
) -> Result<bool, StoreError> {
    let renamed = sqlx::query!(
        "UPDATE webauthn_credentials SET name = ?3 WHERE id = ?2 AND user_id = ?1",
        user_id,
        id,
        name,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(renamed.rows_affected() == 1)
}

/// Deletes the user's credential `id`. True when it existed.
pub(crate) async fn delete_webauthn(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    id: Uuid,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query!(
        "DELETE FROM webauthn_credentials WHERE id = ?2 AND user_id = ?1",
        user_id,
        id,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(deleted.rows_affected() == 1)
}

/// Deletes the user's TOTP devices, recovery codes and WebAuthn credentials. Returns how many
/// rows went.
pub(crate) async fn delete_all_factors(
    connection: &mut SqliteConnection,
    user_id: Uuid,
) -> Result<u64, StoreError> {
    let totp = sqlx::query!("DELETE FROM mfa_totp WHERE user_id = ?1", user_id)
        .execute(&mut *connection)
        .await
        .map_err(store_error)?;
    let codes = sqlx::query!("DELETE FROM mfa_recovery_codes WHERE user_id = ?1", user_id)
        .execute(&mut *connection)
        .await
        .map_err(store_error)?;
    let credentials = sqlx::query!(
        "DELETE FROM webauthn_credentials WHERE user_id = ?1",
        user_id,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(totp.rows_affected() + codes.rows_affected() + credentials.rows_affected())
}

/// Inserts a challenge.
pub(crate) async fn insert_challenge(
    connection: &mut SqliteConnection,
    row: &ChallengeRow,
) -> Result<(), StoreError> {
    let created_at = micros(row.created_at);
    let expires_at = micros(row.expires_at);
    let consumed_at = row.consumed_at.map(micros);
    sqlx::query!(
        "INSERT INTO auth_challenges (id, token_hash, kind, user_id, session_id, state, \
             attempts, created_at, expires_at, consumed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        row.id,
        row.token_hash,
        row.kind,
        row.user_id,
        row.session_id,
        row.state,
        row.attempts,
        created_at,
        expires_at,
        consumed_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Consumes the live challenge with this digest and kind; returns it.
pub(crate) async fn consume_challenge(
    connection: &mut SqliteConnection,
    token_hash: &[u8],
    kind: &str,
    now: DateTime<Utc>,
) -> Result<Option<ChallengeRow>, StoreError> {
    let now = micros(now);
    let record = sqlx::query_as!(
        ChallengeRecord,
        r#"UPDATE auth_challenges SET consumed_at = ?3
           WHERE token_hash = ?1 AND kind = ?2 AND consumed_at IS NULL AND expires_at > ?3
           RETURNING id AS "id!: Uuid", token_hash AS "token_hash!", kind AS "kind!",
               user_id AS "user_id?: Uuid", session_id AS "session_id?: Uuid",
               state AS "state!", attempts AS "attempts!: i32", created_at AS "created_at!",
               expires_at AS "expires_at!", consumed_at AS "consumed_at?""#,
        token_hash,
        kind,
        now,
    )
    .fetch_optional(connection)
    .await
    .map_err(store_error)?;
    record.map(ChallengeRow::try_from).transpose()
}

/// Counts one wrong answer on the live challenge with this digest while it has attempts left;
/// returns the new count.
pub(crate) async fn spend_challenge_attempt(
    connection: &mut SqliteConnection,
    token_hash: &[u8],
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<Option<i32>, StoreError> {
    let now = micros(now);
    sqlx::query_scalar!(
        r#"UPDATE auth_challenges SET attempts = attempts + 1
           WHERE token_hash = ?1 AND consumed_at IS NULL AND expires_at > ?3
               AND attempts < ?2
           RETURNING attempts AS "attempts!: i32""#,
        token_hash,
        max_attempts,
        now,
    )
    .fetch_optional(connection)
    .await
    .map_err(store_error)
}

/// Replaces the sealed state of the live challenge with this digest. True when it was live.
pub(crate) async fn update_challenge_state(
    connection: &mut SqliteConnection,
    token_hash: &[u8],
    state: &[u8],
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let now = micros(now);
    let updated = sqlx::query!(
        "UPDATE auth_challenges SET state = ?2 \
         WHERE token_hash = ?1 AND consumed_at IS NULL AND expires_at > ?3",
        token_hash,
        state,
        now,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(updated.rows_affected() == 1)
}
