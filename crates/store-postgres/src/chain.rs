//! The chainer's transaction, serialised across nodes by an advisory transaction lock.

use async_trait::async_trait;
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{AuditRow, ChainHead, ChainTransaction};
use sqlx::Postgres;
use sqlx::postgres::PgPool;
use uuid::Uuid;

use crate::error::store_error;
use crate::records::limit_of;

/// The advisory lock key every chainer takes ("gh-chain" in ASCII). Other advisory locks of
/// Gatehouse must use other keys.
const CHAINER_LOCK: i64 = 0x6768_2d63_6861_696e;

/// [`ChainTransaction`] holding the chainer lock until it commits or is dropped.
#[derive(Debug)]
pub(crate) struct PostgresChainTransaction {
    transaction: sqlx::Transaction<'static, Postgres>,
}

impl PostgresChainTransaction {
    /// Starts a transaction and waits for the chainer lock. Inserting records does not take
    /// this lock, so use cases are never blocked by a chainer.
    pub(crate) async fn begin(pool: &PgPool) -> Result<Self, StoreError> {
        let mut transaction = pool.begin().await.map_err(store_error)?;
        sqlx::query!("SELECT pg_advisory_xact_lock($1)", CHAINER_LOCK)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        Ok(Self { transaction })
    }
}

#[async_trait]
impl ChainTransaction for PostgresChainTransaction {
    async fn head(&mut self) -> Result<Option<ChainHead>, StoreError> {
        sqlx::query_as!(
            ChainHead,
            "SELECT seq, mac, head_mac, updated_at FROM audit_chain_head WHERE id = 1"
        )
        .fetch_optional(&mut *self.transaction)
        .await
        .map_err(store_error)
    }

    async fn unchained(&mut self, limit: u32) -> Result<Vec<AuditRow>, StoreError> {
        sqlx::query_as!(
            AuditRow,
            "SELECT position, id, occurred_at, actor_kind, actor_id, action, target, outcome,
                    request_id, subject_id, details, personal, personal_digest, chain_seq,
                    chain_mac
             FROM audit_events
             WHERE chain_seq IS NULL
             ORDER BY position
             LIMIT $1",
            limit_of(limit),
        )
        .fetch_all(&mut *self.transaction)
        .await
        .map_err(store_error)
    }

    async fn link(&mut self, id: Uuid, seq: i64, mac: &[u8]) -> Result<(), StoreError> {
        let result = sqlx::query!(
            "UPDATE audit_events SET chain_seq = $2, chain_mac = $3 WHERE id = $1",
            id,
            seq,
            mac,
        )
        .execute(&mut *self.transaction)
        .await
        .map_err(store_error)?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("audit record {id}")));
        }
        Ok(())
    }

    async fn set_head(&mut self, head: &ChainHead) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO audit_chain_head (id, seq, mac, head_mac, updated_at)
             VALUES (1, $1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE
                 SET seq = EXCLUDED.seq, mac = EXCLUDED.mac, head_mac = EXCLUDED.head_mac,
                     updated_at = EXCLUDED.updated_at",
            head.seq,
            head.mac,
            head.head_mac,
            head.updated_at,
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
