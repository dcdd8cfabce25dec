//! One module per command.

pub mod audit;
pub mod client;
pub mod config_print;
pub mod healthcheck;
pub mod keys;
pub mod migrate;
pub mod rbac;
pub mod serve;
pub mod user;

use std::{path::PathBuf, sync::Arc};

use gatehouse_domain::{Clock, SystemClock, secrets::Keyring};

use crate::{config::Config, database::Database, error::Failure, master_key};

/// What every command gets.
#[derive(Debug)]
pub struct Context {
    /// The effective configuration.
    pub config: Config,
    /// `--data-dir`.
    pub data_dir: PathBuf,
}

impl Context {
    /// Opens the database and checks it is migrated.
    pub async fn open_migrated(&self) -> Result<Database, Failure> {
        let database = Database::open(&self.config, &self.data_dir).await?;
        database
            .store()
            .check_ready()
            .await
            .map_err(|error| Failure::failed(format!("{error}; run `gatehouse migrate` first")))?;
        Ok(database)
    }

    /// The keyring over `database`, with its keys checked.
    pub async fn keyring(&self, database: &Database) -> Result<Arc<Keyring>, Failure> {
        let source = master_key::source(&self.config, &self.data_dir, database.is_postgres())?;
        let keys = master_key::load(&source)?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let keyring = Arc::new(Keyring::new(database.store(), keys, clock));
        keyring.check().await?;
        Ok(keyring)
    }
}
