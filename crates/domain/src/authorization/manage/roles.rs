//! Roles: created (with their first capabilities and included roles), renamed, deleted even
//! when in use. System roles cannot be changed or deleted.

use serde_json::json;
use uuid::Uuid;

use super::{
    Administrator, Authorization, AuthorizationError, RoleUsage,
    change::{Change, check_version, compile, existing, replace_links, require, taken},
    guard::{effective, grant_only_held},
    reads::usage,
    snapshot, validate,
};
use crate::{
    authorization::capability::ROLES_WRITE,
    store::{RoleRow, new_id},
};

/// A new role.
#[derive(Debug, Clone, Default)]
pub struct NewRole {
    /// Unique name (ignoring case); `gatehouse:` names are reserved.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Its capabilities (the actor must hold each).
    pub capabilities: Vec<Uuid>,
    /// Roles it includes (the actor must hold their capabilities).
    pub includes: Vec<Uuid>,
}

/// A role's new name and description.
#[derive(Debug, Clone)]
pub struct RoleUpdate {
    /// The role.
    pub role: Uuid,
    /// The `RoleRow::version` the actor edited; another version means someone else changed it.
    pub expected_version: i64,
    /// Unique name.
    pub name: String,
    /// What it is for.
    pub description: String,
}

/// Creates a role. Audited as `rbac.role_created`.
pub async fn create_role(
    deps: &Authorization,
    actor: &impl Administrator,
    input: NewRole,
) -> Result<RoleRow, AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let name = validate::role_name("name", &input.name)?;
    let description = validate::description(&input.description)?;
    let mut change = Change::begin(deps, actor).await?;
    let roles = change.model.roles.iter();
    validate::unique("role", &name, roles.map(|r| (r.id, r.name.as_str())), None)?;
    let model = &change.model;
    let capabilities = existing("capability", &input.capabilities, |id| {
        model.capabilities.iter().any(|row| row.id == id)
    })?;
    let includes = existing("role", &input.includes, |id| {
        model.roles.iter().any(|row| row.id == id)
    })?;
    let row = RoleRow {
        id: new_id(),
        name,
        description,
        system: false,
        version: 1,
        created_at: change.now,
        updated_at: change.now,
    };
    let mut after = change.model.clone();
    after.roles.push(row.clone());
    replace_links(&mut after.role_capabilities, row.id, &capabilities);
    replace_links(&mut after.role_includes, row.id, &includes);
    let compiled = compile(&after)?;
    grant_only_held(deps, actor, effective(&compiled, [&row.id])).await?;
    let writes = change.writes();
    writes
        .upsert_role(&row)
        .await
        .map_err(taken("role", &row.name))?;
    writes.set_role_capabilities(row.id, &capabilities).await?;
    writes.set_role_includes(row.id, &includes).await?;
    let details = json!({ "after": snapshot::role(&after, &row) });
    change
        .commit("rbac.role_created", format!("role:{}", row.id), details)
        .await?;
    Ok(row)
}

/// Renames a role or changes its description, if nobody else changed it since
/// `expected_version`; the version goes up by one. Not a system role. Audited as
/// `rbac.role_updated` with before and after.
pub async fn update_role(
    deps: &Authorization,
    actor: &impl Administrator,
    input: RoleUpdate,
) -> Result<RoleRow, AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let name = validate::role_name("name", &input.name)?;
    let description = validate::description(&input.description)?;
    let mut change = Change::begin(deps, actor).await?;
    let before = editable(&change, input.role, input.expected_version)?;
    let roles = change.model.roles.iter();
    validate::unique(
        "role",
        &name,
        roles.map(|r| (r.id, r.name.as_str())),
        Some(before.id),
    )?;
    let after = RoleRow {
        name,
        description,
        version: before.version + 1,
        updated_at: change.now,
        ..before.clone()
    };
    change
        .writes()
        .upsert_role(&after)
        .await
        .map_err(taken("role", &after.name))?;
    let details = snapshot::before_after(
        snapshot::role(&change.model, &before),
        snapshot::role(&change.model, &after),
    );
    change
        .commit("rbac.role_updated", format!("role:{}", after.id), details)
        .await?;
    Ok(after)
}

/// Deletes a role, even one in use: its holders, groups and including roles lose it. Not a
/// system role. Returns its usage just before (`role_usage` shows it beforehand).
/// Audited as `rbac.role_deleted` with what it was and its usage.
pub async fn delete_role(
    deps: &Authorization,
    actor: &impl Administrator,
    role: Uuid,
) -> Result<RoleUsage, AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let mut change = Change::begin(deps, actor).await?;
    let before = change.role(role)?;
    refuse_system(&before)?;
    let usage = usage(deps, &change.model, before.clone(), change.now).await?;
    change.writes().delete_role(role).await?;
    let names = |rows: Vec<&String>| rows.into_iter().cloned().collect::<Vec<_>>();
    let details = json!({
        "before": snapshot::role(&change.model, &before),
        "users": usage.users.len(),
        "groups": names(usage.groups.iter().map(|row| &row.name).collect()),
        "including_roles": names(usage.including_roles.iter().map(|row| &row.name).collect()),
    });
    change
        .commit("rbac.role_deleted", format!("role:{role}"), details)
        .await?;
    Ok(usage)
}

/// The role, if it is not a system role and still at `expected_version`.
pub(super) fn editable(
    change: &Change<'_>,
    role: Uuid,
    expected_version: i64,
) -> Result<RoleRow, AuthorizationError> {
    let row = change.role(role)?;
    refuse_system(&row)?;
    check_version("role", &row.name, expected_version, row.version)?;
    Ok(row)
}

fn refuse_system(row: &RoleRow) -> Result<(), AuthorizationError> {
    if row.system {
        return Err(AuthorizationError::SystemObject {
            kind: "role",
            name: row.name.clone(),
        });
    }
    Ok(())
}
