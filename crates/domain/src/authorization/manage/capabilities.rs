//! Capabilities of an API (`orders:refund`): created, renamed, deleted (roles lose them).
//! Gatehouse's own capabilities are system objects.

use serde_json::json;
use uuid::Uuid;

use super::{
    Administrator, Authorization, AuthorizationError,
    change::{Change, require, taken},
    snapshot, validate,
};
use crate::{
    authorization::capability::ROLES_WRITE,
    store::{CapabilityRow, new_id},
};

/// A new capability.
#[derive(Debug, Clone)]
pub struct NewCapability {
    /// The API it belongs to (not the system API).
    pub api: Uuid,
    /// `resource:action`: `^[a-z0-9][a-z0-9._-]*:[a-z0-9][a-z0-9._-]*$`, unique.
    pub name: String,
    /// What it allows.
    pub description: String,
}

/// A capability's new name and description.
#[derive(Debug, Clone)]
pub struct CapabilityUpdate {
    /// The capability.
    pub capability: Uuid,
    /// `resource:action`, unique.
    pub name: String,
    /// What it allows.
    pub description: String,
}

/// Creates a capability. Audited as `rbac.capability_created`.
pub async fn create_capability(
    deps: &Authorization,
    actor: &impl Administrator,
    input: NewCapability,
) -> Result<CapabilityRow, AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let name = validate::capability_name(&input.name)?;
    let description = validate::description(&input.description)?;
    let mut change = Change::begin(deps, actor).await?;
    let api = change.api(input.api)?;
    if api.system {
        return Err(AuthorizationError::SystemObject {
            kind: "api",
            name: api.audience,
        });
    }
    let existing = change.model.capabilities.iter();
    validate::unique(
        "capability",
        &name,
        existing.map(|r| (r.id, r.name.as_str())),
        None,
    )?;
    let row = CapabilityRow {
        id: new_id(),
        api_id: api.id,
        name,
        description,
        system: false,
        created_at: change.now,
        updated_at: change.now,
    };
    change
        .writes()
        .upsert_capability(&row)
        .await
        .map_err(taken("capability", &row.name))?;
    let details = json!({ "after": snapshot::capability(&change.model, &row) });
    change
        .commit(
            "rbac.capability_created",
            format!("capability:{}", row.id),
            details,
        )
        .await?;
    Ok(row)
}

/// Renames a capability or changes its description; not a system one. Roles keep it. Audited
/// as `rbac.capability_updated` with before and after.
pub async fn update_capability(
    deps: &Authorization,
    actor: &impl Administrator,
    input: CapabilityUpdate,
) -> Result<CapabilityRow, AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let name = validate::capability_name(&input.name)?;
    let description = validate::description(&input.description)?;
    let mut change = Change::begin(deps, actor).await?;
    let before = change.capability(input.capability)?;
    refuse_system(&before)?;
    let existing = change.model.capabilities.iter();
    validate::unique(
        "capability",
        &name,
        existing.map(|r| (r.id, r.name.as_str())),
        Some(before.id),
    )?;
    let after = CapabilityRow {
        name,
        description,
        updated_at: change.now,
        ..before.clone()
    };
    change
        .writes()
        .upsert_capability(&after)
        .await
        .map_err(taken("capability", &after.name))?;
    let details = snapshot::before_after(
        snapshot::capability(&change.model, &before),
        snapshot::capability(&change.model, &after),
    );
    change
        .commit(
            "rbac.capability_updated",
            format!("capability:{}", after.id),
            details,
        )
        .await?;
    Ok(after)
}

/// Deletes a capability; roles that had it lose it. Not a system one. Audited as
/// `rbac.capability_deleted` with what it was and the roles that had it.
pub async fn delete_capability(
    deps: &Authorization,
    actor: &impl Administrator,
    capability: Uuid,
) -> Result<(), AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let mut change = Change::begin(deps, actor).await?;
    let before = change.capability(capability)?;
    refuse_system(&before)?;
    let roles: Vec<String> = change
        .model
        .role_capabilities
        .iter()
        .filter(|(_, linked)| *linked == capability)
        .filter_map(|(role, _)| change.model.roles.iter().find(|row| row.id == *role))
        .map(|row| row.name.clone())
        .collect();
    change.writes().delete_capability(capability).await?;
    let details = json!({
        "before": snapshot::capability(&change.model, &before),
        "roles": roles,
    });
    change
        .commit(
            "rbac.capability_deleted",
            format!("capability:{capability}"),
            details,
        )
        .await
}

fn refuse_system(row: &CapabilityRow) -> Result<(), AuthorizationError> {
    if row.system {
        return Err(AuthorizationError::SystemObject {
            kind: "capability",
            name: row.name.clone(),
        });
    }
    Ok(())
}
