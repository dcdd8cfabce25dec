//! HTTP behaviour, mirroring `crates/web/src`.

mod health;
mod layers;
mod metrics;
