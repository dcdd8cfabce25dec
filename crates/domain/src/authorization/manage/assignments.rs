//! Roles given to users directly, optionally until a time. The actor must hold what a role
//! grants to give it; the last administrator keeps `gatehouse:admin`.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::{
    Administrator, Authorization, AuthorizationError,
    change::{Change, compile, require},
    guard::{effective, grant_only_held, keep_an_administrator},
};
use crate::{
    authorization::{ADMIN_ROLE_ID, capability::ROLES_WRITE},
    store::RoleAssignment,
};

/// A role for a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    /// The user.
    pub user: Uuid,
    /// The role.
    pub role: Uuid,
    /// When it ends (must be in the future); `None` for never.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A directly held role to take away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unassignment {
    /// The user.
    pub user: Uuid,
    /// The role.
    pub role: Uuid,
}

/// Gives a user a role, or changes the expiry of one they hold directly. The actor must hold
/// every capability the role grants; an expiry on the last administrator's `gatehouse:admin`
/// is refused. Audited as `rbac.role_assigned` with the previous expiry, if any.
pub async fn assign_role(
    deps: &Authorization,
    actor: &impl Administrator,
    input: Assignment,
) -> Result<(), AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let mut change = Change::begin(deps, actor).await?;
    if input.expires_at.is_some_and(|end| end <= change.now) {
        return Err(AuthorizationError::Invalid {
            field: "expires_at",
            message: "choose a time in the future".to_owned(),
        });
    }
    let role = change.role(input.role)?;
    change.user_exists(input.user).await?;
    grant_only_held(deps, actor, effective(&compile(&change.model)?, [&role.id])).await?;
    let held = direct(deps, input.user, role.id).await?;
    if let (Some(_), Some(end)) = (&held, input.expires_at)
        && role.id == ADMIN_ROLE_ID
    {
        keep_an_administrator(deps, &change.model, end, |holder, assignments| {
            for assignment in &mut assignments.roles {
                if holder == input.user && assignment.role_id == ADMIN_ROLE_ID {
                    assignment.expires_at = Some(end);
                }
            }
        })
        .await?;
    }
    let now = change.now;
    change
        .writes()
        .assign_role(input.user, role.id, input.expires_at, now)
        .await?;
    let details = json!({
        "role": role.name,
        "role_id": role.id,
        "expires_at": input.expires_at,
        "before": held.map(|held| json!({ "expires_at": held.expires_at })),
    });
    change
        .commit(
            "rbac.role_assigned",
            format!("user:{}", input.user),
            details,
        )
        .await
}

/// Takes a directly held role away; `NotFound` (`role assignment`) when it is not held
/// directly. Refused for `gatehouse:admin` when that would leave no administrator. Audited as
/// `rbac.role_unassigned`.
pub async fn unassign_role(
    deps: &Authorization,
    actor: &impl Administrator,
    input: Unassignment,
) -> Result<(), AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let mut change = Change::begin(deps, actor).await?;
    let role = change.role(input.role)?;
    let Some(held) = direct(deps, input.user, role.id).await? else {
        return Err(AuthorizationError::NotFound {
            kind: "role assignment",
            name: role.name,
        });
    };
    if role.id == ADMIN_ROLE_ID {
        keep_an_administrator(deps, &change.model, change.now, |holder, assignments| {
            if holder == input.user {
                assignments.roles.retain(|r| r.role_id != ADMIN_ROLE_ID);
            }
        })
        .await?;
    }
    change.writes().unassign_role(input.user, role.id).await?;
    let details = json!({
        "role": role.name,
        "role_id": role.id,
        "before": { "expires_at": held.expires_at },
    });
    change
        .commit(
            "rbac.role_unassigned",
            format!("user:{}", input.user),
            details,
        )
        .await
}

/// The user's direct assignment of `role`, expired or not.
async fn direct(
    deps: &Authorization,
    user: Uuid,
    role: Uuid,
) -> Result<Option<RoleAssignment>, AuthorizationError> {
    let assignments = deps.store.rbac().user_assignments(user).await?;
    Ok(assignments
        .roles
        .into_iter()
        .find(|held| held.role_id == role))
}
