//! Use cases of Gatehouse itself.

use serde_json::json;

use crate::{
    Clock, DomainError,
    audit::{Actor, AuditEvent, record},
    secrets::Keyring,
    store::Store,
};

/// Records `system.started` with the version, backend and node name.
pub async fn record_start(
    store: &dyn Store,
    keyring: &Keyring,
    clock: &dyn Clock,
    version: &str,
    node: &str,
) -> Result<(), DomainError> {
    let mut transaction = store.begin().await?;
    let mut event = AuditEvent::new(Actor::System, "system.started");
    event.details = Some(json!({
        "version": version,
        "backend": format!("{:?}", store.backend()).to_lowercase(),
        "node": node,
    }));
    record(&mut *transaction, keyring, clock.now(), event).await?;
    transaction.commit().await?;
    Ok(())
}
