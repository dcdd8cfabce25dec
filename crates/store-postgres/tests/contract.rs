//! The shared storage contract, on PostgreSQL: every test runs on a database of its own.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failed step is a failed test"
)]

mod common;

use std::sync::Arc;

use gatehouse_domain::store::Store;

/// A fresh, migrated store, or `None` when no test server is configured.
async fn fresh_store() -> Option<Arc<dyn Store>> {
    let (store, _url) = common::fresh_store().await?;
    Some(Arc::new(store))
}

gatehouse_store_contract::store_contract_tests!(fresh_store().await);
