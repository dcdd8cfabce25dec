//! Gatehouse's rules and use cases. This crate owns the storage ports (`store`) that the
//! adapters implement, and imports no HTTP, SQL or IO framework.

pub mod accounts;
pub mod audit;
pub mod authorization;
pub mod clock;
pub mod error;
pub mod jobs;
pub mod mail;
pub mod mfa;
pub mod oauth;
pub mod secrets;
pub mod store;
pub mod system;
pub mod users;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{DomainError, StoreError};
