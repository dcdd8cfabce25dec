//! `/healthz` and `/readyz`.

use std::{net::SocketAddr, time::Duration};

use crate::support::{TestApp, TestDatabase, postgres_base_url, proxy::Proxy, use_postgres};

/// The host and port of `url` (a PostgreSQL URL with an explicit port).
fn server_address(url: &str) -> SocketAddr {
    let (_, rest) = url.split_once("://").unwrap();
    let authority = rest.split('/').next().unwrap();
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, "5432"));
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    format!("{host}:{port}").parse().unwrap()
}

/// `url` with its host and port replaced by 127.0.0.1:`port`.
fn with_port(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let credentials = authority
        .rsplit_once('@')
        .map(|(user, _)| format!("{user}@"))
        .unwrap_or_default();
    format!("{scheme}://{credentials}127.0.0.1:{port}/{path}")
}

#[tokio::test]
async fn healthz_and_readyz_answer_when_the_database_is_migrated() {
    let app = TestApp::spawn().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<serde_json::Value>().await.unwrap()["status"],
        "ready"
    );
    app.stop().await;
}

#[tokio::test]
async fn readyz_fails_while_the_database_is_gone_and_recovers_by_itself() {
    if !use_postgres() {
        return; // the embedded SQLite database cannot go away on its own
    }
    let url = gatehouse_store_postgres::testing::fresh_database(&postgres_base_url().unwrap())
        .await
        .unwrap();
    let target = server_address(&url);
    let proxy = Proxy::start(target).await;
    let database = TestDatabase::postgres(&with_port(&url, proxy.port)).await;
    let app = TestApp::spawn_on(database, |_| {}).await;
    assert_eq!(app.get("/readyz").await.status(), 200);

    proxy.set_up(false);
    let down = app.get("/readyz").await;
    assert_eq!(down.status(), 503);
    assert_eq!(down.headers()["content-type"], "application/problem+json");

    proxy.set_up(true);
    let mut status = 0;
    for _ in 0..50 {
        status = app.get("/readyz").await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status, 200,
        "the app did not recover after the database came back"
    );
    app.stop().await;
}
