//! Wrapped key material: data keys and per-subject keys.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{DataKeyRow, KeyStore, SubjectKeyRow};
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::convert::{micros, optional_timestamp, timestamp, uuid_list};
use crate::error::store_error;
use crate::pools::Pools;

/// A `data_keys` row in its stored form.
struct DataKeyRecord {
    id: Uuid,
    purpose: String,
    wrapped: Vec<u8>,
    master_key_id: String,
    created_at: i64,
}

impl TryFrom<DataKeyRecord> for DataKeyRow {
    type Error = StoreError;

    fn try_from(record: DataKeyRecord) -> Result<Self, StoreError> {
        Ok(DataKeyRow {
            id: record.id,
            purpose: record.purpose,
            wrapped: record.wrapped,
            master_key_id: record.master_key_id,
            created_at: timestamp(record.created_at)?,
        })
    }
}

/// A `subject_keys` row in its stored form.
struct SubjectKeyRecord {
    subject_id: Uuid,
    key_id: Uuid,
    wrapped: Option<Vec<u8>>,
    created_at: i64,
    destroyed_at: Option<i64>,
}

impl TryFrom<SubjectKeyRecord> for SubjectKeyRow {
    type Error = StoreError;

    fn try_from(record: SubjectKeyRecord) -> Result<Self, StoreError> {
        Ok(SubjectKeyRow {
            subject_id: record.subject_id,
            key_id: record.key_id,
            wrapped: record.wrapped,
            created_at: timestamp(record.created_at)?,
            destroyed_at: optional_timestamp(record.destroyed_at)?,
        })
    }
}

/// Inserts `row` unless its subject has a key already, then returns the subject's stored key
/// (a destroyed one stays destroyed).
pub(crate) async fn subject_key_or_insert(
    connection: &mut SqliteConnection,
    row: &SubjectKeyRow,
) -> Result<SubjectKeyRow, StoreError> {
    let created_at = micros(row.created_at);
    let destroyed_at = row.destroyed_at.map(micros);
    sqlx::query!(
        "INSERT INTO subject_keys (subject_id, key_id, wrapped, created_at, destroyed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (subject_id) DO NOTHING",
        row.subject_id,
        row.key_id,
        row.wrapped,
        created_at,
        destroyed_at,
    )
    .execute(&mut *connection)
    .await
    .map_err(store_error)?;
    let record = sqlx::query_as!(
        SubjectKeyRecord,
        r#"SELECT subject_id AS "subject_id: _", key_id AS "key_id: _", wrapped, created_at,
               destroyed_at
           FROM subject_keys WHERE subject_id = ?1"#,
        row.subject_id,
    )
    .fetch_one(connection)
    .await
    .map_err(store_error)?;
    SubjectKeyRow::try_from(record)
}

/// [`KeyStore`] on the writer (changes) and reader (reads) pools.
#[derive(Debug)]
pub(crate) struct SqliteKeyStore {
    pools: Pools,
}

impl SqliteKeyStore {
    /// The key store of these pools.
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

#[async_trait]
impl KeyStore for SqliteKeyStore {
    async fn data_keys(&self) -> Result<Vec<DataKeyRow>, StoreError> {
        let records = sqlx::query_as!(
            DataKeyRecord,
            r#"SELECT id AS "id: _", purpose, wrapped, master_key_id, created_at
               FROM data_keys ORDER BY created_at, id"#
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)?;
        records.into_iter().map(DataKeyRow::try_from).collect()
    }

    async fn insert_data_key(&self, row: &DataKeyRow) -> Result<DataKeyRow, StoreError> {
        let created_at = micros(row.created_at);
        let mut transaction = self.pools.begin_write().await?;
        sqlx::query!(
            "INSERT INTO data_keys (id, purpose, wrapped, master_key_id, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?5) \
             ON CONFLICT (purpose) DO NOTHING",
            row.id,
            row.purpose,
            row.wrapped,
            row.master_key_id,
            created_at,
        )
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        let record = sqlx::query_as!(
            DataKeyRecord,
            r#"SELECT id AS "id: _", purpose, wrapped, master_key_id, created_at
               FROM data_keys WHERE purpose = ?1"#,
            row.purpose,
        )
        .fetch_one(&mut *transaction)
        .await
        .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        DataKeyRow::try_from(record)
    }

    async fn rewrap_data_keys(&self, rows: &[DataKeyRow]) -> Result<(), StoreError> {
        let mut transaction = self.pools.begin_write().await?;
        for row in rows {
            // The port passes no "now", so `updated_at` is left as it was.
            let rewrapped = sqlx::query!(
                "UPDATE data_keys SET wrapped = ?2, master_key_id = ?3 WHERE id = ?1",
                row.id,
                row.wrapped,
                row.master_key_id,
            )
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
            if rewrapped.rows_affected() == 0 {
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
        let subjects = uuid_list(subjects);
        let records = sqlx::query_as!(
            SubjectKeyRecord,
            r#"SELECT subject_id AS "subject_id: _", key_id AS "key_id: _", wrapped, created_at,
                   destroyed_at
               FROM subject_keys
               WHERE subject_id IN (SELECT unhex(value) FROM json_each(?1))
               ORDER BY subject_id"#,
            subjects,
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)?;
        records.into_iter().map(SubjectKeyRow::try_from).collect()
    }

    async fn destroy_subject_key(
        &self,
        subject: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = micros(now);
        let destroyed = sqlx::query!(
            "UPDATE subject_keys SET wrapped = NULL, destroyed_at = ?2 \
             WHERE subject_id = ?1 AND destroyed_at IS NULL",
            subject,
            now,
        )
        .execute(&self.pools.writer)
        .await
        .map_err(store_error)?;
        Ok(destroyed.rows_affected() == 1)
    }
}
