//! HTTP behaviour, mirroring `crates/web/src`.

pub mod account;
mod api_v1;
mod authorize;
pub mod console;
mod health;
mod layers;
mod metrics;
mod oauth;
mod webauthn;
