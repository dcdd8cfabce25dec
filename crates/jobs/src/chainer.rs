//! The audit chainer loop: links committed audit records to the chain shortly after they commit.
//! Every node runs one; the store's chainer lock makes them take turns.

use std::{sync::Arc, time::Duration};

use gatehouse_domain::{Clock, audit::chain_pending, secrets::Keyring, store::Store};
use tokio::{sync::watch, task::JoinHandle};

const BATCH: u32 = 500;

/// Links pending records until none are left. Returns how many it linked.
pub async fn chain_all(store: &dyn Store, keyring: &Keyring, clock: &dyn Clock) -> usize {
    let mut total = 0;
    loop {
        match chain_pending(store, keyring, clock.now(), BATCH).await {
            Ok(linked) => {
                total += linked;
                if linked < BATCH as usize {
                    return total;
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, "chaining audit records failed");
                return total;
            }
        }
    }
}

/// Runs [`chain_all`] every `interval` until `shutdown`, then once more.
pub fn spawn(
    store: Arc<dyn Store>,
    keyring: Arc<Keyring>,
    clock: Arc<dyn Clock>,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while !*shutdown.borrow() {
            chain_all(&*store, &keyring, &*clock).await;
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => {}
            }
        }
        chain_all(&*store, &keyring, &*clock).await;
    })
}
