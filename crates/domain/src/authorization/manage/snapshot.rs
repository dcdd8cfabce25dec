//! Objects as the audit log shows them before and after a change: by name, links included.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::store::{ApiRow, CapabilityRow, GroupRow, RbacModel, RoleRow};

fn names(ids: impl Iterator<Item = Uuid>, lookup: impl Fn(Uuid) -> Option<String>) -> Vec<String> {
    let mut names: Vec<String> = ids.filter_map(lookup).collect();
    names.sort();
    names
}

fn capability_name(model: &RbacModel, id: Uuid) -> Option<String> {
    model
        .capabilities
        .iter()
        .find(|row| row.id == id)
        .map(|row| row.name.clone())
}

fn role_name(model: &RbacModel, id: Uuid) -> Option<String> {
    model
        .roles
        .iter()
        .find(|row| row.id == id)
        .map(|row| row.name.clone())
}

/// The targets linked from `owner` in `pairs`.
pub(super) fn links(pairs: &[(Uuid, Uuid)], owner: Uuid) -> Vec<Uuid> {
    pairs
        .iter()
        .filter(|(from, _)| *from == owner)
        .map(|(_, to)| *to)
        .collect()
}

/// A role with its capabilities and included roles, by name.
pub(super) fn role(model: &RbacModel, row: &RoleRow) -> Value {
    json!({
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "version": row.version,
        "capabilities": names(
            links(&model.role_capabilities, row.id).into_iter(),
            |id| capability_name(model, id),
        ),
        "includes": names(links(&model.role_includes, row.id).into_iter(), |id| role_name(model, id)),
    })
}

/// A group with its roles, by name.
pub(super) fn group(model: &RbacModel, row: &GroupRow) -> Value {
    json!({
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "version": row.version,
        "roles": names(links(&model.group_roles, row.id).into_iter(), |id| role_name(model, id)),
    })
}

/// An API.
pub(super) fn api(row: &ApiRow) -> Value {
    json!({
        "id": row.id,
        "audience": row.audience,
        "name": row.name,
        "description": row.description,
    })
}

/// A capability with its API's audience.
pub(super) fn capability(model: &RbacModel, row: &CapabilityRow) -> Value {
    let audience = model
        .apis
        .iter()
        .find(|api| api.id == row.api_id)
        .map(|api| api.audience.clone());
    json!({
        "id": row.id,
        "api": audience,
        "name": row.name,
        "description": row.description,
    })
}

/// `{before, after}`.
pub(super) fn before_after(before: Value, after: Value) -> Value {
    json!({ "before": before, "after": after })
}
