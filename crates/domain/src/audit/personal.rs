//! Reading the personal data of an audit record, if it can still be read.

use super::{PersonalData, record::personal_context};
use crate::{
    DomainError,
    secrets::{Keyring, purpose, subject_key_for_reading},
    store::{AuditRow, Store},
};

/// What is left of a record's personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonalView {
    /// The record had none.
    Absent,
    /// Readable.
    Readable(PersonalData),
    /// The subject's key was destroyed: erased.
    Erased,
    /// Removed when its retention ended.
    Expired,
}

/// Opens `row`'s personal data.
pub async fn read_personal(
    store: &dyn Store,
    keyring: &Keyring,
    row: &AuditRow,
) -> Result<PersonalView, DomainError> {
    let Some(sealed) = &row.personal else {
        return Ok(if row.personal_digest.is_some() {
            PersonalView::Expired
        } else {
            PersonalView::Absent
        });
    };
    let key = match row.subject_id {
        Some(subject) => match subject_key_for_reading(store, keyring, subject).await? {
            Some(key) => key,
            None => return Ok(PersonalView::Erased),
        },
        None => match keyring.existing_key(purpose::AUDIT_ANONYMOUS).await? {
            Some(key) => return open(&key, sealed, row),
            None => return Ok(PersonalView::Erased),
        },
    };
    open(&key, sealed, row)
}

fn open(
    key: &crate::secrets::DataKey,
    sealed: &[u8],
    row: &AuditRow,
) -> Result<PersonalView, DomainError> {
    let plaintext = key.open(sealed, &personal_context(row.id))?;
    let data = serde_json::from_slice(&plaintext)
        .map_err(|error| DomainError::Key(format!("personal data unreadable: {error}")))?;
    Ok(PersonalView::Readable(data))
}
