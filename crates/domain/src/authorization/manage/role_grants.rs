//! What a role grants: its capabilities and the roles it includes. Whatever a change adds to
//! the role's effective capabilities, the actor must hold; inclusion cycles are refused; system
//! roles stay as seeded.

use uuid::Uuid;

use super::{
    Administrator, Authorization, AuthorizationError,
    change::{Change, compile, existing, replace_links, require},
    guard::{effective, grant_only_held},
    roles::editable,
    snapshot,
};
use crate::{
    authorization::capability::ROLES_WRITE,
    store::{RbacModel, RoleRow},
};

/// A role's full new set of capabilities.
#[derive(Debug, Clone)]
pub struct RoleCapabilities {
    /// The role.
    pub role: Uuid,
    /// The `RoleRow::version` the actor edited.
    pub expected_version: i64,
    /// Every capability it should have.
    pub capabilities: Vec<Uuid>,
}

/// A role's full new set of included roles.
#[derive(Debug, Clone)]
pub struct RoleIncludes {
    /// The role.
    pub role: Uuid,
    /// The `RoleRow::version` the actor edited.
    pub expected_version: i64,
    /// Every role it should include.
    pub includes: Vec<Uuid>,
}

/// Which links of a role a change replaces.
#[derive(Debug, Clone, Copy)]
enum Links {
    Capabilities,
    Includes,
}

/// Replaces a role's capabilities, if nobody else changed the role since `expected_version`;
/// the version goes up by one. The actor must hold every capability added. Audited as
/// `rbac.role_updated` with before and after.
pub async fn set_role_capabilities(
    deps: &Authorization,
    actor: &impl Administrator,
    input: RoleCapabilities,
) -> Result<RoleRow, AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    set_links(
        deps,
        actor,
        (input.role, input.expected_version),
        &input.capabilities,
        Links::Capabilities,
    )
    .await
}

/// Replaces the roles a role includes, if nobody else changed the role since
/// `expected_version`; the version goes up by one. Cycles are refused (`Invalid` on
/// `includes`); the actor must hold every capability the role gains. Audited as
/// `rbac.role_updated` with before and after.
pub async fn set_role_includes(
    deps: &Authorization,
    actor: &impl Administrator,
    input: RoleIncludes,
) -> Result<RoleRow, AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    set_links(
        deps,
        actor,
        (input.role, input.expected_version),
        &input.includes,
        Links::Includes,
    )
    .await
}

async fn set_links(
    deps: &Authorization,
    actor: &impl Administrator,
    (role, expected_version): (Uuid, i64),
    targets: &[Uuid],
    links: Links,
) -> Result<RoleRow, AuthorizationError> {
    let mut change = Change::begin(deps, actor).await?;
    let before = editable(&change, role, expected_version)?;
    let targets = resolve(&change.model, targets, links)?;
    let mut model = change.model.clone();
    match links {
        Links::Capabilities => replace_links(&mut model.role_capabilities, role, &targets),
        Links::Includes => replace_links(&mut model.role_includes, role, &targets),
    }
    let after = RoleRow {
        version: before.version + 1,
        updated_at: change.now,
        ..before.clone()
    };
    if let Some(row) = model.roles.iter_mut().find(|row| row.id == role) {
        *row = after.clone();
    }
    let (was, will) = (compile(&change.model)?, compile(&model)?);
    let had = effective(&was, [&role]);
    let gained = effective(&will, [&role])
        .into_iter()
        .filter(|c| !had.contains(c));
    grant_only_held(deps, actor, gained).await?;
    let writes = change.writes();
    writes.upsert_role(&after).await?;
    match links {
        Links::Capabilities => writes.set_role_capabilities(role, &targets).await?,
        Links::Includes => writes.set_role_includes(role, &targets).await?,
    }
    let details = snapshot::before_after(
        snapshot::role(&change.model, &before),
        snapshot::role(&model, &after),
    );
    change
        .commit("rbac.role_updated", format!("role:{role}"), details)
        .await?;
    Ok(after)
}

fn resolve(model: &RbacModel, ids: &[Uuid], links: Links) -> Result<Vec<Uuid>, AuthorizationError> {
    match links {
        Links::Capabilities => existing("capability", ids, |id| {
            model.capabilities.iter().any(|row| row.id == id)
        }),
        Links::Includes => existing("role", ids, |id| model.roles.iter().any(|row| row.id == id)),
    }
}
