//! Second factors and sessions on PostgreSQL beyond the shared contract: migration 0010 over
//! existing sessions, and several nodes (each a store with its own pool) using the same one-time
//! MFA value at once.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failed step is a failed test"
)]

mod common;

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::store::{ChallengeRow, RecoveryCodeRow, Store, TotpRow, new_id};
use gatehouse_store_contract::fixtures::{epoch, user};
use gatehouse_store_postgres::PostgresStore;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPool;
use tokio::sync::Barrier;
use tokio::task::JoinSet;

/// The migrations, to apply those before the MFA tables.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The last migration before `0010_create_mfa`.
const BEFORE_MFA: i64 = 9;

/// Parallel attempts per race, spread over both nodes.
const RACERS: usize = 12;

#[tokio::test]
async fn migration_0010_gives_existing_sessions_their_creation_time_as_authenticated_at() {
    let Some(url) = common::fresh_url().await else {
        return;
    };
    let pool = PgPool::connect(&url).await.unwrap();
    MIGRATOR.run_to(BEFORE_MFA, &pool).await.unwrap();
    let owner = user("existing-session@example.test");
    let store = common::connect(&url).await;
    let mut transaction = store.begin().await.unwrap();
    transaction.insert_user(&owner).await.unwrap();
    transaction.commit().await.unwrap();
    let session_id = new_id();
    let created_at = epoch() - Duration::hours(3);
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, amr)
         VALUES ($1, $2, $3, $4, $5, $6, '[\"pwd\"]')",
    )
    .bind(session_id)
    .bind(vec![1_u8; 32])
    .bind(owner.id)
    .bind(created_at)
    .bind(epoch())
    .bind(epoch() + Duration::days(1))
    .execute(&pool)
    .await
    .unwrap();

    store.migrate().await.unwrap();
    store.check_ready().await.unwrap();
    let listed = store.sessions().list_for_user(owner.id, epoch()).await;
    let listed = listed.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, session_id);
    assert_eq!(listed[0].authenticated_at, created_at);
    let nullable: String = sqlx::query_scalar(
        "SELECT is_nullable FROM information_schema.columns
         WHERE table_name = 'sessions' AND column_name = 'authenticated_at'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(nullable, "NO");
    pool.close().await;
}

/// Two nodes on one fresh, migrated database.
async fn two_nodes() -> Option<(PostgresStore, PostgresStore)> {
    let (first, url) = common::fresh_store().await?;
    let second = common::connect(&url).await;
    Some((first, second))
}

/// Runs `attempt` `RACERS` times at once, alternating between the two nodes; returns how many
/// succeeded.
async fn race<F, Fut>(nodes: &(PostgresStore, PostgresStore), attempt: F) -> usize
where
    F: Fn(PostgresStore) -> Fut,
    Fut: Future<Output = bool> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(RACERS));
    let mut racers = JoinSet::new();
    for index in 0..RACERS {
        let node = if index % 2 == 0 { &nodes.0 } else { &nodes.1 };
        let attempt = attempt(node.clone());
        let barrier = barrier.clone();
        racers.spawn(async move {
            barrier.wait().await;
            attempt.await
        });
    }
    racers
        .join_all()
        .await
        .into_iter()
        .filter(|succeeded| *succeeded)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_time_mfa_values_are_used_once_across_nodes() {
    let Some(nodes) = two_nodes().await else {
        return;
    };
    let owner = user("racing-factors@example.test");
    let device = TotpRow {
        id: new_id(),
        user_id: owner.id,
        name: "Phone".to_owned(),
        secret: vec![1, 2, 3],
        created_at: epoch(),
        confirmed_at: None,
        last_step: None,
        last_used_at: None,
    };
    let code = RecoveryCodeRow {
        id: new_id(),
        user_id: owner.id,
        code_mac: vec![4; 32],
        created_at: epoch(),
        used_at: None,
    };
    let challenge = ChallengeRow {
        id: new_id(),
        token_hash: vec![5; 32],
        kind: "sign_in".to_owned(),
        user_id: Some(owner.id),
        session_id: None,
        state: vec![0],
        attempts: 0,
        created_at: epoch(),
        expires_at: epoch() + Duration::minutes(5),
        consumed_at: None,
    };
    let mut transaction = nodes.0.begin().await.unwrap();
    transaction.insert_user(&owner).await.unwrap();
    transaction.insert_totp(&device).await.unwrap();
    transaction
        .replace_recovery_codes(owner.id, std::slice::from_ref(&code))
        .await
        .unwrap();
    transaction.insert_challenge(&challenge).await.unwrap();
    transaction.commit().await.unwrap();
    let now = epoch() + Duration::minutes(1);
    let (user_id, id) = (owner.id, device.id);

    let confirmed = race(&nodes, |node| async move {
        let mut transaction = node.begin().await.unwrap();
        let confirmed = transaction
            .confirm_totp(user_id, id, 100, now)
            .await
            .unwrap();
        transaction.commit().await.unwrap();
        confirmed
    })
    .await;
    assert_eq!(confirmed, 1, "a device is confirmed once");

    let accepted = race(&nodes, |node| async move {
        node.mfa().accept_totp_step(id, 101, now).await.unwrap()
    })
    .await;
    assert_eq!(accepted, 1, "a step is accepted once");

    let used = race(&nodes, |node| {
        let code_mac = code.code_mac.clone();
        async move {
            let mut transaction = node.begin().await.unwrap();
            let used = transaction
                .use_recovery_code(user_id, &code_mac, now)
                .await
                .unwrap();
            transaction.commit().await.unwrap();
            used
        }
    })
    .await;
    assert_eq!(used, 1, "a recovery code is used once");

    let spent = race(&nodes, |node| {
        let token_hash = challenge.token_hash.clone();
        async move {
            let mut transaction = node.begin().await.unwrap();
            let spent = transaction
                .spend_challenge_attempt(&token_hash, 5, now)
                .await
                .unwrap();
            transaction.commit().await.unwrap();
            spent.is_some()
        }
    })
    .await;
    assert_eq!(spent, 5, "attempts stop at the maximum");

    let consumed = race(&nodes, |node| {
        let token_hash = challenge.token_hash.clone();
        async move {
            let mut transaction = node.begin().await.unwrap();
            let consumed = transaction
                .consume_challenge(&token_hash, "sign_in", now)
                .await
                .unwrap();
            transaction.commit().await.unwrap();
            consumed.is_some()
        }
    })
    .await;
    assert_eq!(consumed, 1, "a challenge is consumed once");

    let stored = nodes
        .1
        .mfa()
        .totp_device(user_id, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.last_step, Some(101));
}
