//! PostgreSQL-specific behaviour of one store beyond the shared contract: the append-only
//! trigger, readiness, connection failures and recovery, and error mapping.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failed step is a failed test"
)]

mod common;

use std::str::FromStr;
use std::time::{Duration, Instant};

use gatehouse_domain::StoreError;
use gatehouse_domain::store::{DataKeyRow, PasswordRow, Store, new_id};
use gatehouse_store_contract::fixtures::{audit_row, epoch};
use gatehouse_store_postgres::PostgresStore;
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPool};
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

#[tokio::test]
async fn append_only_trigger_refuses_changes_and_deletes() {
    let Some((store, url)) = common::fresh_store().await else {
        return;
    };
    let row = audit_row("system.started", epoch());
    let mut transaction = store.begin().await.unwrap();
    transaction.insert_audit_event(&row).await.unwrap();
    transaction.commit().await.unwrap();
    let raw = PgPool::connect(&url).await.unwrap();
    let refused = [
        "UPDATE audit_events SET action = 'forged'",
        "UPDATE audit_events SET occurred_at = occurred_at + interval '1 second'",
        "UPDATE audit_events SET details = NULL",
        "UPDATE audit_events SET personal_digest = NULL",
        "UPDATE audit_events SET personal = '\\x09'::bytea",
        "UPDATE audit_events SET position = position + 100",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ];
    for statement in refused {
        let error = sqlx::raw_sql(statement).execute(&raw).await.unwrap_err();
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    // What the chainer and the pruner do is allowed, once.
    sqlx::raw_sql("UPDATE audit_events SET chain_seq = 1, chain_mac = '\\x01'::bytea")
        .execute(&raw)
        .await
        .unwrap();
    for statement in [
        "UPDATE audit_events SET chain_seq = 2",
        "UPDATE audit_events SET chain_mac = '\\x02'::bytea",
        "UPDATE audit_events SET chain_seq = NULL",
    ] {
        let error = sqlx::raw_sql(statement).execute(&raw).await.unwrap_err();
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    assert_eq!(
        store
            .audit()
            .prune_personal(epoch() + chrono::Duration::days(1))
            .await
            .unwrap(),
        1
    );
    let stored = store.audit().chained_after(0, 10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].details, row.details);
    assert_eq!(stored[0].personal, None);
    assert_eq!(stored[0].personal_digest, row.personal_digest);
}

#[tokio::test]
async fn check_ready_fails_before_migrate_and_passes_after() {
    let Some(url) = common::fresh_url().await else {
        return;
    };
    let store = common::connect(&url).await;
    assert!(matches!(
        store.check_ready().await,
        Err(StoreError::Unavailable(_))
    ));
    store.migrate().await.unwrap();
    store.check_ready().await.unwrap();
    store.migrate().await.unwrap();
    store.check_ready().await.unwrap();

    let raw = PgPool::connect(&url).await.unwrap();
    sqlx::raw_sql("DELETE FROM _sqlx_migrations WHERE version = 3")
        .execute(&raw)
        .await
        .unwrap();
    assert!(store.check_ready().await.is_err());
    sqlx::raw_sql("UPDATE _sqlx_migrations SET checksum = '\\x00'::bytea WHERE version = 1")
        .execute(&raw)
        .await
        .unwrap();
    assert!(matches!(
        store.check_ready().await,
        Err(StoreError::Corrupt(_))
    ));
}

#[tokio::test]
async fn connect_to_a_closed_port_is_unavailable_at_once() {
    let started = Instant::now();
    let result = PostgresStore::connect(
        "postgres://postgres@127.0.0.1:1/postgres",
        2,
        Duration::from_secs(30),
    )
    .await;
    let Err(StoreError::Unavailable(message)) = result else {
        panic!("expected Unavailable, got {result:?}");
    };
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "a refused connection must not be retried until the timeout: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn connect_to_a_server_that_never_answers_is_unavailable_after_the_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let started = Instant::now();
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable");
    let result = PostgresStore::connect(&url, 2, Duration::from_millis(500)).await;
    silent.abort();
    let Err(StoreError::Unavailable(message)) = result else {
        panic!("expected Unavailable, got {result:?}");
    };
    assert!(message.contains("no answer"), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn pool_recovers_after_its_connections_are_terminated() {
    let Some((store, url)) = common::fresh_store().await else {
        return;
    };
    store.check_ready().await.unwrap();
    let stats = store.pool_stats();
    assert_eq!(stats.max, 5);
    assert!(stats.size >= 1 && stats.idle <= stats.size, "{stats:?}");
    let raw = PgPool::connect(&url).await.unwrap();
    let terminated: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()) AS ended",
    )
    .fetch_one(&raw)
    .await
    .unwrap();
    assert!(terminated >= 1);
    store.check_ready().await.unwrap();
    let mut transaction = store.begin().await.unwrap();
    transaction
        .insert_audit_event(&audit_row("system.recovered", epoch()))
        .await
        .unwrap();
    transaction.commit().await.unwrap();
}

/// Forwards connections from `port` (0: any free port) to `upstream` until aborted; aborting
/// the task closes the port and cuts every forwarded connection, like a database outage.
async fn start_proxy(port: u16, upstream: String) -> (u16, JoinHandle<()>) {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        while let Ok((mut client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            connections.spawn(async move {
                if let Ok(mut server) = TcpStream::connect(upstream).await {
                    let _ = copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    (port, task)
}

#[tokio::test]
async fn pool_recovers_when_the_database_comes_back_after_an_outage() {
    let Some((migrated, url)) = common::fresh_store().await else {
        return;
    };
    migrated.close().await;
    let direct = PgConnectOptions::from_str(&url).unwrap();
    let upstream = format!("{}:{}", direct.get_host(), direct.get_port());
    let (port, proxy) = start_proxy(0, upstream.clone()).await;
    let via_proxy = direct
        .host("127.0.0.1")
        .port(port)
        .to_url_lossy()
        .to_string();
    let store = PostgresStore::connect(&via_proxy, 2, Duration::from_secs(1))
        .await
        .unwrap();
    store.check_ready().await.unwrap();

    proxy.abort();
    let _ = proxy.await;
    let down = store.check_ready().await;
    assert!(matches!(down, Err(StoreError::Unavailable(_))), "{down:?}");
    let down = store.begin().await.map(|_| ());
    assert!(matches!(down, Err(StoreError::Unavailable(_))), "{down:?}");

    let (_, proxy) = start_proxy(port, upstream).await;
    store.check_ready().await.unwrap();
    let mut transaction = store.begin().await.unwrap();
    transaction
        .insert_audit_event(&audit_row("system.recovered", epoch()))
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    proxy.abort();
}

#[tokio::test]
async fn rewrap_of_an_unknown_key_changes_nothing() {
    let Some((store, _url)) = common::fresh_store().await else {
        return;
    };
    let known = DataKeyRow {
        id: new_id(),
        purpose: "subject-kek".to_owned(),
        wrapped: vec![1; 40],
        master_key_id: "m1".to_owned(),
        created_at: epoch(),
    };
    store.keys().insert_data_key(&known).await.unwrap();
    let rewrapped = DataKeyRow {
        wrapped: vec![2; 40],
        master_key_id: "m2".to_owned(),
        ..known.clone()
    };
    let unknown = DataKeyRow {
        id: new_id(),
        purpose: "other".to_owned(),
        ..rewrapped.clone()
    };
    let result = store.keys().rewrap_data_keys(&[rewrapped, unknown]).await;
    assert!(matches!(result, Err(StoreError::NotFound(_))), "{result:?}");
    assert_eq!(store.keys().data_keys().await.unwrap(), vec![known]);
}

#[tokio::test]
async fn duplicate_ids_are_already_exists() {
    let Some((store, _url)) = common::fresh_store().await else {
        return;
    };
    let row = audit_row("system.started", epoch());
    let mut transaction = store.begin().await.unwrap();
    transaction.insert_audit_event(&row).await.unwrap();
    transaction.commit().await.unwrap();
    let mut transaction = store.begin().await.unwrap();
    let result = transaction.insert_audit_event(&row).await;
    assert!(
        matches!(result, Err(StoreError::AlreadyExists(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn fresh_databases_are_distinct_and_empty() {
    let Some(first) = common::fresh_url().await else {
        return;
    };
    let second = common::fresh_url().await.unwrap();
    assert_ne!(first, second);
    assert!(first.contains("/gatehouse_test_"), "{first}");
    let store = common::connect(&first).await;
    assert!(store.check_ready().await.is_err());
    assert!(
        store.audit().head().await.is_err(),
        "a fresh database has no tables"
    );
}

#[tokio::test]
async fn rows_of_a_missing_user_are_not_found() {
    let Some((store, _url)) = common::fresh_store().await else {
        return;
    };
    let mut transaction = store.begin().await.unwrap();
    let result = transaction
        .set_password(&PasswordRow {
            user_id: new_id(),
            hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
            updated_at: epoch(),
        })
        .await;
    assert!(matches!(result, Err(StoreError::NotFound(_))), "{result:?}");
}
