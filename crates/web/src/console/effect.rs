//! What removing capabilities takes away, for the confirmation pages of capability and API
//! deletions: the roles granting each capability, directly or through a role they include.
//! Read from the model the page shows; the use case makes the change under its own lock.

use gatehouse_domain::{
    authorization::CompiledModel,
    store::{CapabilityRow, RbacModel},
};

/// A role, linked to its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleLink {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// The roles that grant one capability.
#[derive(Debug, Clone, Default)]
pub struct Granting {
    /// Roles that have it themselves.
    pub direct: Vec<RoleLink>,
    /// Roles that get it from a role they include (directly or further down).
    pub included: Vec<RoleLink>,
}

impl Granting {
    /// Whether no role grants it.
    pub fn is_empty(&self) -> bool {
        self.direct.is_empty() && self.included.is_empty()
    }

    /// Every granting role's name, comma-separated (direct ones first).
    pub fn names(&self) -> String {
        let names: Vec<&str> = self
            .direct
            .iter()
            .chain(&self.included)
            .map(|role| role.name.as_str())
            .collect();
        names.join(", ")
    }
}

/// The model compiled for transitive lookups (`None` if it does not compile, which the use
/// cases never let happen; only direct grants are shown then).
pub fn compile(model: &RbacModel) -> Option<CompiledModel> {
    CompiledModel::compile(model).ok()
}

/// The roles in `model` that grant `capability`.
pub fn granting(
    model: &RbacModel,
    compiled: Option<&CompiledModel>,
    capability: &CapabilityRow,
) -> Granting {
    let mut granting = Granting::default();
    for role in &model.roles {
        let link = || RoleLink {
            id: role.id.to_string(),
            name: role.name.clone(),
        };
        if model.role_capabilities.contains(&(role.id, capability.id)) {
            granting.direct.push(link());
        } else if compiled
            .and_then(|compiled| compiled.role_capabilities(role.id))
            .is_some_and(|names| names.contains(&capability.name))
        {
            granting.included.push(link());
        }
    }
    granting
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use gatehouse_domain::store::RoleRow;
    use uuid::Uuid;

    use super::*;

    fn role(name: &str) -> RoleRow {
        RoleRow {
            id: Uuid::now_v7(),
            name: name.to_owned(),
            description: String::new(),
            system: false,
            version: 1,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_capability_is_granted_directly_or_through_an_included_role() {
        let capability = CapabilityRow {
            id: Uuid::now_v7(),
            api_id: Uuid::now_v7(),
            name: "orders:refund".to_owned(),
            description: String::new(),
            system: false,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        };
        let (refunds, support, other) = (role("refunds"), role("support"), role("other"));
        let model = RbacModel {
            role_capabilities: vec![(refunds.id, capability.id)],
            role_includes: vec![(support.id, refunds.id)],
            capabilities: vec![capability.clone()],
            roles: vec![refunds, support, other],
            ..RbacModel::default()
        };
        let compiled = compile(&model);
        let granting = granting(&model, compiled.as_ref(), &capability);
        let names = |links: &[RoleLink]| links.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&granting.direct), ["refunds"]);
        assert_eq!(names(&granting.included), ["support"]);
        assert_eq!(granting.names(), "refunds, support");
        let direct_only = super::granting(&model, None, &capability);
        assert!(direct_only.included.is_empty() && !direct_only.is_empty());
    }
}
