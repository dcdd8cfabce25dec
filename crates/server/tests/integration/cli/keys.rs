//! `keys generate-master` and `keys rotate-master`.

use gatehouse_domain::secrets::MasterKey;

use super::fresh;
use crate::support::{Gatehouse, use_postgres};

#[test]
fn generate_master_prints_one_url_safe_key_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let run = Gatehouse::new(dir.path()).run(&["keys", "generate-master"]);
    assert_eq!(run.code(), 0);
    let stdout = run.stdout();
    assert_eq!(stdout.lines().count(), 1);
    let key = stdout.trim_end_matches('\n');
    assert_eq!(key.len(), 43);
    assert!(
        key.bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    );
    assert!(MasterKey::parse(key).is_ok());
    assert_ne!(
        Gatehouse::new(dir.path())
            .run(&["keys", "generate-master"])
            .stdout(),
        stdout
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "no file written"
    );
}

async fn record_an_event(binary: &Gatehouse) {
    let server = binary.serve().await;
    let stopped = server.terminate();
    assert_eq!(stopped.code(), 0, "{}", stopped.stderr());
    let verified = binary.run(&["audit", "verify"]);
    assert_eq!(verified.code(), 0, "{}", verified.stderr());
    assert!(
        verified.stdout().contains("1 records verified"),
        "{}",
        verified.stdout()
    );
}

#[tokio::test]
async fn rotate_master_with_the_key_file_replaces_it_and_keeps_everything_readable() {
    if use_postgres() {
        return; // PostgreSQL always uses a configured key; see the test below
    }
    let dir = tempfile::tempdir().unwrap();
    let binary = Gatehouse::new(dir.path());
    record_an_event(&binary).await;
    let key_file = dir.path().join("master.key");
    let before = std::fs::read_to_string(&key_file).unwrap();
    let rotated = binary.run(&["keys", "rotate-master"]);
    assert_eq!(rotated.code(), 0, "{}", rotated.stderr());
    assert!(
        rotated.stdout().starts_with("re-wrapped 8 data keys"),
        "{}",
        rotated.stdout()
    );
    let after = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(before, after);
    assert!(!dir.path().join("master.key.next").exists());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let verified = binary.run(&["audit", "verify"]);
    assert_eq!(verified.code(), 0, "{}", verified.stderr());
}

#[tokio::test]
async fn rotate_master_with_configured_keys_moves_data_keys_to_the_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let old = MasterKey::generate().unwrap().encode();
    let new = MasterKey::generate().unwrap().encode();
    let base = fresh(dir.path()).await;
    let with_old = base.env("GATEHOUSE__SECRETS__MASTER_KEY", &old);
    record_an_event(&with_old).await;

    let with_new = fresh_env(&with_old, &new, None);
    let refused = with_new.run(&["audit", "verify"]);
    assert_eq!(refused.code(), 1);
    assert!(
        refused.stderr().contains("not configured"),
        "{}",
        refused.stderr()
    );

    let rotating = fresh_env(&with_old, &new, Some(&old));
    let rotated = rotating.run(&["keys", "rotate-master"]);
    assert_eq!(rotated.code(), 0, "{}", rotated.stderr());
    assert!(
        rotated.stdout().starts_with("re-wrapped 8 data keys"),
        "{}",
        rotated.stdout()
    );
    let verified = with_new.run(&["audit", "verify"]);
    assert_eq!(verified.code(), 0, "{}", verified.stderr());
}

/// The same binary settings with another master key (and optionally a previous one).
fn fresh_env(binary: &Gatehouse, current: &str, previous: Option<&str>) -> Gatehouse {
    let mut next = binary
        .clone_settings()
        .env("GATEHOUSE__SECRETS__MASTER_KEY", current);
    if let Some(previous) = previous {
        next = next.env("GATEHOUSE__SECRETS__PREVIOUS_MASTER_KEYS", previous);
    }
    next
}
