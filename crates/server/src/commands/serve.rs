//! `gatehouse serve`

use std::{fs::File, path::Path, sync::Arc};

use gatehouse_domain::{Clock, SystemClock, system::record_start};
use tokio::net::TcpListener;

use super::Context;
use crate::{
    app::{self, Services},
    database::Database,
    error::Failure,
    master_key, telemetry,
};

/// SQLite mode is single-node: a second `serve` on the same data directory is refused.
fn lock_data_dir(dir: &Path) -> Result<File, Failure> {
    let path = dir.join("serve.lock");
    let file = File::create(&path)
        .map_err(|e| Failure::failed(format!("cannot create {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(_) => Err(Failure::failed(format!(
            "another `gatehouse serve` is already running on {}; the embedded SQLite database serves one node (use PostgreSQL to run several)",
            dir.display()
        ))),
    }
}

/// Runs the server until SIGTERM or SIGINT, then shuts down gracefully.
pub async fn run(context: Context) -> Result<(), Failure> {
    let config = &context.config;
    telemetry::init_logging(&config.log);
    let key_source = master_key::source(config, &context.data_dir, config.database.url.is_some())?;
    let database = Database::open(config, &context.data_dir).await?;
    let _serve_lock = match &database {
        Database::Sqlite(_) => Some(lock_data_dir(&context.data_dir)?),
        Database::Postgres(_) => None,
    };
    database.migrate().await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let keyring = Arc::new(gatehouse_domain::secrets::Keyring::new(
        database.store(),
        master_key::load(&key_source)?,
        clock.clone(),
    ));
    keyring.check().await?;
    keyring
        .prepare(gatehouse_domain::secrets::purpose::ALL)
        .await?;
    let services = Services::new(config, database.store(), keyring, clock, &context.data_dir)?;
    record_start(
        &*services.store,
        &services.keyring,
        &*services.clock,
        env!("CARGO_PKG_VERSION"),
        &hostname(),
    )
    .await?;
    crate::accounts::offer_setup(&services.accounts, &context.data_dir).await?;
    let listener = TcpListener::bind(config.http.listen)
        .await
        .map_err(|e| Failure::failed(format!("cannot listen on {}: {e}", config.http.listen)))?;
    let running = app::start(config, &services, listener)?;
    tracing::info!(address = %running.address, public_url = %config.http.public_url, "gatehouse is ready");
    wait_for_signal().await;
    tracing::info!("shutting down");
    running.shutdown();
    running.wait().await
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_default()
}

async fn wait_for_signal() {
    let interrupt = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = interrupt => {}
                _ = terminate.recv() => {}
            }
        }
        Err(_) => drop(interrupt.await),
    }
}
