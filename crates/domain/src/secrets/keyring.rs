//! The keyring: every data key, unwrapped once and kept in memory, created on first use for its
//! purpose. Nodes racing to create a purpose's key all end up with the one the store kept.

use std::{
    collections::HashMap,
    sync::{Arc, PoisonError, RwLock},
};

use uuid::Uuid;

use super::{DataKey, MasterKeys, random_bytes};
use crate::{
    Clock, DomainError,
    store::{DataKeyRow, Store, new_id},
};

/// What `keys rotate-master` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// Keys re-wrapped under the current master key.
    pub rewrapped: usize,
    /// Keys already wrapped under it.
    pub unchanged: usize,
    /// The current master key's id.
    pub master_key_id: String,
}

/// All data keys of one Gatehouse instance.
#[derive(Debug)]
pub struct Keyring {
    store: Arc<dyn Store>,
    masters: MasterKeys,
    clock: Arc<dyn Clock>,
    keys: RwLock<HashMap<String, Arc<DataKey>>>,
}

fn wrap_context(id: Uuid, purpose: &str) -> Vec<u8> {
    [
        b"gatehouse data key\0".as_slice(),
        id.as_bytes(),
        purpose.as_bytes(),
    ]
    .concat()
}

impl Keyring {
    /// A keyring over `store`, using `masters` to unwrap. Keys load lazily.
    pub fn new(store: Arc<dyn Store>, masters: MasterKeys, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            masters,
            clock,
            keys: RwLock::new(HashMap::new()),
        }
    }

    /// Unwraps every stored data key now, so a wrong master key is found at start-up.
    pub async fn check(&self) -> Result<usize, DomainError> {
        let rows = self.store.keys().data_keys().await?;
        for row in &rows {
            self.remember(self.unwrap_row(row)?);
        }
        Ok(rows.len())
    }

    fn unwrap_row(&self, row: &DataKeyRow) -> Result<DataKey, DomainError> {
        let master = self.masters.find(&row.master_key_id).ok_or_else(|| {
            DomainError::Key(format!(
                "data key {} ({}) is wrapped by master key {}, which is not configured",
                row.id, row.purpose, row.master_key_id
            ))
        })?;
        let material = master.unwrap_key(&row.wrapped, &wrap_context(row.id, &row.purpose))?;
        DataKey::from_bytes(row.id, &row.purpose, material)
    }

    fn remember(&self, key: DataKey) -> Arc<DataKey> {
        let key = Arc::new(key);
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        keys.insert(key.purpose().to_owned(), key.clone());
        key
    }

    fn cached(&self, purpose: &str) -> Option<Arc<DataKey>> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(purpose)
            .cloned()
    }

    /// The key for `purpose` if one was ever made; never creates one.
    pub async fn existing_key(&self, purpose: &str) -> Result<Option<Arc<DataKey>>, DomainError> {
        if let Some(key) = self.cached(purpose) {
            return Ok(Some(key));
        }
        let rows = self.store.keys().data_keys().await?;
        match rows.iter().find(|row| row.purpose == purpose) {
            Some(row) => Ok(Some(self.remember(self.unwrap_row(row)?))),
            None => Ok(None),
        }
    }

    /// The key for `purpose`, created and stored on first use.
    pub async fn key(&self, purpose: &str) -> Result<Arc<DataKey>, DomainError> {
        if let Some(key) = self.existing_key(purpose).await? {
            return Ok(key);
        }
        let id = new_id();
        let mut material = [0_u8; 32];
        random_bytes(&mut material)?;
        let row = DataKeyRow {
            id,
            purpose: purpose.to_owned(),
            wrapped: self
                .masters
                .current
                .wrap(&material, &wrap_context(id, purpose))?,
            master_key_id: self.masters.current.id().to_owned(),
            created_at: self.clock.now(),
        };
        let kept = self.store.keys().insert_data_key(&row).await?;
        Ok(self.remember(self.unwrap_row(&kept)?))
    }

    /// Creates the keys of `purposes` that do not exist yet. Called at start-up, so use cases
    /// never create a data key while their own transaction holds SQLite's single writer.
    pub async fn prepare(&self, purposes: &[&str]) -> Result<(), DomainError> {
        for purpose in purposes {
            self.key(purpose).await?;
        }
        Ok(())
    }

    /// Re-wraps every data key not yet under the current master key, in one transaction.
    pub async fn rotate_master(&self) -> Result<RotationReport, DomainError> {
        let rows = self.store.keys().data_keys().await?;
        let current = &self.masters.current;
        let mut rewrapped = Vec::new();
        for row in rows.iter().filter(|row| row.master_key_id != current.id()) {
            let key = self.unwrap_row(row)?;
            let context = wrap_context(row.id, &row.purpose);
            rewrapped.push(DataKeyRow {
                wrapped: current.wrap(key.material(), &context)?,
                master_key_id: current.id().to_owned(),
                ..row.clone()
            });
        }
        self.store.keys().rewrap_data_keys(&rewrapped).await?;
        Ok(RotationReport {
            rewrapped: rewrapped.len(),
            unchanged: rows.len() - rewrapped.len(),
            master_key_id: current.id().to_owned(),
        })
    }
}
