//! Authorization: capabilities of APIs, roles that group them (and include other roles), groups
//! of users that hold roles, and direct assignments. A user's effective capabilities are the
//! union over direct, group and included roles, computed once per model version and cached;
//! every node polls the model version, so a change anywhere takes effect everywhere within a
//! second.

mod authorizer;
mod compiled;
mod document;
mod import;
mod manage;
mod system;

pub use authorizer::{Authorizer, Decision};
pub use compiled::{CompiledModel, ModelError};
pub use document::{ApiEntry, CapabilityEntry, GroupEntry, ModelDocument, RoleEntry};
pub use import::{ImportPlan, import_model};
pub use manage::{
    Admin, Administrator, ApiUpdate, Assignment, Authorization, AuthorizationError,
    CapabilityUpdate, EffectiveCapability, GroupRoles, GroupUpdate, HeldRole, Membership, NewApi,
    NewCapability, NewGroup, NewRole, RoleCapabilities, RoleIncludes, RoleUpdate, RoleUsage,
    Unassignment, UserRoles, Who, add_group_member, assign_role, create_api, create_capability,
    create_group, create_role, delete_api, delete_capability, delete_group, delete_role,
    list_model, remove_group_member, role_usage, set_group_roles, set_role_capabilities,
    set_role_includes, unassign_role, update_api, update_capability, update_group, update_role,
    user_roles,
};
pub use system::{
    ADMIN_ROLE, ADMIN_ROLE_ID, AUDITOR_ROLE, GATEHOUSE_API, USER_MANAGER_ROLE, capability,
};
