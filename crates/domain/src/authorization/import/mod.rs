//! Declarative import of a [`ModelDocument`]: what the file names is created or changed to match;
//! what it leaves out stays, unless `prune`. System entries cannot be changed or removed. The plan
//! is computed and applied inside one transaction holding the model lock, so an import is atomic
//! and never interleaves with another change.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{CompiledModel, ModelDocument};
use crate::{
    DomainError,
    store::{ApiRow, CapabilityRow, GroupRow, RbacModel, RoleRow, new_id},
};

/// What an import changes, one line each (`+ role shop:clerk`, `~ role x (capabilities)`,
/// `- group old`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportPlan {
    /// The changes, in the order they apply.
    pub changes: Vec<String>,
    /// The model version after applying (`None` for a dry run).
    pub applied_version: Option<i64>,
}

fn invalid(message: String) -> DomainError {
    DomainError::Invalid(message)
}

/// The model the document asks for: current rows reused by name (ids and timestamps kept).
fn target(
    current: &RbacModel,
    document: &ModelDocument,
    prune: bool,
    now: DateTime<Utc>,
) -> Result<RbacModel, DomainError> {
    let mut target = if prune {
        keep_system(current)
    } else {
        current.clone()
    };
    for api in &document.apis {
        let id = current
            .apis
            .iter()
            .find(|row| row.audience == api.audience)
            .map_or_else(new_id, |row| row.id);
        upsert(
            &mut target.apis,
            |row| row.id == id,
            ApiRow {
                id,
                audience: api.audience.clone(),
                name: api.name.clone(),
                description: api.description.clone(),
                system: false,
                created_at: now,
                updated_at: now,
            },
        );
        for capability in &api.capabilities {
            let existing = current
                .capabilities
                .iter()
                .find(|row| row.name == capability.name);
            let id = existing.map_or_else(new_id, |row| row.id);
            upsert(
                &mut target.capabilities,
                |row| row.id == id,
                CapabilityRow {
                    id,
                    api_id: target
                        .apis
                        .iter()
                        .find(|row| row.audience == api.audience)
                        .map_or(id, |row| row.id),
                    name: capability.name.clone(),
                    description: capability.description.clone(),
                    system: false,
                    created_at: now,
                    updated_at: now,
                },
            );
        }
    }
    for role in &document.roles {
        let id = current
            .roles
            .iter()
            .find(|row| row.name == role.name)
            .map_or_else(new_id, |row| row.id);
        upsert(
            &mut target.roles,
            |row| row.id == id,
            RoleRow {
                id,
                name: role.name.clone(),
                description: role.description.clone(),
                system: false,
                version: 1,
                created_at: now,
                updated_at: now,
            },
        );
    }
    for group in &document.groups {
        let id = current
            .groups
            .iter()
            .find(|row| row.name == group.name)
            .map_or_else(new_id, |row| row.id);
        upsert(
            &mut target.groups,
            |row| row.id == id,
            GroupRow {
                id,
                name: group.name.clone(),
                description: group.description.clone(),
                version: 1,
                created_at: now,
                updated_at: now,
            },
        );
    }
    link(&mut target, document)?;
    CompiledModel::compile(&target).map_err(|e| invalid(e.to_string()))?;
    Ok(target)
}

fn keep_system(current: &RbacModel) -> RbacModel {
    let roles: BTreeSet<Uuid> = current
        .roles
        .iter()
        .filter(|row| row.system)
        .map(|row| row.id)
        .collect();
    RbacModel {
        version: current.version,
        apis: current
            .apis
            .iter()
            .filter(|row| row.system)
            .cloned()
            .collect(),
        capabilities: current
            .capabilities
            .iter()
            .filter(|row| row.system)
            .cloned()
            .collect(),
        roles: current
            .roles
            .iter()
            .filter(|row| row.system)
            .cloned()
            .collect(),
        role_capabilities: current
            .role_capabilities
            .iter()
            .filter(|(role, _)| roles.contains(role))
            .copied()
            .collect(),
        role_includes: current
            .role_includes
            .iter()
            .filter(|(role, _)| roles.contains(role))
            .copied()
            .collect(),
        groups: Vec::new(),
        group_roles: Vec::new(),
    }
}

