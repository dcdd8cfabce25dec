//! `gatehouse user create` and the first-administrator setup link.

use std::os::unix::fs::PermissionsExt;

use super::fresh;

const STRONG: &str = "lantern orbit pickle marathon\n";

#[tokio::test]
async fn user_create_reads_the_password_from_stdin_and_prints_the_id() {
    let dir = tempfile::tempdir().unwrap();
    let binary = fresh(dir.path()).await;
    binary.run(&["migrate"]);
    let args = [
        "user",
        "create",
        "--email",
        "Admin@Example.com",
        "--password-stdin",
        "--verified",
        "--role",
        "gatehouse:admin",
    ];
    let created = binary.run_with_input(&args, STRONG);
    assert_eq!(created.code(), 0, "{}", created.stderr());
    let id = created.stdout();
    assert!(uuid::Uuid::parse_str(id.trim()).is_ok(), "{id}");
    assert_eq!(id.lines().count(), 1);

    let again = binary.run_with_input(
        &[
            "user",
            "create",
            "--email",
            "admin@example.com",
            "--password-stdin",
        ],
        STRONG,
    );
    assert_eq!(again.code(), 1);
    assert!(
        again.stderr().contains("another account"),
        "{}",
        again.stderr()
    );
    let weak = binary.run_with_input(
        &[
            "user",
            "create",
            "--email",
            "b@example.com",
            "--password-stdin",
        ],
        "passwordpassword\n",
    );
    assert_eq!(weak.code(), 1);
    assert!(weak.stderr().contains("easy to guess"), "{}", weak.stderr());
    let role = binary.run_with_input(
        &[
            "user",
            "create",
            "--email",
            "c@example.com",
            "--password-stdin",
            "--role",
            "nobody",
        ],
        STRONG,
    );
    assert_eq!(role.code(), 2);
    let missing_flag = binary.run(&["user", "create", "--email", "d@example.com"]);
    assert_eq!(missing_flag.code(), 2);
}

#[tokio::test]
async fn serve_offers_a_setup_link_only_while_no_administrator_exists() {
    let dir = tempfile::tempdir().unwrap();
    let binary = fresh(dir.path()).await;
    let server = binary.serve().await;
    let stopped = server.terminate();
    let link_file = dir.path().join("setup-url");
    let link = std::fs::read_to_string(&link_file).unwrap();
    assert!(
        link.starts_with("http://localhost:8080/setup?token="),
        "{link}"
    );
    assert_eq!(
        std::fs::metadata(&link_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let token = link.trim().rsplit('=').next().unwrap();
    assert!(
        !stopped.stderr().contains(token),
        "the link must not reach the log"
    );

    std::fs::remove_file(&link_file).unwrap();
    let args = [
        "user",
        "create",
        "--email",
        "admin@example.com",
        "--password-stdin",
        "--role",
        "gatehouse:admin",
    ];
    assert_eq!(binary.run_with_input(&args, STRONG).code(), 0);
    binary.serve().await.terminate();
    assert!(
        !link_file.exists(),
        "no new link once an administrator exists"
    );
}
