//! The audit log's stand-alone operations, and the insert a use case makes in its transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    AuditFilter, AuditPage, AuditRow, AuditStore, ChainHead, ChainTransaction,
};
use sqlx::SqliteConnection;

use crate::audit_record::{AuditRecord, HeadRecord, audit_rows};
use crate::chain::SqliteChainTransaction;
use crate::convert::{count, limit, micros};
use crate::error::store_error;
use crate::pools::Pools;

/// Appends `row` unchained: the store assigns `position`; `chain_seq` and `chain_mac` stay NULL
/// until the chainer links the record.
pub(crate) async fn insert_event(
    connection: &mut SqliteConnection,
    row: &AuditRow,
) -> Result<(), StoreError> {
    let occurred_at = micros(row.occurred_at);
    sqlx::query!(
        "INSERT INTO audit_events (id, occurred_at, actor_kind, actor_id, action, target, \
             outcome, request_id, subject_id, details, personal, personal_digest) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        row.id,
        occurred_at,
        row.actor_kind,
        row.actor_id,
        row.action,
        row.target,
        row.outcome,
        row.request_id,
        row.subject_id,
        row.details,
        row.personal,
        row.personal_digest,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// [`AuditStore`] on the writer (changes) and reader (reads) pools.
#[derive(Debug)]
pub(crate) struct SqliteAuditStore {
    pools: Pools,
}

impl SqliteAuditStore {
    /// The audit store of these pools.
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

#[async_trait]
impl AuditStore for SqliteAuditStore {
    async fn list(
        &self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit_count: u32,
    ) -> Result<AuditPage, StoreError> {
        let since = filter.since.map(micros);
        let until = filter.until.map(micros);
        // One row more than asked tells whether an older page exists.
        let fetch = limit(limit_count) + 1;
        // Each filter is either unset (NULL) or must match: one static statement for every
        // combination of filters.
        let records = sqlx::query_as!(
            AuditRecord,
            r#"SELECT position AS "position!", id AS "id: _", occurred_at, actor_kind, actor_id,
                   action, target, outcome, request_id, subject_id AS "subject_id: _", details,
                   personal, personal_digest, chain_seq, chain_mac
               FROM audit_events
               WHERE (?1 IS NULL OR action = ?1)
                   AND (?2 IS NULL OR actor_id = ?2)
                   AND (?3 IS NULL OR subject_id = ?3)
                   AND (?4 IS NULL OR outcome = ?4)
                   AND (?5 IS NULL OR occurred_at >= ?5)
                   AND (?6 IS NULL OR occurred_at < ?6)
                   AND (?7 IS NULL OR position < ?7)
               ORDER BY position DESC
               LIMIT ?8"#,
            filter.action,
            filter.actor_id,
            filter.subject_id,
            filter.outcome,
            since,
            until,
            before,
            fetch,
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)?;
        let mut rows = audit_rows(records)?;
        let more = rows.len() > usize::try_from(limit_count).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(limit_count).unwrap_or(usize::MAX));
        let next_before = if more {
            rows.last().map(|row| row.position)
        } else {
            None
        };
        Ok(AuditPage { rows, next_before })
    }

    async fn chained_after(
        &self,
        after_seq: i64,
        limit_count: u32,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let limit_count = limit(limit_count);
        let records = sqlx::query_as!(
            AuditRecord,
            r#"SELECT position AS "position!", id AS "id: _", occurred_at, actor_kind, actor_id,
                   action, target, outcome, request_id, subject_id AS "subject_id: _", details,
                   personal, personal_digest, chain_seq, chain_mac
               FROM audit_events
               WHERE chain_seq > ?1
               ORDER BY chain_seq
               LIMIT ?2"#,
            after_seq,
            limit_count,
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)?;
        audit_rows(records)
    }

    async fn count_unchained(&self) -> Result<u64, StoreError> {
        let unchained = sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!: i64" FROM audit_events WHERE chain_seq IS NULL"#
        )
        .fetch_one(&self.pools.reader)
        .await
        .map_err(store_error)?;
        count(unchained)
    }

    async fn head(&self) -> Result<Option<ChainHead>, StoreError> {
        let record = sqlx::query_as!(
            HeadRecord,
            "SELECT seq, mac, head_mac, updated_at FROM audit_chain_head WHERE id = 1"
        )
        .fetch_optional(&self.pools.reader)
        .await
        .map_err(store_error)?;
        record.map(ChainHead::try_from).transpose()
    }

    async fn begin_chaining(&self) -> Result<Box<dyn ChainTransaction>, StoreError> {
        let transaction = self.pools.begin_write().await?;
        Ok(Box::new(SqliteChainTransaction::new(transaction)))
    }

    async fn prune_personal(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let before = micros(before);
        let pruned = sqlx::query!(
            "UPDATE audit_events SET personal = NULL \
             WHERE occurred_at < ?1 AND personal IS NOT NULL",
            before,
        )
        .execute(&self.pools.writer)
        .await
        .map_err(store_error)?;
        Ok(pruned.rows_affected())
    }
}
