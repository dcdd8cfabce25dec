//! The job runner on a real store: retries, dead jobs, cron, many workers, crashed workers,
//! graceful shutdown.

mod crash;
mod mail;
mod runner;
mod support;
