//! HTTP behaviour, mirroring `crates/web/src`.

mod account;
mod health;
mod layers;
mod metrics;
