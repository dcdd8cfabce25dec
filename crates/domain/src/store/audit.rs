//! The audit log as stored: append-only rows, chained after commit by a single chainer, with the
//! chain head kept in its own table.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreError;

/// One audit record as stored. Text columns hold exactly these strings, so the chain MAC computed
/// over them verifies byte for byte after a round trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// UUIDv7 id.
    pub id: Uuid,
    /// Insertion order, assigned by the store (ignored on insert).
    pub position: i64,
    /// When the event happened.
    pub occurred_at: DateTime<Utc>,
    /// `user`, `client`, `system` or `anonymous`.
    pub actor_kind: String,
    /// The acting user's or client's id.
    pub actor_id: Option<String>,
    /// What happened, dotted (`system.started`, `user.signed_in`).
    pub action: String,
    /// What it happened to.
    pub target: Option<String>,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// Whose personal data `personal` holds.
    pub subject_id: Option<Uuid>,
    /// Non-personal details as JSON text.
    pub details: Option<String>,
    /// Personal data (IP, user agent, email typed), sealed under the subject's key. Pruned to
    /// `None` when its retention ends; the chain covers `personal_digest`, not this.
    pub personal: Option<Vec<u8>>,
    /// SHA-256 of `personal` as first written.
    pub personal_digest: Option<Vec<u8>>,
    /// Position in the chain, set by the chainer.
    pub chain_seq: Option<i64>,
    /// HMAC linking this record to the previous one, set by the chainer.
    pub chain_mac: Option<Vec<u8>>,
}

/// The newest chained record, kept apart from the records and authenticated on its own, so a
/// cut-off tail is detected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// `chain_seq` of the newest chained record.
    pub seq: i64,
    /// `chain_mac` of the newest chained record.
    pub mac: Vec<u8>,
    /// HMAC over `seq` and `mac`.
    pub head_mac: Vec<u8>,
    /// When the head last moved.
    pub updated_at: DateTime<Utc>,
}

/// Filters for listing records; all given filters must match.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exact action.
    pub action: Option<String>,
    /// Exact actor id.
    pub actor_id: Option<String>,
    /// Exact subject.
    pub subject_id: Option<Uuid>,
    /// Exact outcome.
    pub outcome: Option<String>,
    /// Occurred at or after.
    pub since: Option<DateTime<Utc>>,
    /// Occurred before.
    pub until: Option<DateTime<Utc>>,
}

/// One page of records, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// The records.
    pub rows: Vec<AuditRow>,
    /// Pass as `before` to get the next (older) page; `None` on the last page.
    pub next_before: Option<i64>,
}

/// Stand-alone audit operations.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Records matching `filter` with `position < before` (all when `None`), newest first, at
    /// most `limit`.
    async fn list(
        &self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: u32,
    ) -> Result<AuditPage, StoreError>;

    /// Chained records with `chain_seq > after_seq`, in chain order, at most `limit`.
    async fn chained_after(&self, after_seq: i64, limit: u32) -> Result<Vec<AuditRow>, StoreError>;

    /// How many committed records the chainer has not linked yet.
    async fn count_unchained(&self) -> Result<u64, StoreError>;

    /// The chain head, if anything was ever chained.
    async fn head(&self) -> Result<Option<ChainHead>, StoreError>;

    /// Starts the chainer's transaction. It holds an exclusive chainer lock (PostgreSQL: an
    /// advisory transaction lock) so chainers on several nodes never interleave; it does not
    /// block use cases inserting records.
    async fn begin_chaining(&self) -> Result<Box<dyn ChainTransaction>, StoreError>;

    /// Sets `personal = None` on records that occurred before `before` and still hold personal
    /// data. Returns how many changed.
    async fn prune_personal(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// The chainer's transaction.
#[async_trait]
pub trait ChainTransaction: Send {
    /// The chain head, if anything was chained.
    async fn head(&mut self) -> Result<Option<ChainHead>, StoreError>;

    /// Committed, unchained records in `position` order, at most `limit`.
    async fn unchained(&mut self, limit: u32) -> Result<Vec<AuditRow>, StoreError>;

    /// Sets `chain_seq` and `chain_mac` of record `id`.
    async fn link(&mut self, id: Uuid, seq: i64, mac: &[u8]) -> Result<(), StoreError>;

    /// Replaces the chain head.
    async fn set_head(&mut self, head: &ChainHead) -> Result<(), StoreError>;

    /// Makes the links and the head durable together.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}
