//! Where the master key comes from: `secrets.master_key` (required with PostgreSQL), or, for the
//! embedded SQLite default, `DATA_DIR/master.key` (0600), created under a file lock by the first
//! command that needs it. A `master.key.next` left by an interrupted rotation is kept in play.

use std::{
    fs::{self, File, OpenOptions},
    io::Write,
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
};

use gatehouse_domain::secrets::{MasterKey, MasterKeys};

use crate::{config::Config, error::Failure};

const FILE: &str = "master.key";
const NEXT: &str = "master.key.next";

/// Where the keys live.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// From configuration.
    Configured(MasterKeys),
    /// From `DATA_DIR/master.key`.
    File(PathBuf),
}

/// Decides the key source. With PostgreSQL a configured key is required.
pub fn source(config: &Config, data_dir: &Path, postgres: bool) -> Result<KeySource, Failure> {
    let Some(current) = &config.secrets.master_key else {
        if postgres {
            return Err(Failure::usage(
                "configuration error: secrets.master_key: required with PostgreSQL; create one with `gatehouse keys generate-master` and set GATEHOUSE__SECRETS__MASTER_KEY",
            ));
        }
        return Ok(KeySource::File(data_dir.to_path_buf()));
    };
    let parse = |key: &str, value: &str| {
        MasterKey::parse(value)
            .map_err(|e| Failure::usage(format!("configuration error: {key}: {e}")))
    };
    let current = parse("secrets.master_key", current.expose())?;
    let previous = config
        .secrets
        .previous_master_keys
        .iter()
        .enumerate()
        .map(|(index, key)| {
            parse(
                &format!("secrets.previous_master_keys[{index}]"),
                key.expose(),
            )
        })
        .collect::<Result<_, _>>()?;
    Ok(KeySource::Configured(MasterKeys { current, previous }))
}

/// The keys to use, creating `master.key` if this is the first use.
pub fn load(source: &KeySource) -> Result<MasterKeys, Failure> {
    match source {
        KeySource::Configured(keys) => Ok(keys.clone()),
        KeySource::File(dir) => {
            let _lock = lock(dir)?;
            let current = match read(&dir.join(FILE))? {
                Some(key) => key,
                None => {
                    let key = MasterKey::generate()?;
                    write_new(&dir.join(FILE), &key)?;
                    key
                }
            };
            let previous = read(&dir.join(NEXT))?.into_iter().collect();
            Ok(MasterKeys { current, previous })
        }
    }
}

/// A lock on the key files, held while they are read or replaced.
pub fn lock(dir: &Path) -> Result<File, Failure> {
    fs::create_dir_all(dir)
        .map_err(|e| Failure::failed(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join("master.key.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| Failure::failed(format!("cannot open {}: {e}", path.display())))?;
    file.lock()
        .map_err(|e| Failure::failed(format!("cannot lock {}: {e}", path.display())))?;
    Ok(file)
}

/// Reads a key file if it exists.
pub fn read(path: &Path) -> Result<Option<MasterKey>, Failure> {
    match fs::read_to_string(path) {
        Ok(text) => MasterKey::parse(&text)
            .map(Some)
            .map_err(|e| Failure::failed(format!("{} is not a master key: {e}", path.display()))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(Failure::failed(format!(
            "cannot read {}: {error}",
            path.display()
        ))),
    }
}

/// Writes a key file readable only by its owner, atomically (temporary file, then rename).
pub fn write_new(path: &Path, key: &MasterKey) -> Result<(), Failure> {
    let temporary = path.with_extension("tmp");
    let write = || -> std::io::Result<()> {
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&temporary)?;
        writeln!(file, "{}", key.encode())?;
        file.sync_all()?;
        fs::rename(&temporary, path)
    };
    write().map_err(|e| Failure::failed(format!("cannot write {}: {e}", path.display())))
}

/// The file a rotation writes the new key to before re-wrapping.
pub fn next_path(dir: &Path) -> PathBuf {
    dir.join(NEXT)
}

/// The key file.
pub fn current_path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}
