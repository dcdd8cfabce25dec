//! `gatehouse keys generate-master` and `gatehouse keys rotate-master`

use std::sync::Arc;

use gatehouse_domain::{
    Clock, SystemClock,
    secrets::{Keyring, MasterKey, MasterKeys},
};

use super::Context;
use crate::{
    error::Failure,
    master_key::{self, KeySource},
};

/// Prints a new master key: one line, base64url without padding.
pub fn generate_master() -> Result<(), Failure> {
    println!("{}", MasterKey::generate()?.encode());
    Ok(())
}

/// Re-wraps every data key under the current master key. With a configured key, the old keys
/// come from `secrets.previous_master_keys`. With the key file, a new key is generated (kept in
/// `master.key.next` until every data key is re-wrapped, so a crash loses nothing) and then
/// replaces `master.key`.
pub async fn rotate_master(context: Context) -> Result<(), Failure> {
    let database = context.open_migrated().await?;
    let source = master_key::source(&context.config, &context.data_dir, database.is_postgres())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let report = match source {
        KeySource::Configured(keys) => {
            Keyring::new(database.store(), keys, clock)
                .rotate_master()
                .await?
        }
        KeySource::File(dir) => {
            let old = master_key::load(&KeySource::File(dir.clone()))?;
            let _lock = master_key::lock(&dir)?;
            let next_path = master_key::next_path(&dir);
            let next = match master_key::read(&next_path)? {
                Some(interrupted) => interrupted,
                None => {
                    let fresh = MasterKey::generate()?;
                    master_key::write_new(&next_path, &fresh)?;
                    fresh
                }
            };
            let keys = MasterKeys {
                current: next.clone(),
                previous: vec![old.current],
            };
            let report = Keyring::new(database.store(), keys, clock)
                .rotate_master()
                .await?;
            std::fs::rename(&next_path, master_key::current_path(&dir))
                .map_err(|e| Failure::failed(format!("cannot replace the master key file: {e}")))?;
            report
        }
    };
    println!(
        "re-wrapped {} data keys under master key {} ({} already were)",
        report.rewrapped, report.master_key_id, report.unchanged
    );
    Ok(())
}
