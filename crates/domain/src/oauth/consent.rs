//! The user's view of their consents: which clients may have which scopes, and revoking a
//! client's consent (which also revokes that client's refresh tokens for the user).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::OAuth;
use crate::{
    DomainError,
    audit::{Actor, AuditEvent, record},
};

/// One client the user consented to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEntry {
    /// The client's internal id.
    pub client: Uuid,
    /// The public client id.
    pub client_id: String,
    /// Its display name.
    pub client_name: String,
    /// The scopes it may have.
    pub scopes: Vec<String>,
    /// When the first of them was granted.
    pub granted_at: DateTime<Utc>,
}

/// The user's consents, one entry per client.
pub async fn list_consents(deps: &OAuth, user: Uuid) -> Result<Vec<ConsentEntry>, DomainError> {
    let rows = deps.store.oauth().consents_for_user(user).await?;
    let mut by_client: BTreeMap<Uuid, (Vec<String>, DateTime<Utc>)> = BTreeMap::new();
    for row in rows {
        let entry = by_client
            .entry(row.client_id)
            .or_insert_with(|| (Vec::new(), row.granted_at));
        entry.0.push(row.scope);
        entry.1 = entry.1.min(row.granted_at);
    }
    let mut entries = Vec::new();
    for (client, (scopes, granted_at)) in by_client {
        if let Some(row) = deps.store.oauth().client_by_id(client).await? {
            entries.push(ConsentEntry {
                client,
                client_id: row.client_id,
                client_name: row.name,
                scopes,
                granted_at,
            });
        }
    }
    entries.sort_by(|a, b| a.client_name.cmp(&b.client_name));
    Ok(entries)
}

/// Withdraws the user's consent to a client and revokes the client's grants (refresh tokens
/// and the access tokens issued under them) for the user. Audited as `consent.revoked`.
/// Returns false when there was nothing to revoke.
pub async fn revoke_consent(
    deps: &OAuth,
    user: Uuid,
    client: Uuid,
    request_id: Option<String>,
) -> Result<bool, DomainError> {
    // Read before the transaction: no pool read while it holds a connection.
    let client_id = deps
        .store
        .oauth()
        .client_by_id(client)
        .await?
        .map_or_else(|| client.to_string(), |row| row.client_id);
    let now = deps.clock.now();
    let mut transaction = deps.store.begin().await?;
    let scopes = transaction.revoke_consent(user, client).await?;
    let grants = transaction
        .revoke_user_grants(user, Some(client), now, "consent_revoked")
        .await?;
    if scopes == 0 && grants.is_empty() {
        return Ok(false);
    }
    let mut event = AuditEvent::new(Actor::User(user), "consent.revoked");
    event.target = Some(format!("client:{client_id}"));
    event.subject = Some(user);
    event.request_id = request_id;
    event.details = Some(json!({ "scopes": scopes, "grants_revoked": grants.len() }));
    record(&mut *transaction, &deps.keyring, now, event).await?;
    transaction.commit().await?;
    for grant in grants {
        deps.tokens.forget_grant(grant);
    }
    Ok(true)
}
