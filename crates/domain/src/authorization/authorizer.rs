//! The per-node evaluator: the compiled model and each user's grants, cached until the model
//! version changes (polled by `watch`) or one of the user's assignments expires.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Arc, PoisonError, RwLock},
    time::Duration,
};

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use uuid::Uuid;

use super::CompiledModel;
use crate::{Clock, DomainError, store::Store};

/// The answer to "may this user do that?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the capability is held.
    pub allowed: bool,
    /// The user's roles that grant it (empty when denied).
    pub granted_by: Vec<String>,
}

/// One user's grants as of a model version.
#[derive(Debug)]
struct Grants {
    /// Capability → the user's roles that grant it.
    capabilities: BTreeMap<String, Vec<String>>,
    /// Recompute at this time (the earliest future expiry of an assignment).
    valid_until: Option<DateTime<Utc>>,
    /// Whether the account is active (an inactive one holds nothing).
    active: bool,
}

#[derive(Debug, Default)]
struct Cache {
    model: Arc<CompiledModel>,
    loaded: bool,
    users: HashMap<Uuid, Arc<Grants>>,
}

/// Evaluates capabilities for one node.
#[derive(Debug)]
pub struct Authorizer {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    cache: RwLock<Cache>,
}

impl Authorizer {
    /// An evaluator over `store`; the model loads on first use.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            cache: RwLock::new(Cache::default()),
        }
    }

    /// Reloads the model when its version changed (or was never loaded). True when it did.
    pub async fn refresh(&self) -> Result<bool, DomainError> {
        let version = self.store.rbac().version().await?;
        {
            let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
            if cache.loaded && cache.model.version == version {
                return Ok(false);
            }
        }
        let model = self.store.rbac().model().await?;
        let compiled =
            CompiledModel::compile(&model).map_err(|e| DomainError::Invalid(e.to_string()))?;
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        *cache = Cache {
            model: Arc::new(compiled),
            loaded: true,
            users: HashMap::new(),
        };
        Ok(true)
    }

    /// The compiled model (loading it first if needed).
    pub async fn model(&self) -> Result<Arc<CompiledModel>, DomainError> {
        if !self
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .loaded
        {
            self.refresh().await?;
        }
        Ok(self
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .model
            .clone())
    }

    /// Drops the user's cached grants (after a change to their assignments on this node).
    pub fn forget(&self, user: Uuid) {
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .users
            .remove(&user);
    }

    async fn grants(&self, user: Uuid) -> Result<Arc<Grants>, DomainError> {
        let now = self.clock.now();
        let model = self.model().await?;
        if let Some(grants) = self
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .users
            .get(&user)
            && grants.valid_until.is_none_or(|until| until > now)
        {
            return Ok(grants.clone());
        }
        let grants = Arc::new(self.compute(&model, user, now).await?);
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        if cache.model.version == model.version {
            cache.users.insert(user, grants.clone());
        }
        Ok(grants)
    }

    async fn compute(
        &self,
        model: &CompiledModel,
        user: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Grants, DomainError> {
        let active = self
            .store
            .users()
            .by_id(user)
            .await?
            .is_some_and(|row| row.status == "active");
        let assignments = if active {
            self.store.rbac().user_assignments(user).await?
        } else {
            Default::default()
        };
        let valid_until = assignments
            .roles
            .iter()
            .filter_map(|held| held.expires_at)
            .filter(|end| *end > now)
            .min();
        let mut capabilities: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for role in model.roles_of(&assignments, now) {
            let name = model.role_name(role).unwrap_or_default().to_owned();
            for capability in model.role_capabilities(role).into_iter().flatten() {
                capabilities
                    .entry(capability.clone())
                    .or_default()
                    .push(name.clone());
            }
        }
        Ok(Grants {
            capabilities,
            valid_until,
            active,
        })
    }

    /// The names of the roles `user` holds now (directly, unexpired, or through a group).
    pub async fn role_names(&self, user: Uuid) -> Result<BTreeSet<String>, DomainError> {
        let model = self.model().await?;
        let assignments = self.store.rbac().user_assignments(user).await?;
        Ok(model
            .roles_of(&assignments, self.clock.now())
            .into_iter()
            .filter_map(|role| model.role_name(role).map(str::to_owned))
            .collect())
    }

    /// Whether `user` exists and is active, as of the cached grants (account changes that matter,
    /// such as disabling, bump the model version, so every node sees them within its poll).
    pub async fn is_active(&self, user: Uuid) -> Result<bool, DomainError> {
        Ok(self.grants(user).await?.active)
    }

    /// Whether `user` holds `capability`, and through which roles.
    pub async fn check(&self, user: Uuid, capability: &str) -> Result<Decision, DomainError> {
        let grants = self.grants(user).await?;
        Ok(match grants.capabilities.get(capability) {
            Some(roles) => Decision {
                allowed: true,
                granted_by: roles.clone(),
            },
            None => Decision {
                allowed: false,
                granted_by: Vec::new(),
            },
        })
    }

    /// Every capability `user` holds, optionally only those of the API with `audience`.
    pub async fn capabilities(
        &self,
        user: Uuid,
        audience: Option<&str>,
    ) -> Result<BTreeSet<String>, DomainError> {
        let grants = self.grants(user).await?;
        let model = self.model().await?;
        Ok(grants
            .capabilities
            .keys()
            .filter(|name| {
                audience.is_none_or(|audience| model.audience_of(name) == Some(audience))
            })
            .cloned()
            .collect())
    }

    /// Polls the model version every `interval` until `shutdown`, so changes made on other
    /// nodes take effect here within about `interval`.
    pub fn watch(
        self: Arc<Self>,
        interval: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            while !*shutdown.borrow() {
                if let Err(error) = self.refresh().await {
                    tracing::warn!(error = %error, "reloading the authorization model failed");
                }
                tokio::select! {
                    () = tokio::time::sleep(interval) => {}
                    _ = shutdown.changed() => {}
                }
            }
        })
    }
}
