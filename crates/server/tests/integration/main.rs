//! Gatehouse's integration tests: one binary. `http/` mirrors `web/src` and drives a real server
//! through `TestApp`; `cli/` runs the built `gatehouse` binary; `jobs/` runs the job runner on a
//! real store. Every test runs on SQLite, or on PostgreSQL when `GATEHOUSE_TEST_BACKEND=postgres`
//! and `TEST_DATABASE_URL` are set (scripts/test does both).

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failed step is a failed test"
)]

mod accounts;
mod authorization;
mod cli;
mod http;
mod jobs;
mod support;
