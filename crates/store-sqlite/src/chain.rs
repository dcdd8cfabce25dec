//! The chainer's transaction: a `BEGIN IMMEDIATE` transaction on the writer connection. Holding
//! SQLite's write lock makes it exclusive among chainers, in this process and any other.

use async_trait::async_trait;
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{AuditRow, ChainHead, ChainTransaction};
use sqlx::Sqlite;
use uuid::Uuid;

use crate::audit_record::{AuditRecord, HeadRecord, audit_rows};
use crate::convert::{limit, micros};
use crate::error::store_error;

/// The chainer's transaction. Dropping it uncommitted rolls it back.
pub(crate) struct SqliteChainTransaction {
    transaction: sqlx::Transaction<'static, Sqlite>,
}

impl SqliteChainTransaction {
    /// Wraps a write transaction already begun on the writer.
    pub(crate) fn new(transaction: sqlx::Transaction<'static, Sqlite>) -> Self {
        Self { transaction }
    }
}

#[async_trait]
impl ChainTransaction for SqliteChainTransaction {
    async fn head(&mut self) -> Result<Option<ChainHead>, StoreError> {
        let record = sqlx::query_as!(
            HeadRecord,
            "SELECT seq, mac, head_mac, updated_at FROM audit_chain_head WHERE id = 1"
        )
        .fetch_optional(&mut *self.transaction)
        .await
        .map_err(store_error)?;
        record.map(ChainHead::try_from).transpose()
    }

    async fn unchained(&mut self, limit_count: u32) -> Result<Vec<AuditRow>, StoreError> {
        let limit_count = limit(limit_count);
        let records = sqlx::query_as!(
            AuditRecord,
            r#"SELECT position AS "position!", id AS "id: _", occurred_at, actor_kind, actor_id,
                   action, target, outcome, request_id, subject_id AS "subject_id: _", details,
                   personal, personal_digest, chain_seq, chain_mac
               FROM audit_events
               WHERE chain_seq IS NULL
               ORDER BY position
               LIMIT ?1"#,
            limit_count,
        )
        .fetch_all(&mut *self.transaction)
        .await
        .map_err(store_error)?;
        audit_rows(records)
    }

    async fn link(&mut self, id: Uuid, seq: i64, mac: &[u8]) -> Result<(), StoreError> {
        let linked = sqlx::query!(
            "UPDATE audit_events SET chain_seq = ?2, chain_mac = ?3 WHERE id = ?1",
            id,
            seq,
            mac,
        )
        .execute(&mut *self.transaction)
        .await
        .map_err(store_error)?;
        if linked.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("audit record {id}")));
        }
        Ok(())
    }

    async fn set_head(&mut self, head: &ChainHead) -> Result<(), StoreError> {
        let updated_at = micros(head.updated_at);
        sqlx::query!(
            "INSERT INTO audit_chain_head (id, seq, mac, head_mac, updated_at) \
             VALUES (1, ?1, ?2, ?3, ?4) \
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, mac = excluded.mac, \
                 head_mac = excluded.head_mac, updated_at = excluded.updated_at",
            head.seq,
            head.mac,
            head.head_mac,
            updated_at,
        )
        .execute(&mut *self.transaction)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.transaction.commit().await.map_err(store_error)
    }
}
