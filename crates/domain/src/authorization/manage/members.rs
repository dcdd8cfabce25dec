//! Group membership. Adding a member grants them the group's roles, so the actor must hold
//! those capabilities; removing the last administrator's admin group membership is refused.

use serde_json::json;
use uuid::Uuid;

use super::{
    Administrator, Authorization, AuthorizationError,
    change::{Change, compile, require},
    guard::{effective, grant_only_held, grants_admin, keep_an_administrator},
    snapshot,
};
use crate::authorization::capability::ROLES_WRITE;

/// A user in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    /// The group.
    pub group: Uuid,
    /// The user.
    pub user: Uuid,
}

/// Adds a user to a group. True when added; false when already a member (nothing changes).
/// The actor must hold every capability the group's roles grant. Audited as
/// `rbac.group_member_added`.
pub async fn add_group_member(
    deps: &Authorization,
    actor: &impl Administrator,
    input: Membership,
) -> Result<bool, AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let mut change = Change::begin(deps, actor).await?;
    let group = change.group(input.group)?;
    change.user_exists(input.user).await?;
    let members = deps.store.rbac().group_members(group.id).await?;
    if members.contains(&input.user) {
        return Ok(false);
    }
    let roles = snapshot::links(&change.model.group_roles, group.id);
    grant_only_held(deps, actor, effective(&compile(&change.model)?, &roles)).await?;
    change
        .writes()
        .add_group_member(group.id, input.user)
        .await?;
    let details = json!({ "group": group.name, "user": input.user });
    change
        .commit(
            "rbac.group_member_added",
            format!("group:{}", group.id),
            details,
        )
        .await?;
    Ok(true)
}

/// Removes a user from a group; `NotFound` (`group member`) when they are not in it. Refused
/// when the group gives `gatehouse:admin` and that would leave no administrator. Audited as
/// `rbac.group_member_removed`.
pub async fn remove_group_member(
    deps: &Authorization,
    actor: &impl Administrator,
    input: Membership,
) -> Result<(), AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let mut change = Change::begin(deps, actor).await?;
    let group = change.group(input.group)?;
    let members = deps.store.rbac().group_members(group.id).await?;
    if !members.contains(&input.user) {
        return Err(AuthorizationError::missing("group member", input.user));
    }
    if grants_admin(&change.model, group.id) {
        keep_an_administrator(deps, &change.model, change.now, |holder, assignments| {
            if holder == input.user {
                assignments
                    .groups
                    .retain(|member_of| *member_of != group.id);
            }
        })
        .await?;
    }
    change
        .writes()
        .remove_group_member(group.id, input.user)
        .await?;
    let details = json!({ "group": group.name, "user": input.user });
    change
        .commit(
            "rbac.group_member_removed",
            format!("group:{}", group.id),
            details,
        )
        .await
}
