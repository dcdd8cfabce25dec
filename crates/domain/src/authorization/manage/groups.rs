//! Groups: created, renamed, given roles, deleted. Giving a group a role needs its capabilities;
//! a group that makes the last administrator cannot lose `gatehouse:admin` or be deleted.

use serde_json::json;
use uuid::Uuid;

use super::{
    Administrator, Authorization, AuthorizationError,
    change::{Change, check_version, compile, existing, replace_links, require, taken},
    guard::{effective, grant_only_held, grants_admin, keep_an_administrator},
    snapshot, validate,
};
use crate::{
    authorization::{ADMIN_ROLE_ID, capability::ROLES_WRITE},
    store::{GroupRow, new_id},
};

/// A new group.
#[derive(Debug, Clone, Default)]
pub struct NewGroup {
    /// Unique name (ignoring case).
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Its roles (the actor must hold their capabilities).
    pub roles: Vec<Uuid>,
}

/// A group's new name and description.
#[derive(Debug, Clone)]
pub struct GroupUpdate {
    /// The group.
    pub group: Uuid,
    /// The `GroupRow::version` the actor edited.
    pub expected_version: i64,
    /// Unique name.
    pub name: String,
    /// What it is for.
    pub description: String,
}

/// A group's full new set of roles.
#[derive(Debug, Clone)]
pub struct GroupRoles {
    /// The group.
    pub group: Uuid,
    /// The `GroupRow::version` the actor edited.
    pub expected_version: i64,
    /// Every role it should give its members.
    pub roles: Vec<Uuid>,
}

/// Creates a group. Audited as `rbac.group_created`.
pub async fn create_group(
    deps: &Authorization,
    actor: &impl Administrator,
    input: NewGroup,
) -> Result<GroupRow, AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let name = validate::name("name", &input.name)?;
    let description = validate::description(&input.description)?;
    let mut change = Change::begin(deps, actor).await?;
    let groups = change.model.groups.iter();
    validate::unique(
        "group",
        &name,
        groups.map(|r| (r.id, r.name.as_str())),
        None,
    )?;
    let model = &change.model;
    let roles = existing("role", &input.roles, |id| {
        model.roles.iter().any(|row| row.id == id)
    })?;
    grant_only_held(deps, actor, effective(&compile(model)?, &roles)).await?;
    let row = GroupRow {
        id: new_id(),
        name,
        description,
        version: 1,
        created_at: change.now,
        updated_at: change.now,
    };
    let mut after = change.model.clone();
    after.groups.push(row.clone());
    replace_links(&mut after.group_roles, row.id, &roles);
    let writes = change.writes();
    writes
        .upsert_group(&row)
        .await
        .map_err(taken("group", &row.name))?;
    writes.set_group_roles(row.id, &roles).await?;
    let details = json!({ "after": snapshot::group(&after, &row) });
    change
        .commit("rbac.group_created", format!("group:{}", row.id), details)
        .await?;
    Ok(row)
}

/// Renames a group or changes its description, if nobody else changed it since
/// `expected_version`; the version goes up by one. Audited as `rbac.group_updated`.
pub async fn update_group(
    deps: &Authorization,
    actor: &impl Administrator,
    input: GroupUpdate,
) -> Result<GroupRow, AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let name = validate::name("name", &input.name)?;
    let description = validate::description(&input.description)?;
    let mut change = Change::begin(deps, actor).await?;
    let before = change.group(input.group)?;
    check_version(
        "group",
        &before.name,
        input.expected_version,
        before.version,
    )?;
    let groups = change.model.groups.iter();
    validate::unique(
        "group",
        &name,
        groups.map(|r| (r.id, r.name.as_str())),
        Some(before.id),
    )?;
    let after = GroupRow {
        name,
        description,
        version: before.version + 1,
        updated_at: change.now,
        ..before.clone()
    };
    change
        .writes()
        .upsert_group(&after)
        .await
        .map_err(taken("group", &after.name))?;
    let details = snapshot::before_after(
        snapshot::group(&change.model, &before),
        snapshot::group(&change.model, &after),
    );
    change
        .commit("rbac.group_updated", format!("group:{}", after.id), details)
        .await?;
    Ok(after)
}

/// Replaces a group's roles, if nobody else changed it since `expected_version`; the version
/// goes up by one. The actor must hold the capabilities of every role added; taking
/// `gatehouse:admin` away must leave an administrator. Audited as `rbac.group_updated`.
pub async fn set_group_roles(
    deps: &Authorization,
    actor: &impl Administrator,
    input: GroupRoles,
) -> Result<GroupRow, AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let mut change = Change::begin(deps, actor).await?;
    let before = change.group(input.group)?;
    check_version(
        "group",
        &before.name,
        input.expected_version,
        before.version,
    )?;
    let model = &change.model;
    let roles = existing("role", &input.roles, |id| {
        model.roles.iter().any(|row| row.id == id)
    })?;
    let had = snapshot::links(&model.group_roles, before.id);
    let added = roles.iter().filter(|role| !had.contains(role));
    grant_only_held(deps, actor, effective(&compile(model)?, added)).await?;
    let mut after_model = change.model.clone();
    replace_links(&mut after_model.group_roles, before.id, &roles);
    if grants_admin(&change.model, before.id) && !roles.contains(&ADMIN_ROLE_ID) {
        keep_an_administrator(deps, &after_model, change.now, |_, _| {}).await?;
    }
    let after = GroupRow {
        version: before.version + 1,
        updated_at: change.now,
        ..before.clone()
    };
    let writes = change.writes();
    writes.upsert_group(&after).await?;
    writes.set_group_roles(after.id, &roles).await?;
    let details = snapshot::before_after(
        snapshot::group(&change.model, &before),
        snapshot::group(&after_model, &after),
    );
    change
        .commit("rbac.group_updated", format!("group:{}", after.id), details)
        .await?;
    Ok(after)
}

/// Deletes a group: its members lose its roles. Refused when that would leave no
/// administrator. Audited as `rbac.group_deleted` with what it was and its member count.
pub async fn delete_group(
    deps: &Authorization,
    actor: &impl Administrator,
    group: Uuid,
) -> Result<(), AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let mut change = Change::begin(deps, actor).await?;
    let before = change.group(group)?;
    if grants_admin(&change.model, group) {
        let mut after = change.model.clone();
        after.group_roles.retain(|(owner, _)| *owner != group);
        keep_an_administrator(deps, &after, change.now, |_, _| {}).await?;
    }
    let members = deps.store.rbac().group_members(group).await?;
    change.writes().delete_group(group).await?;
    let details = json!({
        "before": snapshot::group(&change.model, &before),
        "members": members.len(),
    });
    change
        .commit("rbac.group_deleted", format!("group:{group}"), details)
        .await
}
