//! `audit verify` on a real database, after tampering with it as someone with write access
//! could (the per-backend tamper suites cover every kind of change; this checks the command's
//! output and exit code).

use super::fresh;

#[tokio::test]
async fn audit_verify_reports_an_intact_chain_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let binary = fresh(dir.path()).await;
    let migrated = binary.run(&["migrate"]);
    assert_eq!(migrated.code(), 0, "{}", migrated.stderr());
    assert_eq!(migrated.stdout(), "migrations applied\n");
    let empty = binary.run(&["audit", "verify"]);
    assert_eq!(empty.code(), 0, "{}", empty.stderr());
    assert_eq!(
        empty.stdout(),
        "audit chain intact: 0 records verified, 0 not chained yet\n"
    );
    for _ in 0..2 {
        binary.serve().await.terminate();
    }
    let verified = binary.run(&["audit", "verify"]);
    assert_eq!(
        verified.stdout(),
        "audit chain intact: 2 records verified, 0 not chained yet\n"
    );
}

#[tokio::test]
async fn audit_verify_before_migrate_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let binary = fresh(dir.path()).await;
    let run = binary.run(&["audit", "verify"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        run.stderr().contains("gatehouse migrate"),
        "{}",
        run.stderr()
    );
}
