//! Opening SQLite files: files that are not databases are refused untouched, new files become
//! WAL databases, and readiness follows the migrations.

#![expect(clippy::unwrap_used, reason = "a test: a failed step is a failed test")]

#[expect(dead_code, reason = "these tests use only part of the shared helpers")]
mod common;

use gatehouse_domain::StoreError;
use gatehouse_domain::store::Store;
use gatehouse_store_sqlite::SqliteStore;
use sqlx::Executor;

use common::{TestStore, raw_connection};

async fn assert_refused_as_corrupt(bytes: &[u8]) {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("not-a-database.db");
    std::fs::write(&path, bytes).unwrap();
    let error = SqliteStore::open(&path).await.unwrap_err();
    assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
    assert!(!error.to_string().is_empty());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the file was modified"
    );
    let mut names: Vec<_> = std::fs::read_dir(directory.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, vec!["not-a-database.db"], "files were added");
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_refused_untouched() {
    assert_refused_as_corrupt(b"{\"this\": \"is json, not SQLite\"}\n").await;
    assert_refused_as_corrupt(&[0xff; 8192]).await;
    assert_refused_as_corrupt(b"SQLite").await;
}

#[tokio::test]
async fn a_database_header_over_garbage_is_corrupt() {
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend(std::iter::repeat_n(0xa5_u8, 8192 - bytes.len()));
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("garbled.db");
    std::fs::write(&path, &bytes).unwrap();
    let error = SqliteStore::open(&path).await.unwrap_err();
    assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the file was modified"
    );
}

#[tokio::test]
async fn a_missing_or_empty_file_becomes_a_wal_database() {
    let directory = tempfile::tempdir().unwrap();
    let empty = directory.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let missing = directory.path().join("missing.db");
    for path in [&empty, &missing] {
        let store = SqliteStore::open(path).await.unwrap();
        store.migrate().await.unwrap();
        store.check_ready().await.unwrap();
        let mut connection = raw_connection(path).await;
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut connection)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
    }
}

#[tokio::test]
async fn check_ready_needs_every_migration() {
    let store = TestStore::unmigrated().await;
    let error = store.check_ready().await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    assert!(
        error.to_string().contains("migrations not applied"),
        "{error}"
    );

    store.inner().migrate().await.unwrap();
    store.inner().migrate().await.unwrap();
    store.check_ready().await.unwrap();

    let mut connection = store.raw().await;
    connection
        .execute("DELETE FROM _sqlx_migrations WHERE version = 3")
        .await
        .unwrap();
    let error = store.check_ready().await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    assert!(error.to_string().contains("migration 3"), "{error}");
}

#[tokio::test]
async fn check_ready_refuses_a_changed_migration() {
    let store = TestStore::migrated().await;
    let mut connection = store.raw().await;
    connection
        .execute("UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 2")
        .await
        .unwrap();
    let error = store.check_ready().await.unwrap_err();
    assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
    let error = store.inner().migrate().await.unwrap_err();
    assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
}

#[tokio::test]
async fn pool_stats_count_the_writer_and_the_readers() {
    let store = TestStore::migrated().await;
    let stats = store.pool_stats();
    assert_eq!(stats.max, 5);
    assert!(stats.size >= 2 && stats.size <= stats.max, "{stats:?}");
    assert!(stats.idle <= stats.size, "{stats:?}");
}

#[tokio::test]
async fn a_closed_store_is_unavailable() {
    let store = TestStore::migrated().await;
    store.inner().close().await;
    let error = store.check_ready().await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
}