/// Replaces a matching row, keeping its id, `created_at` and `system`; or adds `row`.
fn upsert<T: Clone + Stamped>(rows: &mut Vec<T>, matches: impl Fn(&T) -> bool, row: T) {
    match rows.iter_mut().find(|existing| matches(existing)) {
        Some(existing) => existing.take_content_of(row),
        None => rows.push(row),
    }
}

/// Rows whose content an import may replace while their identity stays.
trait Stamped {
    fn take_content_of(&mut self, other: Self);
}

macro_rules! stamped {
    ($type:ty { $($field:ident),* }) => {
        impl Stamped for $type {
            fn take_content_of(&mut self, other: Self) {
                $(self.$field = other.$field;)*
            }
        }
    };
}
stamped!(ApiRow { name, description });
stamped!(CapabilityRow {
    description,
    api_id
});
stamped!(RoleRow { description });
stamped!(GroupRow { description });

fn link(target: &mut RbacModel, document: &ModelDocument) -> Result<(), DomainError> {
    let capabilities: HashMap<&str, Uuid> = target
        .capabilities
        .iter()
        .map(|row| (row.name.as_str(), row.id))
        .collect();
    let roles: HashMap<&str, Uuid> = target
        .roles
        .iter()
        .map(|row| (row.name.as_str(), row.id))
        .collect();
    let resolve = |names: &[String],
                   known: &HashMap<&str, Uuid>,
                   what: &str,
                   owner: &str|
     -> Result<Vec<Uuid>, DomainError> {
        names
            .iter()
            .map(|name| {
                known
                    .get(name.as_str())
                    .copied()
                    .ok_or_else(|| invalid(format!("{owner}: unknown {what} {name:?}")))
            })
            .collect()
    };
    let mut role_capabilities = BTreeSet::new();
    let mut role_includes = BTreeSet::new();
    let mut group_roles = BTreeSet::new();
    for role in &document.roles {
        let id = roles[role.name.as_str()];
        role_capabilities.extend(
            resolve(
                &role.capabilities,
                &capabilities,
                "capability",
                &format!("role {:?}", role.name),
            )?
            .into_iter()
            .map(|c| (id, c)),
        );
        role_includes.extend(
            resolve(
                &role.includes,
                &roles,
                "role",
                &format!("role {:?}", role.name),
            )?
            .into_iter()
            .map(|r| (id, r)),
        );
    }
    for group in &document.groups {
        let id = target
            .groups
            .iter()
            .find(|row| row.name == group.name)
            .map(|row| row.id)
            .unwrap_or_default();
        group_roles.extend(
            resolve(
                &group.roles,
                &roles,
                "role",
                &format!("group {:?}", group.name),
            )?
            .into_iter()
            .map(|r| (id, r)),
        );
    }
    let named_roles: BTreeSet<Uuid> = document
        .roles
        .iter()
        .map(|role| roles[role.name.as_str()])
        .collect();
    let named_groups: BTreeSet<Uuid> = document
        .groups
        .iter()
        .filter_map(|group| {
            target
                .groups
                .iter()
                .find(|row| row.name == group.name)
                .map(|row| row.id)
        })
        .collect();
    let replace =
        |pairs: &mut Vec<(Uuid, Uuid)>, owners: &BTreeSet<Uuid>, new: BTreeSet<(Uuid, Uuid)>| {
            pairs.retain(|(owner, _)| !owners.contains(owner));
            pairs.extend(new);
            pairs.sort();
        };
    replace(
        &mut target.role_capabilities,
        &named_roles,
        role_capabilities,
    );
    replace(&mut target.role_includes, &named_roles, role_includes);
    replace(&mut target.group_roles, &named_groups, group_roles);
    Ok(())
}

mod apply;

pub use apply::import_model;
