//! The model compiled for evaluation: every role's effective capabilities (its own and those of
//! the roles it includes, transitively), by name.

use std::collections::{BTreeSet, HashMap};

use uuid::Uuid;

use crate::store::{RbacModel, UserAssignments};

/// A problem with the model's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// Role inclusion loops back on itself.
    #[error("role {0:?} includes itself (directly or through other roles)")]
    Cycle(String),
}

/// The model, ready to answer questions fast.
#[derive(Debug, Clone, Default)]
pub struct CompiledModel {
    /// The model version it was compiled from.
    pub version: i64,
    role_names: HashMap<Uuid, String>,
    role_ids: HashMap<String, Uuid>,
    /// Role → every capability name it grants, included roles' too.
    effective: HashMap<Uuid, BTreeSet<String>>,
    group_roles: HashMap<Uuid, Vec<Uuid>>,
    capability_apis: HashMap<String, String>,
}

impl CompiledModel {
    /// Compiles `model`; refuses inclusion cycles.
    pub fn compile(model: &RbacModel) -> Result<Self, ModelError> {
        let role_names: HashMap<Uuid, String> = model
            .roles
            .iter()
            .map(|role| (role.id, role.name.clone()))
            .collect();
        let capability_names: HashMap<Uuid, &str> = model
            .capabilities
            .iter()
            .map(|capability| (capability.id, capability.name.as_str()))
            .collect();
        let audiences: HashMap<Uuid, &str> = model
            .apis
            .iter()
            .map(|api| (api.id, api.audience.as_str()))
            .collect();
        let mut own: HashMap<Uuid, BTreeSet<String>> = HashMap::new();
        for (role, capability) in &model.role_capabilities {
            if let Some(name) = capability_names.get(capability) {
                own.entry(*role).or_default().insert((*name).to_owned());
            }
        }
        let mut includes: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (role, included) in &model.role_includes {
            includes.entry(*role).or_default().push(*included);
        }
        let mut effective = HashMap::new();
        for role in &model.roles {
            let mut path = Vec::new();
            let set = collect(role.id, &own, &includes, &mut path).map_err(|id| {
                ModelError::Cycle(role_names.get(&id).cloned().unwrap_or_default())
            })?;
            effective.insert(role.id, set);
        }
        let mut group_roles: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (group, role) in &model.group_roles {
            group_roles.entry(*group).or_default().push(*role);
        }
        let capability_apis = model
            .capabilities
            .iter()
            .map(|capability| {
                (
                    capability.name.clone(),
                    audiences
                        .get(&capability.api_id)
                        .copied()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect();
        let role_ids = role_names
            .iter()
            .map(|(id, name)| (name.clone(), *id))
            .collect();
        Ok(Self {
            version: model.version,
            role_names,
            role_ids,
            effective,
            group_roles,
            capability_apis,
        })
    }

    /// The id of the role named `name`.
    pub fn role_id(&self, name: &str) -> Option<Uuid> {
        self.role_ids.get(name).copied()
    }

    /// The name of role `id`.
    pub fn role_name(&self, id: Uuid) -> Option<&str> {
        self.role_names.get(&id).map(String::as_str)
    }

    /// Every capability role `id` grants.
    pub fn role_capabilities(&self, id: Uuid) -> Option<&BTreeSet<String>> {
        self.effective.get(&id)
    }

    /// The audience of the API a capability belongs to.
    pub fn audience_of(&self, capability: &str) -> Option<&str> {
        self.capability_apis.get(capability).map(String::as_str)
    }

    /// The roles a user holds (directly, unexpired at `now`, or through groups).
    pub fn roles_of(
        &self,
        assignments: &UserAssignments,
        now: chrono::DateTime<chrono::Utc>,
    ) -> BTreeSet<Uuid> {
        let direct = assignments
            .roles
            .iter()
            .filter(|held| held.expires_at.is_none_or(|end| end > now))
            .map(|held| held.role_id);
        let grouped = assignments
            .groups
            .iter()
            .flat_map(|group| self.group_roles.get(group).into_iter().flatten().copied());
        direct
            .chain(grouped)
            .filter(|role| self.role_names.contains_key(role))
            .collect()
    }
}

/// Depth-first union of a role's capabilities; `Err(role)` names a role found on its own path.
fn collect(
    role: Uuid,
    own: &HashMap<Uuid, BTreeSet<String>>,
    includes: &HashMap<Uuid, Vec<Uuid>>,
    path: &mut Vec<Uuid>,
) -> Result<BTreeSet<String>, Uuid> {
    if path.contains(&role) {
        return Err(role);
    }
    path.push(role);
    let mut set = own.get(&role).cloned().unwrap_or_default();
    for included in includes.get(&role).into_iter().flatten() {
        set.extend(collect(*included, own, includes, path)?);
    }
    path.pop();
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ApiRow, CapabilityRow, RoleAssignment, RoleRow};

    fn role(name: &str) -> RoleRow {
        RoleRow {
            id: Uuid::now_v7(),
            name: name.to_owned(),
            description: String::new(),
            system: false,
            version: 1,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn model() -> (RbacModel, RoleRow, RoleRow, RoleRow) {
        let api = ApiRow {
            id: Uuid::now_v7(),
            audience: "shop".to_owned(),
            name: "Shop".to_owned(),
            description: String::new(),
            system: false,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        };
        let capability = |name: &str| CapabilityRow {
            id: Uuid::now_v7(),
            api_id: api.id,
            name: name.to_owned(),
            description: String::new(),
            system: false,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        };
        let (read, refund) = (capability("orders:read"), capability("orders:refund"));
        let (clerk, manager, auditor) = (role("clerk"), role("manager"), role("auditor"));
        let model = RbacModel {
            version: 7,
            apis: vec![api],
            role_capabilities: vec![
                (clerk.id, read.id),
                (manager.id, refund.id),
                (auditor.id, read.id),
            ],
            role_includes: vec![(manager.id, clerk.id)],
            capabilities: vec![read, refund],
            roles: vec![clerk.clone(), manager.clone(), auditor.clone()],
            ..RbacModel::default()
        };
        (model, clerk, manager, auditor)
    }

    #[test]
    fn included_roles_grant_their_capabilities_transitively() {
        let (model, clerk, manager, _) = model();
        let compiled = CompiledModel::compile(&model).unwrap();
        let names: Vec<&str> = compiled
            .role_capabilities(manager.id)
            .unwrap()
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(names, vec!["orders:read", "orders:refund"]);
        assert_eq!(compiled.role_capabilities(clerk.id).unwrap().len(), 1);
        assert_eq!(compiled.audience_of("orders:refund"), Some("shop"));
    }

    #[test]
    fn inclusion_cycles_are_refused() {
        let (mut model, clerk, manager, auditor) = model();
        model.role_includes.push((clerk.id, auditor.id));
        model.role_includes.push((auditor.id, manager.id));
        assert!(matches!(
            CompiledModel::compile(&model),
            Err(ModelError::Cycle(_))
        ));
    }

    #[test]
    fn expired_assignments_grant_nothing() {
        let (model, clerk, manager, _) = model();
        let compiled = CompiledModel::compile(&model).unwrap();
        let now = chrono::DateTime::UNIX_EPOCH + chrono::Duration::days(10);
        let assignments = UserAssignments {
            roles: vec![
                RoleAssignment {
                    role_id: clerk.id,
                    expires_at: Some(now - chrono::Duration::seconds(1)),
                },
                RoleAssignment {
                    role_id: manager.id,
                    expires_at: Some(now + chrono::Duration::days(1)),
                },
            ],
            groups: vec![],
        };
        assert_eq!(
            compiled.roles_of(&assignments, now),
            BTreeSet::from([manager.id])
        );
    }
}
