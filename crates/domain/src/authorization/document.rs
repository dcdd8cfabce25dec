//! The model as a document (`gatehouse rbac export|import`): APIs with their capabilities,
//! roles and groups, by name. Exported documents import unchanged; system entries are part of
//! them and must stay as they are. User assignments are not part of the model file.

use serde::{Deserialize, Serialize};

use crate::store::RbacModel;

/// The whole model by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelDocument {
    /// APIs and their capabilities.
    #[serde(default)]
    pub apis: Vec<ApiEntry>,
    /// Roles.
    #[serde(default)]
    pub roles: Vec<RoleEntry>,
    /// Groups (their roles; members are assignments and stay out of the file).
    #[serde(default)]
    pub groups: Vec<GroupEntry>,
}

/// An API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiEntry {
    /// Audience identifier.
    pub audience: String,
    /// Display name.
    pub name: String,
    /// What it is.
    #[serde(default)]
    pub description: String,
    /// Its capabilities.
    #[serde(default)]
    pub capabilities: Vec<CapabilityEntry>,
}

/// A capability.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilityEntry {
    /// Unique name.
    pub name: String,
    /// What it allows.
    #[serde(default)]
    pub description: String,
}

/// A role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleEntry {
    /// Unique name.
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// Capability names.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Names of included roles.
    #[serde(default)]
    pub includes: Vec<String>,
}

/// A group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupEntry {
    /// Unique name.
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// Role names.
    #[serde(default)]
    pub roles: Vec<String>,
}

impl ModelDocument {
    /// The stored model as a document, everything sorted by name.
    pub fn from_model(model: &RbacModel) -> Self {
        let capability_name = |id| {
            model
                .capabilities
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.name.clone())
        };
        let role_name = |id| {
            model
                .roles
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.name.clone())
        };
        let sorted = |mut names: Vec<String>| {
            names.sort();
            names
        };
        let apis = model
            .apis
            .iter()
            .map(|api| ApiEntry {
                audience: api.audience.clone(),
                name: api.name.clone(),
                description: api.description.clone(),
                capabilities: model
                    .capabilities
                    .iter()
                    .filter(|capability| capability.api_id == api.id)
                    .map(|capability| CapabilityEntry {
                        name: capability.name.clone(),
                        description: capability.description.clone(),
                    })
                    .collect(),
            })
            .collect();
        let roles = model
            .roles
            .iter()
            .map(|role| RoleEntry {
                name: role.name.clone(),
                description: role.description.clone(),
                capabilities: sorted(
                    model
                        .role_capabilities
                        .iter()
                        .filter(|(r, _)| *r == role.id)
                        .filter_map(|(_, c)| capability_name(*c))
                        .collect(),
                ),
                includes: sorted(
                    model
                        .role_includes
                        .iter()
                        .filter(|(r, _)| *r == role.id)
                        .filter_map(|(_, i)| role_name(*i))
                        .collect(),
                ),
            })
            .collect();
        let groups = model
            .groups
            .iter()
            .map(|group| GroupEntry {
                name: group.name.clone(),
                description: group.description.clone(),
                roles: sorted(
                    model
                        .group_roles
                        .iter()
                        .filter(|(g, _)| *g == group.id)
                        .filter_map(|(_, r)| role_name(*r))
                        .collect(),
                ),
            })
            .collect();
        Self {
            apis,
            roles,
            groups,
        }
    }
}
