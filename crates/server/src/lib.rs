//! The `gatehouse` binary's library: CLI, configuration, telemetry, wiring and graceful
//! shutdown. The only crate that names a concrete store.

pub mod accounts;
pub mod app;
pub mod cli;
pub mod commands;
pub mod config;
pub mod database;
pub mod error;
pub mod master_key;
pub mod oauth;
pub mod telemetry;
