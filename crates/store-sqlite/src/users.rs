//! Users and their password credential: the stand-alone reads and changes, and the writes a use
//! case makes in its transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{PasswordRow, UserFilter, UserRow, UserStore};
use sqlx::{Executor, Sqlite, SqliteConnection};
use uuid::Uuid;

use crate::convert::{like_pattern, limit, micros};
use crate::error::store_error;
use crate::pools::Pools;
use crate::user_record::{PasswordRecord, UserRecord};

/// The user with `id`, read through `executor` (a pool or a transaction's connection).
async fn user_by_id<'e, E>(executor: E, id: Uuid) -> Result<Option<UserRow>, StoreError>
where
    E: Executor<'e, Database = Sqlite>,
{
    let record = sqlx::query_as!(
        UserRecord,
        r#"SELECT id AS "id: _", email, email_normalized, email_verified_at, display_name,
               given_name, family_name, locale, picture_url, attributes, status,
               is_admin AS "is_admin: _", created_at, updated_at, last_sign_in_at
           FROM users WHERE id = ?1"#,
        id,
    )
    .fetch_optional(executor)
    .await
    .map_err(store_error)?;
    record.map(UserRow::try_from).transpose()
}

/// Inserts `row`; a taken id or normalised email is `AlreadyExists`.
pub(crate) async fn insert_user(
    connection: &mut SqliteConnection,
    row: &UserRow,
) -> Result<(), StoreError> {
    let email_verified_at = row.email_verified_at.map(micros);
    let created_at = micros(row.created_at);
    let updated_at = micros(row.updated_at);
    let last_sign_in_at = row.last_sign_in_at.map(micros);
    sqlx::query!(
        "INSERT INTO users (id, email, email_normalized, email_verified_at, display_name, \
             given_name, family_name, locale, picture_url, attributes, status, is_admin, \
             created_at, updated_at, last_sign_in_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        row.id,
        row.email,
        row.email_normalized,
        email_verified_at,
        row.display_name,
        row.given_name,
        row.family_name,
        row.locale,
        row.picture_url,
        row.attributes,
        row.status,
        row.is_admin,
        created_at,
        updated_at,
        last_sign_in_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Replaces every field but `id` and `created_at` of the user `row.id`; a taken normalised
/// email is `AlreadyExists`. True when the user exists.
pub(crate) async fn update_user(
    connection: &mut SqliteConnection,
    row: &UserRow,
) -> Result<bool, StoreError> {
    let email_verified_at = row.email_verified_at.map(micros);
    let updated_at = micros(row.updated_at);
    let last_sign_in_at = row.last_sign_in_at.map(micros);
    let changed = sqlx::query!(
        "UPDATE users SET email = ?2, email_normalized = ?3, email_verified_at = ?4, \
             display_name = ?5, given_name = ?6, family_name = ?7, locale = ?8, \
             picture_url = ?9, attributes = ?10, status = ?11, is_admin = ?12, \
             updated_at = ?13, last_sign_in_at = ?14 \
         WHERE id = ?1",
        row.id,
        row.email,
        row.email_normalized,
        email_verified_at,
        row.display_name,
        row.given_name,
        row.family_name,
        row.locale,
        row.picture_url,
        row.attributes,
        row.status,
        row.is_admin,
        updated_at,
        last_sign_in_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(changed.rows_affected() == 1)
}

/// The user `id`, read inside the transaction. The transaction already holds SQLite's write
/// lock (`BEGIN IMMEDIATE`), so no other writer can change the row before it ends.
pub(crate) async fn lock_user(
    connection: &mut SqliteConnection,
    id: Uuid,
) -> Result<Option<UserRow>, StoreError> {
    user_by_id(connection, id).await
}

/// Inserts the user's password credential, or replaces the one stored.
pub(crate) async fn set_password(
    connection: &mut SqliteConnection,
    row: &PasswordRow,
) -> Result<(), StoreError> {
    let updated_at = micros(row.updated_at);
    sqlx::query!(
        "INSERT INTO password_credentials (user_id, hash, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (user_id) DO UPDATE \
             SET hash = excluded.hash, updated_at = excluded.updated_at",
        row.user_id,
        row.hash,
        updated_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Deletes the user and, through the foreign keys, everything that hangs off them (password,
/// sessions, one-time tokens, factors, challenges, role assignments and group memberships,
/// authorization codes, grants with their refresh tokens, consents). True when they existed.
pub(crate) async fn delete_user(
    connection: &mut SqliteConnection,
    id: Uuid,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query!("DELETE FROM users WHERE id = ?1", id)
        .execute(connection)
        .await
        .map_err(store_error)?;
    Ok(deleted.rows_affected() == 1)
}

/// [`UserStore`] on the writer (changes) and reader (reads) pools.
#[derive(Debug)]
pub(crate) struct SqliteUserStore {
    pools: Pools,
}

impl SqliteUserStore {
    /// The user store of these pools.
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

#[async_trait]
impl UserStore for SqliteUserStore {
    async fn by_id(&self, id: Uuid) -> Result<Option<UserRow>, StoreError> {
        user_by_id(&self.pools.reader, id).await
    }

    async fn by_email(&self, email_normalized: &str) -> Result<Option<UserRow>, StoreError> {
        let record = sqlx::query_as!(
            UserRecord,
            r#"SELECT id AS "id: _", email, email_normalized, email_verified_at, display_name,
                   given_name, family_name, locale, picture_url, attributes, status,
                   is_admin AS "is_admin: _", created_at, updated_at, last_sign_in_at
               FROM users WHERE email_normalized = ?1"#,
            email_normalized,
        )
        .fetch_optional(&self.pools.reader)
        .await
        .map_err(store_error)?;
        record.map(UserRow::try_from).transpose()
    }

    async fn password(&self, user_id: Uuid) -> Result<Option<PasswordRow>, StoreError> {
        let record = sqlx::query_as!(
            PasswordRecord,
            r#"SELECT user_id AS "user_id: _", hash, updated_at
               FROM password_credentials WHERE user_id = ?1"#,
            user_id,
        )
        .fetch_optional(&self.pools.reader)
        .await
        .map_err(store_error)?;
        record.map(PasswordRow::try_from).transpose()
    }

    async fn rehash_password(
        &self,
        user_id: Uuid,
        old_hash: &str,
        new_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = micros(now);
        let changed = sqlx::query!(
            "UPDATE password_credentials SET hash = ?3, updated_at = ?4 \
             WHERE user_id = ?1 AND hash = ?2",
            user_id,
            old_hash,
            new_hash,
            now,
        )
        .execute(&self.pools.writer)
        .await
        .map_err(store_error)?;
        Ok(changed.rows_affected() == 1)
    }

    async fn record_sign_in(&self, user_id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
        let now = micros(now);
        // Only the sign-in time: `updated_at` marks changes the user or an administrator made.
        sqlx::query!(
            "UPDATE users SET last_sign_in_at = ?2 WHERE id = ?1",
            user_id,
            now,
        )
        .execute(&self.pools.writer)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn list(
        &self,
        after: Option<Uuid>,
        limit_count: u32,
    ) -> Result<Vec<UserRow>, StoreError> {
        let limit_count = limit(limit_count);
        // A 16-byte BLOB compares bytewise, which is the order of `Uuid`.
        let records = sqlx::query_as!(
            UserRecord,
            r#"SELECT id AS "id: _", email, email_normalized, email_verified_at, display_name,
                   given_name, family_name, locale, picture_url, attributes, status,
                   is_admin AS "is_admin: _", created_at, updated_at, last_sign_in_at
               FROM users
               WHERE (?1 IS NULL OR id > ?1)
               ORDER BY id
               LIMIT ?2"#,
            after,
            limit_count,
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)?;
        records.into_iter().map(UserRow::try_from).collect()
    }

    async fn search(
        &self,
        filter: &UserFilter,
        after: Option<Uuid>,
        limit_count: u32,
    ) -> Result<Vec<UserRow>, StoreError> {
        let pattern = filter.query.as_deref().map(like_pattern);
        let created_from = filter.created_from.map(micros);
        let created_before = filter.created_before.map(micros);
        let limit_count = limit(limit_count);
        // Every filter is `(?n IS NULL OR …)`, so one static statement serves every
        // combination. SQLite's LIKE folds the case of ASCII letters only.
        let records = sqlx::query_as!(
            UserRecord,
            r#"SELECT id AS "id: _", email, email_normalized, email_verified_at, display_name,
                   given_name, family_name, locale, picture_url, attributes, status,
                   is_admin AS "is_admin: _", created_at, updated_at, last_sign_in_at
               FROM users
               WHERE (?1 IS NULL OR id > ?1)
                   AND (?2 IS NULL OR email_normalized LIKE ?2 ESCAPE '\'
                       OR display_name LIKE ?2 ESCAPE '\')
                   AND (?3 IS NULL OR status = ?3)
                   AND (?4 IS NULL OR (email_verified_at IS NOT NULL) = ?4)
                   AND (?5 IS NULL OR EXISTS (
                       SELECT 1 FROM user_roles
                       WHERE user_roles.user_id = users.id AND user_roles.role_id = ?5))
                   AND (?6 IS NULL OR created_at >= ?6)
                   AND (?7 IS NULL OR created_at < ?7)
               ORDER BY id
               LIMIT ?8"#,
            after,
            pattern,
            filter.status,
            filter.email_verified,
            filter.role_id,
            created_from,
            created_before,
            limit_count,
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)?;
        records.into_iter().map(UserRow::try_from).collect()
    }
}
