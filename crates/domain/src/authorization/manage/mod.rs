//! Runtime administration of the authorization model: APIs, capabilities, roles, groups and
//! assignments, each change checked (`gatehouse:roles.write`, grant only what you hold, keep an
//! administrator), made in one transaction with its audit event, then loaded on this node.

mod apis;
mod assignments;
mod capabilities;
mod change;
mod error;
mod groups;
mod guard;
mod members;
mod reads;
mod role_grants;
mod roles;
mod snapshot;
mod validate;

use std::sync::Arc;

use uuid::Uuid;

pub use apis::{ApiUpdate, NewApi, create_api, delete_api, update_api};
pub use assignments::{Assignment, Unassignment, assign_role, unassign_role};
pub use capabilities::{
    CapabilityUpdate, NewCapability, create_capability, delete_capability, update_capability,
};
pub use error::AuthorizationError;

pub use groups::{
    GroupRoles, GroupUpdate, NewGroup, create_group, delete_group, set_group_roles, update_group,
};
pub use members::{Membership, add_group_member, remove_group_member};
pub use reads::{
    EffectiveCapability, HeldRole, RoleUsage, UserRoles, list_model, role_usage, user_roles,
};
pub use role_grants::{RoleCapabilities, RoleIncludes, set_role_capabilities, set_role_includes};
pub use roles::{NewRole, RoleUpdate, create_role, delete_role, update_role};

use super::Authorizer;
use crate::{Clock, accounts::RequestContext, oauth::Operator, secrets::Keyring, store::Store};

/// What the administration use cases need.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Data keys (audit personal data).
    pub keyring: Arc<Keyring>,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// This node's evaluator: checks the actor, and reloads after each change.
    pub authorizer: Arc<Authorizer>,
}

/// The signed-in user making a change or a read.
#[derive(Debug, Clone)]
pub struct Admin {
    /// Their user id.
    pub user_id: Uuid,
    /// Their request (for the audit event).
    pub context: RequestContext,
}

/// Who may call the administration use cases: a signed-in user ([`Admin`], checked against
/// their live capabilities), or an [`Operator`] (a service account holding the capabilities
/// its `gatehouse` token carries; an operator acting as a user is checked like that user).
pub trait Administrator: Send + Sync {
    /// Who acts, for the checks.
    fn who(&self) -> Who<'_>;
    /// The request (for the audit event).
    fn context(&self) -> &RequestContext;
}

/// The two kinds of [`Administrator`].
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    /// A user: checked against what they hold now.
    User(Uuid),
    /// A service account or the system: checked against the operator's capabilities.
    Service(&'a Operator),
}

impl Administrator for Admin {
    fn who(&self) -> Who<'_> {
        Who::User(self.user_id)
    }

    fn context(&self) -> &RequestContext {
        &self.context
    }
}

impl Administrator for Operator {
    fn who(&self) -> Who<'_> {
        match self.user_id() {
            Some(user) => Who::User(user),
            None => Who::Service(self),
        }
    }

    fn context(&self) -> &RequestContext {
        &self.context
    }
}

impl Who<'_> {
    /// The actor recorded in audit events.
    pub fn audit_actor(self) -> crate::audit::Actor {
        match self {
            Self::User(user) => crate::audit::Actor::User(user),
            Self::Service(operator) => operator.actor.clone(),
        }
    }

    /// The user acting, if a user acts.
    pub fn user(self) -> Option<Uuid> {
        match self {
            Self::User(user) => Some(user),
            Self::Service(_) => None,
        }
    }
}
