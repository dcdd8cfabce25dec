//! Authorization: capabilities of APIs, roles that group them (and include other roles), groups
//! of users that hold roles, and direct assignments. A user's effective capabilities are the
//! union over direct, group and included roles, computed once per model version and cached;
//! every node polls the model version, so a change anywhere takes effect everywhere within a
//! second.

mod authorizer;
mod compiled;
mod document;
mod import;
mod system;

pub use authorizer::{Authorizer, Decision};
pub use compiled::{CompiledModel, ModelError};
pub use document::{ApiEntry, CapabilityEntry, GroupEntry, ModelDocument, RoleEntry};
pub use import::{ImportPlan, import_model};
pub use system::{
    ADMIN_ROLE, ADMIN_ROLE_ID, AUDITOR_ROLE, GATEHOUSE_API, USER_MANAGER_ROLE, capability,
};
