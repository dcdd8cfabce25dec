//! What the console shows: the whole model, who uses a role (before deleting it), and a user's
//! roles with where each effective capability comes from. Each needs `gatehouse:roles.read`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Administrator, Authorization, AuthorizationError, change::require};
use crate::{
    authorization::capability::ROLES_READ,
    store::{GroupRow, RbacModel, RoleRow},
};

/// Who a role reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleUsage {
    /// The role.
    pub role: RoleRow,
    /// Active users holding it directly (unexpired) or through a group.
    pub users: Vec<Uuid>,
    /// Groups that give it.
    pub groups: Vec<GroupRow>,
    /// Roles that include it directly (their holders get its capabilities too).
    pub including_roles: Vec<RoleRow>,
}

/// A role a user holds directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRole {
    /// The role.
    pub role: RoleRow,
    /// When the assignment ends, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// False once `expires_at` has passed (the assignment then grants nothing).
    pub active: bool,
}

/// A capability a user holds, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveCapability {
    /// Its name.
    pub name: String,
    /// The audience of its API.
    pub audience: Option<String>,
    /// The user's roles (direct or through groups) that grant it, included roles resolved.
    pub granted_by: Vec<String>,
}

/// A user's roles and what they add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRoles {
    /// The user.
    pub user: Uuid,
    /// Roles held directly, expired ones included.
    pub direct: Vec<HeldRole>,
    /// Groups the user belongs to.
    pub groups: Vec<GroupRow>,
    /// Effective capabilities by name (none while the account is not active).
    pub capabilities: Vec<EffectiveCapability>,
}

/// The whole model (APIs, capabilities, roles, groups and their links).
pub async fn list_model(
    deps: &Authorization,
    actor: &impl Administrator,
) -> Result<RbacModel, AuthorizationError> {
    require(deps, actor, ROLES_READ).await?;
    Ok(deps.store.rbac().model().await?)
}

/// Who holds a role, which groups give it and which roles include it: what deleting or
/// changing it would affect.
pub async fn role_usage(
    deps: &Authorization,
    actor: &impl Administrator,
    role: Uuid,
) -> Result<RoleUsage, AuthorizationError> {
    require(deps, actor, ROLES_READ).await?;
    let model = deps.store.rbac().model().await?;
    let row = model
        .roles
        .iter()
        .find(|row| row.id == role)
        .cloned()
        .ok_or(AuthorizationError::missing("role", role))?;
    usage(deps, &model, row, deps.clock.now()).await
}

/// A role's usage in `model`.
pub(super) async fn usage(
    deps: &Authorization,
    model: &RbacModel,
    role: RoleRow,
    now: DateTime<Utc>,
) -> Result<RoleUsage, AuthorizationError> {
    let users = deps.store.rbac().active_holders(role.id, now).await?;
    let groups = model
        .groups
        .iter()
        .filter(|group| model.group_roles.contains(&(group.id, role.id)))
        .cloned()
        .collect();
    let including_roles = model
        .roles
        .iter()
        .filter(|other| model.role_includes.contains(&(other.id, role.id)))
        .cloned()
        .collect();
    Ok(RoleUsage {
        role,
        users,
        groups,
        including_roles,
    })
}

/// A user's direct roles, groups, and effective capabilities with the roles granting each.
pub async fn user_roles(
    deps: &Authorization,
    actor: &impl Administrator,
    user: Uuid,
) -> Result<UserRoles, AuthorizationError> {
    require(deps, actor, ROLES_READ).await?;
    if deps.store.users().by_id(user).await?.is_none() {
        return Err(AuthorizationError::missing("user", user));
    }
    let now = deps.clock.now();
    let model = deps.store.rbac().model().await?;
    let assignments = deps.store.rbac().user_assignments(user).await?;
    let direct = assignments
        .roles
        .iter()
        .filter_map(|held| {
            let role = model.roles.iter().find(|row| row.id == held.role_id)?;
            Some(HeldRole {
                role: role.clone(),
                expires_at: held.expires_at,
                active: held.expires_at.is_none_or(|end| end > now),
            })
        })
        .collect();
    let groups = model
        .groups
        .iter()
        .filter(|group| assignments.groups.contains(&group.id))
        .cloned()
        .collect();
    let compiled = deps.authorizer.model().await?;
    let mut capabilities = Vec::new();
    for name in deps.authorizer.capabilities(user, None).await? {
        let decision = deps.authorizer.check(user, &name).await?;
        capabilities.push(EffectiveCapability {
            audience: compiled.audience_of(&name).map(str::to_owned),
            granted_by: decision.granted_by,
            name,
        });
    }
    Ok(UserRoles {
        user,
        direct,
        groups,
        capabilities,
    })
}
