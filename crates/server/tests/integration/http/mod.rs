//! HTTP behaviour, mirroring `crates/web/src`.

pub mod account;
mod authorize;
pub mod console;
mod health;
mod layers;
mod metrics;
mod webauthn;
