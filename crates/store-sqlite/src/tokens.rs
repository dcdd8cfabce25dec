//! One-time tokens: the writes a use case makes in its transaction. Each consumption or code
//! attempt is one conditional statement, so a token works once even under parallel requests.

use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::OneTimeTokenRow;
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::convert::{micros, optional_timestamp, timestamp};
use crate::error::store_error;

/// A `one_time_tokens` row in its stored form.
struct TokenRecord {
    id: Uuid,
    token_hash: Vec<u8>,
    purpose: String,
    user_id: Option<Uuid>,
    email: Option<String>,
    code_hash: Option<Vec<u8>>,
    attempts: i32,
    max_attempts: i32,
    created_at: i64,
    expires_at: i64,
    consumed_at: Option<i64>,
}

impl TryFrom<TokenRecord> for OneTimeTokenRow {
    type Error = StoreError;

    fn try_from(record: TokenRecord) -> Result<Self, StoreError> {
        Ok(OneTimeTokenRow {
            id: record.id,
            token_hash: record.token_hash,
            purpose: record.purpose,
            user_id: record.user_id,
            email: record.email,
            code_hash: record.code_hash,
            attempts: record.attempts,
            max_attempts: record.max_attempts,
            created_at: timestamp(record.created_at)?,
            expires_at: timestamp(record.expires_at)?,
            consumed_at: optional_timestamp(record.consumed_at)?,
        })
    }
}

/// Inserts a token.
pub(crate) async fn insert_token(
    connection: &mut SqliteConnection,
    row: &OneTimeTokenRow,
) -> Result<(), StoreError> {
    let created_at = micros(row.created_at);
    let expires_at = micros(row.expires_at);
    let consumed_at = row.consumed_at.map(micros);
    sqlx::query!(
        "INSERT INTO one_time_tokens (id, token_hash, purpose, user_id, email, code_hash, \
             attempts, max_attempts, created_at, expires_at, consumed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        row.id,
        row.token_hash,
        row.purpose,
        row.user_id,
        row.email,
        row.code_hash,
        row.attempts,
        row.max_attempts,
        created_at,
        expires_at,
        consumed_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Consumes the unconsumed, unexpired token with this digest and purpose; returns it.
pub(crate) async fn consume_token(
    connection: &mut SqliteConnection,
    token_hash: &[u8],
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<Option<OneTimeTokenRow>, StoreError> {
    let now = micros(now);
    let record = sqlx::query_as!(
        TokenRecord,
        r#"UPDATE one_time_tokens SET consumed_at = ?3
           WHERE token_hash = ?1 AND purpose = ?2 AND consumed_at IS NULL AND expires_at > ?3
           RETURNING id AS "id!: Uuid", token_hash AS "token_hash!", purpose AS "purpose!",
               user_id AS "user_id?: Uuid", email AS "email?", code_hash AS "code_hash?",
               attempts AS "attempts!: i32", max_attempts AS "max_attempts!: i32",
               created_at AS "created_at!", expires_at AS "expires_at!",
               consumed_at AS "consumed_at?""#,
        token_hash,
        purpose,
        now,
    )
    .fetch_optional(connection)
    .await
    .map_err(store_error)?;
    record.map(OneTimeTokenRow::try_from).transpose()
}

/// Counts one code attempt on the user's newest unconsumed, unexpired token of `purpose` with
/// attempts left; returns it with the new count.
pub(crate) async fn spend_code_attempt(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<Option<OneTimeTokenRow>, StoreError> {
    let now = micros(now);
    let record = sqlx::query_as!(
        TokenRecord,
        r#"UPDATE one_time_tokens SET attempts = attempts + 1
           WHERE id = (
               SELECT id FROM one_time_tokens
               WHERE user_id = ?1 AND purpose = ?2 AND consumed_at IS NULL
                   AND expires_at > ?3 AND attempts < max_attempts
               ORDER BY created_at DESC, id DESC
               LIMIT 1)
           RETURNING id AS "id!: Uuid", token_hash AS "token_hash!", purpose AS "purpose!",
               user_id AS "user_id?: Uuid", email AS "email?", code_hash AS "code_hash?",
               attempts AS "attempts!: i32", max_attempts AS "max_attempts!: i32",
               created_at AS "created_at!", expires_at AS "expires_at!",
               consumed_at AS "consumed_at?""#,
        user_id,
        purpose,
        now,
    )
    .fetch_optional(connection)
    .await
    .map_err(store_error)?;
    record.map(OneTimeTokenRow::try_from).transpose()
}

/// Consumes the token `id` if still unconsumed. True when this call consumed it.
pub(crate) async fn consume_token_by_id(
    connection: &mut SqliteConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let now = micros(now);
    let consumed = sqlx::query!(
        "UPDATE one_time_tokens SET consumed_at = ?2 WHERE id = ?1 AND consumed_at IS NULL",
        id,
        now,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(consumed.rows_affected() == 1)
}

/// Consumes every unconsumed token of the user for `purpose`. Returns how many.
pub(crate) async fn revoke_tokens(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let now = micros(now);
    let revoked = sqlx::query!(
        "UPDATE one_time_tokens SET consumed_at = ?3 \
         WHERE user_id = ?1 AND purpose = ?2 AND consumed_at IS NULL",
        user_id,
        purpose,
        now,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(revoked.rows_affected())
}
