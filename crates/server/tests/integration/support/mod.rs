//! Test harness: fresh databases on either backend, a running app, the built binary.

pub mod app;
pub mod binary;
pub mod database;
pub mod proxy;

pub use app::TestApp;
pub use binary::Gatehouse;
pub use database::{TestDatabase, postgres_base_url, use_postgres};
