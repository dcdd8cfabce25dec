//! The shape every change takes: the actor's permission, then one transaction that locks the
//! model, reads it, writes, bumps the model version and records the audit event; after commit,
//! this node reloads the model so the change is in force here at once.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Administrator, Authorization, AuthorizationError, Who};
use crate::{
    audit::{Outcome, record},
    authorization::CompiledModel,
    store::{ApiRow, CapabilityRow, GroupRow, RbacModel, RoleRow, Transaction},
};

/// Reloads the model if needed, then refuses unless the actor holds `capability`.
pub(super) async fn require(
    deps: &Authorization,
    actor: &dyn Administrator,
    capability: &str,
) -> Result<(), AuthorizationError> {
    deps.authorizer.refresh().await?;
    let allowed = match actor.who() {
        Who::User(user) => deps.authorizer.check(user, capability).await?.allowed,
        Who::Service(operator) => operator.holds(capability),
    };
    if allowed {
        Ok(())
    } else {
        Err(AuthorizationError::Forbidden {
            capability: capability.to_owned(),
        })
    }
}

/// Compiles `model`, reporting an inclusion cycle against the `includes` field.
pub(super) fn compile(model: &RbacModel) -> Result<CompiledModel, AuthorizationError> {
    CompiledModel::compile(model).map_err(|error| AuthorizationError::Invalid {
        field: "includes",
        message: error.to_string(),
    })
}

/// One change in progress, holding the model lock.
pub(super) struct Change<'a> {
    deps: &'a Authorization,
    actor: &'a dyn Administrator,
    transaction: Box<dyn Transaction>,
    /// The model as of the lock: nobody else changes it until this change ends.
    pub(super) model: RbacModel,
    /// The time of the change.
    pub(super) now: DateTime<Utc>,
}

impl<'a> Change<'a> {
    /// Begins the transaction, takes the model lock and reads the model.
    pub(super) async fn begin(
        deps: &'a Authorization,
        actor: &'a dyn Administrator,
    ) -> Result<Self, AuthorizationError> {
        let mut transaction = deps.store.begin().await?;
        transaction.lock_rbac().await?;
        let model = deps.store.rbac().model().await?;
        Ok(Self {
            deps,
            actor,
            transaction,
            model,
            now: deps.clock.now(),
        })
    }

    /// The transaction to write through.
    pub(super) fn writes(&mut self) -> &mut dyn Transaction {
        &mut *self.transaction
    }

    /// Bumps the model version, records `action` on `target` with `details`, commits, and
    /// reloads the model on this node (other nodes notice the version within their poll).
    pub(super) async fn commit(
        mut self,
        action: &str,
        target: String,
        details: serde_json::Value,
    ) -> Result<(), AuthorizationError> {
        self.transaction.bump_rbac_version().await?;
        let who = self.actor.who();
        let mut event = self.actor.context().event(
            who.audit_actor(),
            action,
            Outcome::Success,
            who.user(),
            None,
        );
        event.target = Some(target);
        event.details = Some(details);
        record(&mut *self.transaction, &self.deps.keyring, self.now, event).await?;
        self.transaction.commit().await?;
        if let Err(error) = self.deps.authorizer.refresh().await {
            // Committed already; the version poll reloads the model later.
            tracing::warn!(error = %error, "reloading the authorization model failed");
        }
        Ok(())
    }

    /// The API with `id`.
    pub(super) fn api(&self, id: Uuid) -> Result<ApiRow, AuthorizationError> {
        find(&self.model.apis, |row| row.id == id).ok_or(AuthorizationError::missing("api", id))
    }

    /// The capability with `id`.
    pub(super) fn capability(&self, id: Uuid) -> Result<CapabilityRow, AuthorizationError> {
        find(&self.model.capabilities, |row| row.id == id)
            .ok_or(AuthorizationError::missing("capability", id))
    }

    /// The role with `id`.
    pub(super) fn role(&self, id: Uuid) -> Result<RoleRow, AuthorizationError> {
        find(&self.model.roles, |row| row.id == id).ok_or(AuthorizationError::missing("role", id))
    }

    /// The group with `id`.
    pub(super) fn group(&self, id: Uuid) -> Result<GroupRow, AuthorizationError> {
        find(&self.model.groups, |row| row.id == id).ok_or(AuthorizationError::missing("group", id))
    }

    /// Refuses unless the user exists.
    pub(super) async fn user_exists(&mut self, id: Uuid) -> Result<(), AuthorizationError> {
        match self.deps.store.users().by_id(id).await? {
            Some(_) => Ok(()),
            None => Err(AuthorizationError::missing("user", id)),
        }
    }
}

/// `ids` without repeats, each known to the model; `NotFound` for the first that is not.
pub(super) fn existing(
    kind: &'static str,
    ids: &[Uuid],
    known: impl Fn(Uuid) -> bool,
) -> Result<Vec<Uuid>, AuthorizationError> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    match ids.iter().find(|id| !known(**id)) {
        Some(id) => Err(AuthorizationError::missing(kind, *id)),
        None => Ok(ids),
    }
}

/// Replaces the links from `owner` in `pairs` with `targets`.
pub(super) fn replace_links(pairs: &mut Vec<(Uuid, Uuid)>, owner: Uuid, targets: &[Uuid]) {
    pairs.retain(|(from, _)| *from != owner);
    pairs.extend(targets.iter().map(|to| (owner, *to)));
    pairs.sort();
}

fn find<T: Clone>(rows: &[T], matches: impl Fn(&T) -> bool) -> Option<T> {
    rows.iter().find(|row| matches(row)).cloned()
}

/// Refuses a change to a row whose stored version is not the one the actor edited.
pub(super) fn check_version(
    kind: &'static str,
    name: &str,
    expected: i64,
    actual: i64,
) -> Result<(), AuthorizationError> {
    if expected == actual {
        Ok(())
    } else {
        Err(AuthorizationError::Conflict {
            kind,
            name: name.to_owned(),
            expected,
            actual,
        })
    }
}

/// Maps a store's `AlreadyExists` to the named object (a race the model check did not see).
pub(super) fn taken(
    kind: &'static str,
    name: &str,
) -> impl FnOnce(crate::StoreError) -> AuthorizationError {
    let name = name.to_owned();
    move |error| match error {
        crate::StoreError::AlreadyExists(_) => AuthorizationError::AlreadyExists { kind, name },
        other => other.into(),
    }
}
