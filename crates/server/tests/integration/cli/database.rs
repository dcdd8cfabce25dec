//! Start-up against a database that is corrupt, unreachable or misconfigured.

use gatehouse_domain::secrets::MasterKey;

use crate::support::Gatehouse;

#[test]
fn a_corrupt_sqlite_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gatehouse.db");
    let garbage: Vec<u8> = (0..8_192_u32)
        .map(|index| (index * 31 % 251) as u8)
        .collect();
    std::fs::write(&file, &garbage).unwrap();
    for command in [&["serve", "--listen", "127.0.0.1:0"][..], &["migrate"][..]] {
        let run = Gatehouse::new(dir.path()).run(command);
        assert_eq!(run.code(), 1, "{}", run.stderr());
        assert!(run.stderr().contains("corrupt"), "{}", run.stderr());
    }
    assert_eq!(std::fs::read(&file).unwrap(), garbage);
    assert!(!dir.path().join("master.key").exists());
}

#[test]
fn an_unreachable_postgres_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let run = Gatehouse::new(dir.path())
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/gatehouse")
        .env(
            "GATEHOUSE__SECRETS__MASTER_KEY",
            &MasterKey::generate().unwrap().encode(),
        )
        .env("GATEHOUSE__DATABASE__POOL__ACQUIRE_TIMEOUT_SECS", "1")
        .run(&["migrate"]);
    assert_eq!(run.code(), 3, "{}", run.stderr());
    assert!(run.stderr().contains("unavailable"), "{}", run.stderr());
}

#[test]
fn postgres_without_a_master_key_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = Gatehouse::new(dir.path())
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/gatehouse")
        .run(&["serve"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr().contains("secrets.master_key"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("keys generate-master"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_malformed_master_key_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let run = Gatehouse::new(dir.path())
        .env("GATEHOUSE__SECRETS__MASTER_KEY", "too-short")
        .run(&["serve"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr().contains("secrets.master_key"),
        "{}",
        run.stderr()
    );
}
