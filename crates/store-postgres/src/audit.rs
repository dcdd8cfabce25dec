//! The audit log's stand-alone operations: listing, reading the chain, and pruning personal data.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    AuditFilter, AuditPage, AuditRow, AuditStore, ChainHead, ChainTransaction,
};
use sqlx::postgres::PgPool;

use crate::chain::PostgresChainTransaction;
use crate::error::store_error;
use crate::records::{count_of, limit_of};

/// [`AuditStore`] on the pool.
#[derive(Debug, Clone)]
pub(crate) struct PostgresAudit {
    pool: PgPool,
}

impl PostgresAudit {
    /// Audit operations on `pool`.
    pub(crate) fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl AuditStore for PostgresAudit {
    async fn list(
        &self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: u32,
    ) -> Result<AuditPage, StoreError> {
        // One row more than asked tells whether an older page exists.
        let mut rows = sqlx::query_as!(
            AuditRow,
            "SELECT position, id, occurred_at, actor_kind, actor_id, action, target, outcome,
                    request_id, subject_id, details, personal, personal_digest, chain_seq,
                    chain_mac
             FROM audit_events
             WHERE ($1::bigint IS NULL OR position < $1)
               AND ($2::text IS NULL OR action = $2)
               AND ($3::text IS NULL OR actor_id = $3)
               AND ($4::uuid IS NULL OR subject_id = $4)
               AND ($5::text IS NULL OR outcome = $5)
               AND ($6::timestamptz IS NULL OR occurred_at >= $6)
               AND ($7::timestamptz IS NULL OR occurred_at < $7)
             ORDER BY position DESC
             LIMIT $8",
            before,
            filter.action.as_deref(),
            filter.actor_id.as_deref(),
            filter.subject_id,
            filter.outcome.as_deref(),
            filter.since,
            filter.until,
            limit_of(limit) + 1,
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        let has_older = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next_before = if has_older {
            rows.last().map(|row| row.position)
        } else {
            None
        };
        Ok(AuditPage { rows, next_before })
    }

    async fn chained_after(&self, after_seq: i64, limit: u32) -> Result<Vec<AuditRow>, StoreError> {
        sqlx::query_as!(
            AuditRow,
            "SELECT position, id, occurred_at, actor_kind, actor_id, action, target, outcome,
                    request_id, subject_id, details, personal, personal_digest, chain_seq,
                    chain_mac
             FROM audit_events
             WHERE chain_seq > $1
             ORDER BY chain_seq
             LIMIT $2",
            after_seq,
            limit_of(limit),
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn count_unchained(&self) -> Result<u64, StoreError> {
        let count = sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM audit_events WHERE chain_seq IS NULL"#
        )
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(count_of(count))
    }

    async fn head(&self) -> Result<Option<ChainHead>, StoreError> {
        sqlx::query_as!(
            ChainHead,
            "SELECT seq, mac, head_mac, updated_at FROM audit_chain_head WHERE id = 1"
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn begin_chaining(&self) -> Result<Box<dyn ChainTransaction>, StoreError> {
        let transaction = PostgresChainTransaction::begin(&self.pool).await?;
        Ok(Box::new(transaction))
    }

    async fn prune_personal(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = sqlx::query!(
            "UPDATE audit_events SET personal = NULL
             WHERE occurred_at < $1 AND personal IS NOT NULL",
            before,
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected())
    }
}
