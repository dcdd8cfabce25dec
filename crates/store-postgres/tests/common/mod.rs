//! Test databases: each test gets a fresh database on the server `TEST_DATABASE_URL` names.

use std::time::Duration;

use gatehouse_store_postgres::{PostgresStore, testing};

/// Pool size of a test store.
const TEST_POOL_SIZE: u32 = 5;

/// The URL of a fresh, empty database, or `None` (after a notice) when `TEST_DATABASE_URL` is
/// not set.
pub async fn fresh_url() -> Option<String> {
    let Ok(base_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL is not set: skipping this PostgreSQL test");
        return None;
    };
    Some(testing::fresh_database(&base_url).await.unwrap())
}

/// A store on `url`.
pub async fn connect(url: &str) -> PostgresStore {
    PostgresStore::connect(url, TEST_POOL_SIZE, Duration::from_secs(10))
        .await
        .unwrap()
}

/// A store on a fresh database, migrated, with the database's URL.
pub async fn fresh_store() -> Option<(PostgresStore, String)> {
    let url = fresh_url().await?;
    let store = connect(&url).await;
    store.migrate().await.unwrap();
    Some((store, url))
}
