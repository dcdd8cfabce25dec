//! Wrapped key material: data keys (wrapped by the master key) and per-subject keys (wrapped by
//! the `subject-kek` data key).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreError;

/// A data key as stored: random key material sealed under a master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataKeyRow {
    /// The key id that ciphertexts made with this key name.
    pub id: Uuid,
    /// What the key is for (`audit-chain`, `subject-kek`, …). At most one key per purpose is
    /// active.
    pub purpose: String,
    /// The key material sealed under the master key named by `master_key_id`.
    pub wrapped: Vec<u8>,
    /// Which master key wrapped it.
    pub master_key_id: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// A per-subject key as stored. Destroying it erases the subject's personal data in the audit
/// log without touching the records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectKeyRow {
    /// The person (or other subject) the key belongs to.
    pub subject_id: Uuid,
    /// The key id that ciphertexts made with this key name.
    pub key_id: Uuid,
    /// The key material sealed under the `subject-kek` data key; `None` once destroyed.
    pub wrapped: Option<Vec<u8>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was destroyed.
    pub destroyed_at: Option<DateTime<Utc>>,
}

/// Stand-alone key operations.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Every data key, oldest first.
    async fn data_keys(&self) -> Result<Vec<DataKeyRow>, StoreError>;

    /// Inserts `row` unless a key with the same purpose exists; returns the key that holds the
    /// purpose afterwards (the existing one when two nodes race).
    async fn insert_data_key(&self, row: &DataKeyRow) -> Result<DataKeyRow, StoreError>;

    /// Replaces `wrapped` and `master_key_id` of every given key (matched by id), all in one
    /// transaction: either every key is re-wrapped or none is.
    async fn rewrap_data_keys(&self, rows: &[DataKeyRow]) -> Result<(), StoreError>;

    /// The key rows of the given subjects (those that have one).
    async fn subject_keys(&self, subjects: &[Uuid]) -> Result<Vec<SubjectKeyRow>, StoreError>;

    /// Destroys a subject's key for good. True when a live key was destroyed.
    async fn destroy_subject_key(
        &self,
        subject: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}
