//! The two self-protection rules: nobody grants a capability they do not hold, and the last
//! administrator cannot be removed or demoted.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Administrator, Authorization, AuthorizationError, Who};
use crate::{
    authorization::{ADMIN_ROLE_ID, CompiledModel},
    store::{RbacModel, UserAssignments},
};

/// Every capability the roles grant (included roles' too), in `model`.
pub(super) fn effective<'a>(
    model: &'a CompiledModel,
    roles: impl IntoIterator<Item = &'a Uuid>,
) -> BTreeSet<&'a String> {
    roles
        .into_iter()
        .filter_map(|role| model.role_capabilities(*role))
        .flatten()
        .collect()
}

/// Refuses unless the actor holds every capability in `granted`. Administrators (active
/// holders of `gatehouse:admin`) may grant any capability: their role holds only Gatehouse's
/// own, and someone must be able to hand out the capabilities of other APIs.
pub(super) async fn grant_only_held<'a>(
    deps: &Authorization,
    actor: &dyn Administrator,
    granted: impl IntoIterator<Item = &'a String>,
) -> Result<(), AuthorizationError> {
    let (missing, administrator) = match actor.who() {
        Who::User(user) => {
            let held = deps.authorizer.capabilities(user, None).await?;
            let Some(missing) = granted.into_iter().find(|name| !held.contains(*name)) else {
                return Ok(());
            };
            let administrators = deps
                .store
                .rbac()
                .active_holders(ADMIN_ROLE_ID, deps.clock.now())
                .await?;
            (missing, administrators.contains(&user))
        }
        Who::Service(operator) => {
            let Some(missing) = granted.into_iter().find(|name| !operator.holds(name)) else {
                return Ok(());
            };
            (
                missing,
                service_account_is_administrator(deps, operator).await?,
            )
        }
    };
    if administrator {
        return Ok(());
    }
    Err(AuthorizationError::Forbidden {
        capability: missing.clone(),
    })
}

/// Whether the operator is a client whose service account holds `gatehouse:admin` now.
async fn service_account_is_administrator(
    deps: &Authorization,
    operator: &crate::oauth::Operator,
) -> Result<bool, AuthorizationError> {
    let crate::audit::Actor::Client(client_id) = &operator.actor else {
        return Ok(false);
    };
    let oauth = deps.store.oauth();
    let Some(client) = oauth.client_by_client_id(client_id).await? else {
        return Ok(false);
    };
    Ok(client.disabled_at.is_none()
        && oauth
            .client_roles(client.id)
            .await?
            .contains(&ADMIN_ROLE_ID))
}

/// Refuses unless, once `change` is applied to each current administrator's assignments and
/// the model is `after`, someone still holds `gatehouse:admin` at `at`.
pub(super) async fn keep_an_administrator(
    deps: &Authorization,
    after: &RbacModel,
    at: DateTime<Utc>,
    change: impl Fn(Uuid, &mut UserAssignments),
) -> Result<(), AuthorizationError> {
    let rbac = deps.store.rbac();
    for holder in rbac.active_holders(ADMIN_ROLE_ID, deps.clock.now()).await? {
        let mut assignments = rbac.user_assignments(holder).await?;
        change(holder, &mut assignments);
        if holds_admin(after, &assignments, at) {
            return Ok(());
        }
    }
    Err(AuthorizationError::LastAdministrator)
}

/// Whether a group in `model` grants `gatehouse:admin`.
pub(super) fn grants_admin(model: &RbacModel, group: Uuid) -> bool {
    model.group_roles.contains(&(group, ADMIN_ROLE_ID))
}

fn holds_admin(model: &RbacModel, assignments: &UserAssignments, at: DateTime<Utc>) -> bool {
    let direct = assignments
        .roles
        .iter()
        .any(|held| held.role_id == ADMIN_ROLE_ID && held.expires_at.is_none_or(|end| end > at));
    direct
        || assignments
            .groups
            .iter()
            .any(|group| grants_admin(model, *group))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RoleAssignment;

    #[test]
    fn administrators_hold_the_role_directly_until_expiry_or_through_a_group() {
        let now = DateTime::UNIX_EPOCH;
        let group = Uuid::now_v7();
        let mut model = RbacModel::default();
        let direct = UserAssignments {
            roles: vec![RoleAssignment {
                role_id: ADMIN_ROLE_ID,
                expires_at: Some(now + chrono::Duration::hours(1)),
            }],
            groups: vec![],
        };
        assert!(holds_admin(&model, &direct, now));
        assert!(!holds_admin(
            &model,
            &direct,
            now + chrono::Duration::hours(2)
        ));
        let grouped = UserAssignments {
            roles: vec![],
            groups: vec![group],
        };
        assert!(!holds_admin(&model, &grouped, now));
        model.group_roles.push((group, ADMIN_ROLE_ID));
        assert!(holds_admin(&model, &grouped, now));
    }
}
