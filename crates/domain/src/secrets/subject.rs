//! Per-subject keys: one random key per person, wrapped by the `subject-kek` data key. Destroying
//! it makes everything sealed under it unreadable (crypto-shredding) without touching the records.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{DataKey, Keyring, purpose, random_bytes};
use crate::{
    DomainError,
    store::{Store, SubjectKeyRow, Transaction, new_id},
};

fn unwrap_subject_key(kek: &DataKey, row: &SubjectKeyRow) -> Result<Option<DataKey>, DomainError> {
    let Some(wrapped) = &row.wrapped else {
        return Ok(None);
    };
    let material = kek.open(wrapped, row.subject_id.as_bytes())?;
    DataKey::from_bytes(row.key_id, "subject", material).map(Some)
}

/// The subject's key, created in `transaction` if the subject has none; `None` once destroyed.
pub async fn subject_key_for_writing(
    transaction: &mut dyn Transaction,
    keyring: &Keyring,
    subject: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<DataKey>, DomainError> {
    let kek = keyring.key(purpose::SUBJECT_KEK).await?;
    let mut material = [0_u8; 32];
    random_bytes(&mut material)?;
    let candidate = SubjectKeyRow {
        subject_id: subject,
        key_id: new_id(),
        wrapped: Some(kek.seal(&material, subject.as_bytes())?),
        created_at: now,
        destroyed_at: None,
    };
    let row = transaction.subject_key_or_insert(&candidate).await?;
    unwrap_subject_key(&kek, &row)
}

/// The subject's key for reading; `None` when it never existed or was destroyed.
pub async fn subject_key_for_reading(
    store: &dyn Store,
    keyring: &Keyring,
    subject: Uuid,
) -> Result<Option<DataKey>, DomainError> {
    let rows = store.keys().subject_keys(&[subject]).await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let kek = keyring.key(purpose::SUBJECT_KEK).await?;
    unwrap_subject_key(&kek, row)
}

/// Destroys the subject's key for good. True when a live key was destroyed.
pub async fn destroy_subject_key(
    store: &dyn Store,
    subject: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DomainError> {
    Ok(store.keys().destroy_subject_key(subject, now).await?)
}
