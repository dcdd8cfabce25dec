//! Recording an event inside the caller's transaction.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{AuditEvent, PersonalData};
use crate::{
    DomainError,
    secrets::{Keyring, purpose, sha256, subject_key_for_writing},
    store::{AuditRow, Transaction, new_id},
};

/// The context personal data is sealed with: the record id, so a sealed blob cannot be moved to
/// another record.
pub(super) fn personal_context(id: Uuid) -> Vec<u8> {
    [b"gatehouse audit personal\0".as_slice(), id.as_bytes()].concat()
}

async fn seal_personal(
    transaction: &mut dyn Transaction,
    keyring: &Keyring,
    id: Uuid,
    subject: Option<Uuid>,
    personal: &PersonalData,
    now: DateTime<Utc>,
) -> Result<Option<Vec<u8>>, DomainError> {
    let plaintext = serde_json::to_vec(personal)
        .map_err(|error| DomainError::Invalid(format!("personal data: {error}")))?;
    let context = personal_context(id);
    match subject {
        Some(subject) => {
            let key = subject_key_for_writing(transaction, keyring, subject, now).await?;
            // An erased subject's key stays destroyed: new events about them keep no personal data.
            key.map(|key| key.seal(&plaintext, &context)).transpose()
        }
        None => {
            let key = keyring.key(purpose::AUDIT_ANONYMOUS).await?;
            key.seal(&plaintext, &context).map(Some)
        }
    }
}

/// Appends `event` to the audit log in `transaction`; it commits or rolls back with the use
/// case. Returns the record id.
pub async fn record(
    transaction: &mut dyn Transaction,
    keyring: &Keyring,
    now: DateTime<Utc>,
    event: AuditEvent,
) -> Result<Uuid, DomainError> {
    let id = new_id();
    let personal = match &event.personal {
        Some(personal) => {
            seal_personal(transaction, keyring, id, event.subject, personal, now).await?
        }
        None => None,
    };
    let row = AuditRow {
        id,
        position: 0,
        occurred_at: now,
        actor_kind: event.actor.kind().to_owned(),
        actor_id: event.actor.id(),
        action: event.action,
        target: event.target,
        outcome: event.outcome.as_str().to_owned(),
        request_id: event.request_id,
        subject_id: event.subject,
        details: event.details.map(|details| details.to_string()),
        personal_digest: personal.as_deref().map(sha256),
        personal,
        chain_seq: None,
        chain_mac: None,
    };
    transaction.insert_audit_event(&row).await?;
    Ok(id)
}

/// Appends `event` in a transaction of its own, for events that accompany no other change (a
/// refused sign-in, a denial).
pub async fn record_alone(
    store: &dyn crate::store::Store,
    keyring: &Keyring,
    now: DateTime<Utc>,
    event: AuditEvent,
) -> Result<Uuid, DomainError> {
    let mut transaction = store.begin().await?;
    let id = record(&mut *transaction, keyring, now, event).await?;
    transaction.commit().await?;
    Ok(id)
}
