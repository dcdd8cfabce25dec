//! What runs later: the job runner (claims, leases, heartbeats, retries, cron), Gatehouse's job
//! kinds, and the audit chainer loop.

pub mod chainer;
pub mod handlers;
pub mod mail;
mod runner;

pub use runner::{JobError, JobHandler, QueueConfig, Runner, RunnerConfig};
