//! The command line, run as a process (INTERFACE.md: options, stdout, exit codes).

mod audit;
mod client;
mod config;
mod database;
mod keys;
mod rbac;
mod serve;
mod user;

use crate::support::{Gatehouse, postgres_base_url, use_postgres};
use gatehouse_domain::secrets::MasterKey;

/// The binary on a fresh data directory and, under PostgreSQL, a fresh database with a master
/// key configured.
pub async fn fresh(dir: &std::path::Path) -> Gatehouse {
    let binary = Gatehouse::new(dir);
    if !use_postgres() {
        return binary;
    }
    let url = gatehouse_store_postgres::testing::fresh_database(&postgres_base_url().unwrap())
        .await
        .unwrap();
    binary.env("DATABASE_URL", &url).env(
        "GATEHOUSE__SECRETS__MASTER_KEY",
        &MasterKey::generate().unwrap().encode(),
    )
}
