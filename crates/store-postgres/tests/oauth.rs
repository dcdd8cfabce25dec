//! The OAuth provider's state on PostgreSQL beyond the shared contract: several nodes (each a
//! store with its own pool) redeeming the same authorization code, or using the same refresh
//! token, or reserving (or taking over) the same idempotency key, at once. The row lock makes
//! every node but the first wait for it and then see the value used: exactly one gets it fresh,
//! every other one learns that it came second.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failed step is a failed test"
)]

mod common;

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::store::{
    AuthCodeRow, ClientRow, CodeUse, GrantRow, IdempotentResponseRow, RefreshTokenRow, RefreshUse,
    Store, new_id,
};
use gatehouse_store_contract::fixtures::{epoch, user};
use gatehouse_store_postgres::PostgresStore;
use tokio::sync::Barrier;
use tokio::task::JoinSet;

/// Parallel attempts per race, spread over both nodes.
const RACERS: usize = 12;

/// Two nodes on one fresh, migrated database.
async fn two_nodes() -> Option<(PostgresStore, PostgresStore)> {
    let (first, url) = common::fresh_store().await?;
    let second = common::connect(&url).await;
    Some((first, second))
}

/// Runs `attempt` `RACERS` times at once, alternating between the two nodes; returns the
/// results.
async fn race<T, F, Fut>(nodes: &(PostgresStore, PostgresStore), attempt: F) -> Vec<T>
where
    F: Fn(PostgresStore) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
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
    racers.join_all().await
}

