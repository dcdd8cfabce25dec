//! `serve`, `healthcheck` and the single-node rule of the embedded database.

use super::fresh;
use crate::support::{Gatehouse, use_postgres};

#[tokio::test]
async fn serve_records_its_start_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let binary = fresh(dir.path()).await;
    let server = binary.serve().await;
    let healthy = binary.run(&["healthcheck", "--url", &server.base_url]);
    assert_eq!(healthy.code(), 0, "{}", healthy.stderr());
    assert_eq!(healthy.stdout(), "ready\n");
    let stopped = server.terminate();
    assert_eq!(stopped.code(), 0, "{}", stopped.stderr());
    assert!(
        stopped.stdout().is_empty(),
        "logs go to stderr: {}",
        stopped.stdout()
    );
    let verified = binary.run(&["audit", "verify"]);
    assert!(
        verified.stdout().contains("1 records verified"),
        "{}",
        verified.stdout()
    );
}

#[tokio::test]
async fn a_killed_server_loses_nothing_and_starts_again() {
    let dir = tempfile::tempdir().unwrap();
    let binary = fresh(dir.path()).await;
    let killed = binary.serve().await.kill();
    assert_ne!(killed.code(), 0);
    let restarted = binary.serve().await;
    assert_eq!(restarted.terminate().code(), 0);
    let verified = binary.run(&["audit", "verify"]);
    assert_eq!(verified.code(), 0, "{}", verified.stderr());
    assert!(
        verified
            .stdout()
            .contains("2 records verified, 0 not chained yet"),
        "{}",
        verified.stdout()
    );
}

#[tokio::test]
async fn healthcheck_fails_when_nothing_answers() {
    let dir = tempfile::tempdir().unwrap();
    let run = Gatehouse::new(dir.path()).run(&["healthcheck", "--url", "http://127.0.0.1:9"]);
    assert_eq!(run.code(), 1);
}

#[tokio::test]
async fn a_second_serve_on_the_same_sqlite_data_dir_is_refused() {
    if use_postgres() {
        return; // several nodes on one PostgreSQL database is the point
    }
    let dir = tempfile::tempdir().unwrap();
    let binary = Gatehouse::new(dir.path());
    let first = binary.serve().await;
    let second = binary.run(&["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(second.code(), 1);
    assert!(
        second.stderr().contains("already running"),
        "{}",
        second.stderr()
    );
    let healthy = binary.run(&["healthcheck", "--url", &first.base_url]);
    assert_eq!(healthy.code(), 0, "the first server is unharmed");
    let migrate = binary.run(&["migrate"]);
    assert_eq!(
        migrate.code(),
        0,
        "other commands still work: {}",
        migrate.stderr()
    );
    first.terminate();
}
