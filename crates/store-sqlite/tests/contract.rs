//! The shared storage contract (`gatehouse-store-contract`), run against SQLite: every test gets
//! a new, migrated database file in its own temporary directory.

#![expect(clippy::unwrap_used, reason = "a test: a failed step is a failed test")]

#[expect(dead_code, reason = "the contract suite needs only `fresh_store`")]
mod common;

use common::fresh_store;

gatehouse_store_contract::store_contract_tests!(fresh_store().await);
