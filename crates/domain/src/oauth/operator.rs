//! Who performs an administrative OAuth action: a signed-in administrator, a service account
//! (a client holding a `gatehouse` token), or the system (the CLI, a job). Use cases check the
//! operator's capabilities first.

use std::{collections::BTreeSet, sync::Arc};

use uuid::Uuid;

use crate::{
    DomainError,
    accounts::RequestContext,
    audit::Actor,
    authorization::{Authorizer, GATEHOUSE_API},
};

/// The caller of an administrative use case.
#[derive(Debug, Clone)]
pub struct Operator {
    /// Who, for the audit log.
    pub actor: Actor,
    /// The `gatehouse:*` capabilities held; `None`: all (the system).
    capabilities: Option<Arc<BTreeSet<String>>>,
    /// The request (for audit events).
    pub context: RequestContext,
}

/// The operator lacks a capability.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("you need the capability {0:?}")]
pub struct Forbidden(pub String);

impl Operator {
    /// Gatehouse itself (the CLI, jobs): allowed everything.
    pub fn system() -> Self {
        Self {
            actor: Actor::System,
            capabilities: None,
            context: RequestContext::default(),
        }
    }

    /// A signed-in user, with the `gatehouse` capabilities they hold now.
    pub async fn user(
        authorizer: &Authorizer,
        user: Uuid,
        context: RequestContext,
    ) -> Result<Self, DomainError> {
        let held = authorizer.capabilities(user, Some(GATEHOUSE_API)).await?;
        Ok(Self {
            actor: Actor::User(user),
            capabilities: Some(Arc::new(held)),
            context,
        })
    }

    /// A caller holding exactly `capabilities` (from a verified token).
    pub fn with_capabilities(
        actor: Actor,
        capabilities: BTreeSet<String>,
        context: RequestContext,
    ) -> Self {
        Self {
            actor,
            capabilities: Some(Arc::new(capabilities)),
            context,
        }
    }

    /// Whether the operator holds `capability`.
    pub fn holds(&self, capability: &str) -> bool {
        self.capabilities
            .as_ref()
            .is_none_or(|held| held.contains(capability))
    }

    /// Ok when the operator holds `capability`.
    pub fn require(&self, capability: &str) -> Result<(), Forbidden> {
        if self.holds(capability) {
            Ok(())
        } else {
            Err(Forbidden(capability.to_owned()))
        }
    }

    /// The user id, when a user acts.
    pub fn user_id(&self) -> Option<Uuid> {
        match &self.actor {
            Actor::User(id) => Some(*id),
            _ => None,
        }
    }
}
