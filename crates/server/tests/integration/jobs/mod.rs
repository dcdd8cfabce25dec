//! The job runner on a real store: retries, dead jobs, cron, many workers, crashed workers,
//! graceful shutdown.

mod crash;
mod runner;
mod support;
