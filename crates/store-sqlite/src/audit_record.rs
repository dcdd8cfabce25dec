//! `audit_events` and `audit_chain_head` rows as read by the queries, and their translation
//! into the domain's [`AuditRow`] and [`ChainHead`].

use gatehouse_domain::StoreError;
use gatehouse_domain::store::{AuditRow, ChainHead};
use uuid::Uuid;

use crate::convert::timestamp;

/// An `audit_events` row in its stored form.
pub(crate) struct AuditRecord {
    pub(crate) position: i64,
    pub(crate) id: Uuid,
    pub(crate) occurred_at: i64,
    pub(crate) actor_kind: String,
    pub(crate) actor_id: Option<String>,
    pub(crate) action: String,
    pub(crate) target: Option<String>,
    pub(crate) outcome: String,
    pub(crate) request_id: Option<String>,
    pub(crate) subject_id: Option<Uuid>,
    pub(crate) details: Option<String>,
    pub(crate) personal: Option<Vec<u8>>,
    pub(crate) personal_digest: Option<Vec<u8>>,
    pub(crate) chain_seq: Option<i64>,
    pub(crate) chain_mac: Option<Vec<u8>>,
}

impl TryFrom<AuditRecord> for AuditRow {
    type Error = StoreError;

    fn try_from(record: AuditRecord) -> Result<Self, StoreError> {
        Ok(AuditRow {
            id: record.id,
            position: record.position,
            occurred_at: timestamp(record.occurred_at)?,
            actor_kind: record.actor_kind,
            actor_id: record.actor_id,
            action: record.action,
            target: record.target,
            outcome: record.outcome,
            request_id: record.request_id,
            subject_id: record.subject_id,
            details: record.details,
            personal: record.personal,
            personal_digest: record.personal_digest,
            chain_seq: record.chain_seq,
            chain_mac: record.chain_mac,
        })
    }
}

/// Translates records in order, failing on the first that cannot be read.
pub(crate) fn audit_rows(records: Vec<AuditRecord>) -> Result<Vec<AuditRow>, StoreError> {
    records.into_iter().map(AuditRow::try_from).collect()
}

/// The `audit_chain_head` row in its stored form.
pub(crate) struct HeadRecord {
    pub(crate) seq: i64,
    pub(crate) mac: Vec<u8>,
    pub(crate) head_mac: Vec<u8>,
    pub(crate) updated_at: i64,
}

impl TryFrom<HeadRecord> for ChainHead {
    type Error = StoreError;

    fn try_from(record: HeadRecord) -> Result<Self, StoreError> {
        Ok(ChainHead {
            seq: record.seq,
            mac: record.mac,
            head_mac: record.head_mac,
            updated_at: timestamp(record.updated_at)?,
        })
    }
}
