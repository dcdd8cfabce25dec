//! Users and their password credential: the stand-alone reads and updates on the pool, and the
//! writes a use case makes inside its transaction. A taken normalised email is refused by the
//! unique index, which [`store_error`] turns into [`StoreError::AlreadyExists`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{PasswordRow, UserFilter, UserRow, UserStore, UserWrites};
use sqlx::postgres::PgPool;
use uuid::Uuid;

use crate::error::store_error;
use crate::records::{like_pattern, limit_of};
use crate::transaction::PostgresTransaction;

/// [`UserStore`] on the pool.
#[derive(Debug, Clone)]
pub(crate) struct PostgresUsers {
    pool: PgPool,
}

impl PostgresUsers {
    /// User operations on `pool`.
    pub(crate) fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl UserStore for PostgresUsers {
    async fn by_id(&self, id: Uuid) -> Result<Option<UserRow>, StoreError> {
        sqlx::query_as!(
            UserRow,
            "SELECT id, email, email_normalized, email_verified_at, display_name, given_name,
                    family_name, locale, picture_url, attributes, status, is_admin, created_at,
                    updated_at, last_sign_in_at
             FROM users WHERE id = $1",
            id,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn by_email(&self, email_normalized: &str) -> Result<Option<UserRow>, StoreError> {
        sqlx::query_as!(
            UserRow,
            "SELECT id, email, email_normalized, email_verified_at, display_name, given_name,
                    family_name, locale, picture_url, attributes, status, is_admin, created_at,
                    updated_at, last_sign_in_at
             FROM users WHERE email_normalized = $1",
            email_normalized,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn password(&self, user_id: Uuid) -> Result<Option<PasswordRow>, StoreError> {
        sqlx::query_as!(
            PasswordRow,
            "SELECT user_id, hash, updated_at FROM password_credentials WHERE user_id = $1",
            user_id,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn rehash_password(
        &self,
        user_id: Uuid,
        old_hash: &str,
        new_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE password_credentials SET hash = $3, updated_at = $4
             WHERE user_id = $1 AND hash = $2",
            user_id,
            old_hash,
            new_hash,
            now,
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn record_sign_in(&self, user_id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query!(
            "UPDATE users SET last_sign_in_at = $2 WHERE id = $1",
            user_id,
            now,
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn list(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<UserRow>, StoreError> {
        sqlx::query_as!(
            UserRow,
            "SELECT id, email, email_normalized, email_verified_at, display_name, given_name,
                    family_name, locale, picture_url, attributes, status, is_admin, created_at,
                    updated_at, last_sign_in_at
             FROM users
             WHERE ($1::uuid IS NULL OR id > $1)
             ORDER BY id
             LIMIT $2",
            after,
            limit_of(limit),
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn search(
        &self,
        filter: &UserFilter,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<UserRow>, StoreError> {
        // Every filter is `($n IS NULL OR …)`, so one static statement serves every
        // combination.
        sqlx::query_as!(
            UserRow,
            r#"SELECT id, email, email_normalized, email_verified_at, display_name, given_name,
                      family_name, locale, picture_url, attributes, status, is_admin,
                      created_at, updated_at, last_sign_in_at
               FROM users
               WHERE ($1::uuid IS NULL OR id > $1)
                 AND ($2::text IS NULL OR email_normalized ILIKE $2 ESCAPE '\'
                      OR display_name ILIKE $2 ESCAPE '\')
                 AND ($3::text IS NULL OR status = $3)
                 AND ($4::boolean IS NULL OR (email_verified_at IS NOT NULL) = $4)
                 AND ($5::uuid IS NULL OR EXISTS (
                     SELECT 1 FROM user_roles
                     WHERE user_roles.user_id = users.id AND user_roles.role_id = $5))
                 AND ($6::timestamptz IS NULL OR created_at >= $6)
                 AND ($7::timestamptz IS NULL OR created_at < $7)
               ORDER BY id
               LIMIT $8"#,
            after,
            filter.query.as_deref().map(like_pattern),
            filter.status.as_deref(),
            filter.email_verified,
            filter.role_id,
            filter.created_from,
            filter.created_before,
            limit_of(limit),
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }
}

#[async_trait]
impl UserWrites for PostgresTransaction {
    async fn insert_user(&mut self, row: &UserRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO users (id, email, email_normalized, email_verified_at, display_name,
                                given_name, family_name, locale, picture_url, attributes, status,
                                is_admin, created_at, updated_at, last_sign_in_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            row.id,
            row.email,
            row.email_normalized,
            row.email_verified_at,
            row.display_name.as_deref(),
            row.given_name.as_deref(),
            row.family_name.as_deref(),
            row.locale.as_deref(),
            row.picture_url.as_deref(),
            row.attributes,
            row.status,
            row.is_admin,
            row.created_at,
            row.updated_at,
            row.last_sign_in_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn update_user(&mut self, row: &UserRow) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE users
             SET email = $2, email_normalized = $3, email_verified_at = $4, display_name = $5,
                 given_name = $6, family_name = $7, locale = $8, picture_url = $9,
                 attributes = $10, status = $11, is_admin = $12, updated_at = $13,
                 last_sign_in_at = $14
             WHERE id = $1",
            row.id,
            row.email,
            row.email_normalized,
            row.email_verified_at,
            row.display_name.as_deref(),
            row.given_name.as_deref(),
            row.family_name.as_deref(),
            row.locale.as_deref(),
            row.picture_url.as_deref(),
            row.attributes,
            row.status,
            row.is_admin,
            row.updated_at,
            row.last_sign_in_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn lock_user(&mut self, id: Uuid) -> Result<Option<UserRow>, StoreError> {
        sqlx::query_as!(
            UserRow,
            "SELECT id, email, email_normalized, email_verified_at, display_name, given_name,
                    family_name, locale, picture_url, attributes, status, is_admin, created_at,
                    updated_at, last_sign_in_at
             FROM users WHERE id = $1
             FOR UPDATE",
            id,
        )
        .fetch_optional(self.connection())
        .await
        .map_err(store_error)
    }

    async fn set_password(&mut self, row: &PasswordRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO password_credentials (user_id, hash, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE
                 SET hash = EXCLUDED.hash, updated_at = EXCLUDED.updated_at",
            row.user_id,
            row.hash,
            row.updated_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn delete_user(&mut self, id: Uuid) -> Result<bool, StoreError> {
        // Everything that hangs off the user goes with them through the foreign keys.
        let result = sqlx::query!("DELETE FROM users WHERE id = $1", id)
            .execute(self.connection())
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }
}
