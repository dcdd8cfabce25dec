//! Wrapped key material: data keys and per-subject keys.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{DataKeyRow, KeyStore, SubjectKeyRow};
use sqlx::postgres::PgPool;
use uuid::Uuid;

use crate::error::store_error;

/// [`KeyStore`] on the pool.
#[derive(Debug, Clone)]
pub(crate) struct PostgresKeys {
    pool: PgPool,
}

impl PostgresKeys {
    /// Key operations on `pool`.
    pub(crate) fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl KeyStore for PostgresKeys {
    async fn data_keys(&self) -> Result<Vec<DataKeyRow>, StoreError> {
        sqlx::query_as!(
            DataKeyRow,
            "SELECT id, purpose, wrapped, master_key_id, created_at
             FROM data_keys ORDER BY created_at, id"
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn insert_data_key(&self, row: &DataKeyRow) -> Result<DataKeyRow, StoreError> {
        // The insert gives way to a key of the same purpose, committed or not: it waits for a
        // racing node's transaction and then reads the key that won.
        sqlx::query!(
            "INSERT INTO data_keys (id, purpose, wrapped, master_key_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (purpose) DO NOTHING",
            row.id,
            row.purpose,
            row.wrapped,
            row.master_key_id,
            row.created_at,
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        sqlx::query_as!(
            DataKeyRow,
            "SELECT id, purpose, wrapped, master_key_id, created_at
             FROM data_keys WHERE purpose = $1",
            row.purpose,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .ok_or_else(|| StoreError::NotFound(format!("data key for {}", row.purpose)))
    }

    async fn rewrap_data_keys(&self, rows: &[DataKeyRow]) -> Result<(), StoreError> {
        let mut transaction = self.pool.begin().await.map_err(store_error)?;
        for row in rows {
            let result = sqlx::query!(
                "UPDATE data_keys SET wrapped = $2, master_key_id = $3 WHERE id = $1",
                row.id,
                row.wrapped,
                row.master_key_id,
            )
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
            if result.rows_affected() == 0 {
                // Dropping the transaction rolls back the keys re-wrapped so far.
                return Err(StoreError::NotFound(format!("data key {}", row.id)));
            }
        }
        transaction.commit().await.map_err(store_error)
    }

    async fn subject_keys(&self, subjects: &[Uuid]) -> Result<Vec<SubjectKeyRow>, StoreError> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query_as!(
            SubjectKeyRow,
            "SELECT subject_id, key_id, wrapped, created_at, destroyed_at
             FROM subject_keys WHERE subject_id = ANY($1) ORDER BY subject_id",
            subjects,
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn destroy_subject_key(
        &self,
        subject: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "UPDATE subject_keys SET wrapped = NULL, destroyed_at = $2
             WHERE subject_id = $1 AND destroyed_at IS NULL",
            subject,
            now,
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }
}