fn client() -> ClientRow {
    ClientRow {
        id: new_id(),
        client_id: "racing-app".to_owned(),
        name: "Racing app".to_owned(),
        public: true,
        native: false,
        secret_mac: None,
        auth_method: Some("none".to_owned()),
        jwks: None,
        redirect_uris: vec!["https://app.example.test/callback".to_owned()],
        post_logout_redirect_uris: Vec::new(),
        grant_types: vec!["authorization_code".to_owned(), "refresh_token".to_owned()],
        scopes: vec!["openid".to_owned(), "offline_access".to_owned()],
        default_scopes: vec!["openid".to_owned()],
        audiences: Vec::new(),
        default_audience: None,
        web_origins: Vec::new(),
        consent: "ask".to_owned(),
        signing_alg: "EdDSA".to_owned(),
        access_token_ttl_secs: 300,
        refresh_token_ttl_secs: 86_400,
        created_at: epoch(),
        updated_at: epoch(),
        disabled_at: None,
        version: 1,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_time_oauth_values_are_used_once_across_nodes() {
    let Some(nodes) = two_nodes().await else {
        return;
    };
    let owner = user("racing-oauth@example.test");
    let client = client();
    let code = AuthCodeRow {
        code_hash: vec![6; 32],
        grant_id: new_id(),
        client_id: client.id,
        user_id: owner.id,
        session_id: None,
        redirect_uri: "https://app.example.test/callback".to_owned(),
        scope: "openid offline_access".to_owned(),
        audience: None,
        nonce: None,
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned()),
        auth_time: epoch(),
        amr: r#"["pwd"]"#.to_owned(),
        acr: None,
        created_at: epoch(),
        expires_at: epoch() + Duration::seconds(60),
        consumed_at: None,
    };
    let grant = GrantRow {
        id: code.grant_id,
        client_id: client.id,
        user_id: Some(owner.id),
        session_id: None,
        scope: code.scope.clone(),
        audience: None,
        auth_time: epoch(),
        amr: code.amr.clone(),
        acr: None,
        created_at: epoch(),
        expires_at: epoch() + Duration::days(1),
        revoked_at: None,
        revoke_reason: None,
    };
    let token = RefreshTokenRow {
        token_hash: vec![7; 32],
        grant_id: grant.id,
        created_at: epoch(),
        used_at: None,
    };
    let mut transaction = nodes.0.begin().await.unwrap();
    transaction.insert_user(&owner).await.unwrap();
    transaction.insert_client(&client).await.unwrap();
    transaction.insert_code(&code).await.unwrap();
    transaction.insert_grant(&grant).await.unwrap();
    transaction.insert_refresh_token(&token).await.unwrap();
    transaction.commit().await.unwrap();
    let now = epoch() + Duration::seconds(10);

    let redeemed = race(&nodes, |node| {
        let code_hash = code.code_hash.clone();
        async move {
            let mut transaction = node.begin().await.unwrap();
            let used = transaction.redeem_code(&code_hash, now).await.unwrap();
            transaction.commit().await.unwrap();
            used
        }
    })
    .await;
    let consumed = AuthCodeRow {
        consumed_at: Some(now),
        ..code
    };
    let fresh = redeemed
        .iter()
        .filter(|used| **used == CodeUse::Fresh(consumed.clone()))
        .count();
    let used = redeemed
        .iter()
        .filter(|used| **used == CodeUse::Used(consumed.clone()))
        .count();
    assert_eq!((fresh, used), (1, RACERS - 1), "{redeemed:?}");

    let refreshed = race(&nodes, |node| {
        let token_hash = token.token_hash.clone();
        async move {
            let mut transaction = node.begin().await.unwrap();
            let used = transaction
                .use_refresh_token(&token_hash, now)
                .await
                .unwrap();
            transaction.commit().await.unwrap();
            used
        }
    })
    .await;
    let fresh = refreshed
        .iter()
        .filter(|used| **used == RefreshUse::Fresh(grant.clone()))
        .count();
    let used = refreshed
        .iter()
        .filter(|used| **used == RefreshUse::Used(grant.clone()))
        .count();
    assert_eq!((fresh, used), (1, RACERS - 1), "{refreshed:?}");
    let stored = nodes.1.oauth().refresh_token(&token.token_hash).await;
    let (stored, _) = stored.unwrap().unwrap();
    assert_eq!(stored.used_at, Some(now));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idempotency_keys_are_reserved_and_taken_over_once_across_nodes() {
    let Some(nodes) = two_nodes().await else {
        return;
    };
    let now = epoch();
    // One node reserves the key; every other one learns that it is taken.
    let reservation = |created_at| IdempotentResponseRow {
        actor: "racing-actor".to_owned(),
        key: "racing-key".to_owned(),
        request_digest: new_id().as_bytes().to_vec(),
        status: 0,
        body: String::new(),
        created_at,
        completed_at: None,
    };
    let reserved = race(&nodes, |node| {
        let row = reservation(now);
        async move {
            let mut transaction = node.begin().await.unwrap();
            let won = transaction.insert_idempotent_response(&row).await.unwrap();
            transaction.commit().await.unwrap();
            (won, row)
        }
    })
    .await;
    let winners: Vec<_> = reserved.iter().filter(|(won, _)| *won).collect();
    assert_eq!(
        winners.len(),
        1,
        "one reservation is stored; the others give way"
    );
    let stored = nodes
        .1
        .oauth()
        .idempotent_response("racing-actor", "racing-key");
    assert_eq!(stored.await.unwrap().as_ref(), Some(&winners[0].1));

    // Its node died: once the reservation counts as abandoned, one node takes it over.
    let later = now + Duration::minutes(10);
    let abandoned_before = later - Duration::minutes(5);
    let taken = race(&nodes, |node| {
        let row = reservation(later);
        async move {
            let mut transaction = node.begin().await.unwrap();
            let won = transaction
                .take_over_idempotent_response(&row, abandoned_before)
                .await
                .unwrap();
            transaction.commit().await.unwrap();
            (won, row)
        }
    })
    .await;
    let winners: Vec<_> = taken.iter().filter(|(won, _)| *won).collect();
    assert_eq!(winners.len(), 1, "one node takes the reservation over");
    let stored = nodes
        .0
        .oauth()
        .idempotent_response("racing-actor", "racing-key");
    assert_eq!(stored.await.unwrap().as_ref(), Some(&winners[0].1));
}
