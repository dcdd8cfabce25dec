//! `Idempotency-Key` under concurrency: requests racing with one key (on one node, and on two
//! nodes of one PostgreSQL database) create once, the others get the replay or 409
//! `idempotency_key_in_progress`; a key whose create never answered (its node died) answers
//! 409 until its reservation counts as abandoned, then is taken over; refusals are replayed.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::{
    Clock,
    authorization::ADMIN_ROLE,
    store::{IdempotentResponseRow, new_id},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Barrier;

use super::{Api, client_token, expect, service_account};
use crate::{
    http::{
        account::browser::{Reply, audit},
        console::administrator,
        oauth::support::jwt_parts,
    },
    support::TestApp,
};

/// Concurrent requests per race.
const RACERS: usize = 8;

/// POSTs `body` to `url` with the bearer `token` and `Idempotency-Key: key`.
async fn post(
    client: reqwest::Client,
    url: String,
    token: String,
    key: String,
    body: Value,
) -> Reply {
    let response = client
        .post(url)
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    Reply {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

/// The idempotency store's key for the caller with this token.
fn actor(token: &str) -> String {
    format!(
        "client:{}",
        jwt_parts(token).1["client_id"].as_str().unwrap()
    )
}

/// Asserts that `reply` is the answer that waits for a running create.
fn assert_in_progress(reply: &Reply) {
    assert_eq!(
        expect(reply, StatusCode::CONFLICT)["code"],
        "idempotency_key_in_progress"
    );
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
}

/// `RACERS` POSTs of one new user with one key at once, spread over `nodes`: exactly one
/// creates it, every other one gets the replay of its answer or 409 in progress; one more
/// request to each node afterwards gets the replay.
async fn race_one_create(nodes: &[&TestApp], token: &str) {
    let body = json!({ "email": "raced@example.com", "display_name": "Raced" });
    let barrier = Arc::new(Barrier::new(RACERS));
    let mut racers = Vec::new();
    for index in 0..RACERS {
        let node = nodes[index % nodes.len()];
        let request = post(
            node.client.clone(),
            node.url("/api/v1/users"),
            token.to_owned(),
            "race-1".to_owned(),
            body.clone(),
        );
        let barrier = barrier.clone();
        racers.push(tokio::spawn(async move {
            barrier.wait().await;
            request.await
        }));
    }
    let mut replies = Vec::new();
    for racer in racers {
        replies.push(racer.await.unwrap());
    }
    let created: Vec<_> = replies
        .iter()
        .filter(|reply| {
            reply.status == StatusCode::CREATED && reply.header("idempotent-replayed").is_none()
        })
        .collect();
    assert_eq!(created.len(), 1, "exactly one request creates");
    let user = created[0].json();
    assert_eq!(user["email"], "raced@example.com");
    for reply in &replies {
        if reply.status == StatusCode::CREATED {
            assert_eq!(reply.json(), user);
        } else {
            assert_in_progress(reply);
        }
    }
    for node in nodes {
        let again = Api::new(node, token)
            .send(
                Method::POST,
                "/api/v1/users",
                Some(&body),
                &[("idempotency-key", "race-1")],
            )
            .await;
        assert_eq!(expect(&again, StatusCode::CREATED), user);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
    }
    let found = Api::new(nodes[0], token)
        .get("/api/v1/users?q=raced%40example.com")
        .await;
    assert_eq!(
        expect(&found, StatusCode::OK)["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        audit(nodes[0], "user.created").await.len(),
        2,
        "root and the raced user"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_with_one_key_happen_once() {
    let app = TestApp::spawn().await;
    administrator(&app, "root@example.com").await;
    let client = service_account(&app, &[ADMIN_ROLE]).await;
    let token = client_token(&app, &client).await;
    race_one_create(&[&app], &token).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_with_one_key_on_two_nodes_happen_once() {
    let first = TestApp::spawn().await;
    administrator(&first, "root@example.com").await;
    let client = service_account(&first, &[ADMIN_ROLE]).await;
    let token = client_token(&first, &client).await;
    let Some(second) = first.second_node().await else {
        first.stop().await;
        return; // two nodes need PostgreSQL
    };
    race_one_create(&[&first, &second], &token).await;
    second.stop().await;
    first.stop().await;
}

#[tokio::test]
async fn a_key_whose_create_never_answered_is_taken_over_once_abandoned() {
    let app = TestApp::spawn().await;
    administrator(&app, "root@example.com").await;
    let client = service_account(&app, &[ADMIN_ROLE]).await;
    let token = client_token(&app, &client).await;
    // A node reserved the key, then died before its create answered.
    let reserved_at = app.clock.now();
    let reservation = IdempotentResponseRow {
        actor: actor(&token),
        key: "stuck-1".to_owned(),
        request_digest: new_id().as_bytes().to_vec(),
        status: 0,
        body: String::new(),
        created_at: reserved_at,
        completed_at: None,
    };
    let mut transaction = app.services.store.begin().await.unwrap();
    assert!(
        transaction
            .insert_idempotent_response(&reservation)
            .await
            .unwrap()
    );
    transaction.commit().await.unwrap();
    let body = json!({ "email": "stuck@example.com" });
    let key = [("idempotency-key", "stuck-1")];

    let api = Api::new(&app, &token);
    let running = api
        .send(Method::POST, "/api/v1/users", Some(&body), &key)
        .await;
    assert_in_progress(&running);
    app.clock.advance(Duration::minutes(4));
    let api = Api::new(&app, &client_token(&app, &client).await);
    let still = api
        .send(Method::POST, "/api/v1/users", Some(&body), &key)
        .await;
    assert_in_progress(&still);
    assert_eq!(audit(&app, "user.created").await.len(), 1, "root only");

    // Five minutes on, the reservation counts as abandoned: the next request takes it over.
    app.clock
        .advance(Duration::minutes(1) + Duration::microseconds(1));
    let api = Api::new(&app, &client_token(&app, &client).await);
    let taken = api
        .send(Method::POST, "/api/v1/users", Some(&body), &key)
        .await;
    let user = expect(&taken, StatusCode::CREATED);
    assert_eq!(taken.header("idempotent-replayed"), None);
    let again = api
        .send(Method::POST, "/api/v1/users", Some(&body), &key)
        .await;
    assert_eq!(expect(&again, StatusCode::CREATED), user);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let stored = app.services.store.oauth();
    let stored = stored.idempotent_response(&reservation.actor, "stuck-1");
    let stored = stored.await.unwrap().unwrap();
    assert!(!stored.is_pending());
    assert_eq!(stored.status, 201);
    assert_eq!(audit(&app, "user.created").await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_refusal_is_replayed_like_a_success() {
    let app = TestApp::spawn().await;
    administrator(&app, "root@example.com").await;
    let client = service_account(&app, &[ADMIN_ROLE]).await;
    let api = Api::new(&app, &client_token(&app, &client).await);
    let body = json!({ "email": "root@example.com" });
    let key = [("idempotency-key", "taken-1")];
    let refused = api
        .send(Method::POST, "/api/v1/users", Some(&body), &key)
        .await;
    let problem = expect(&refused, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "email_taken");
    assert_eq!(refused.header("idempotent-replayed"), None);
    let again = api
        .send(Method::POST, "/api/v1/users", Some(&body), &key)
        .await;
    assert_eq!(expect(&again, StatusCode::CONFLICT), problem);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        again.header("content-type"),
        Some("application/problem+json")
    );
    // The key stays bound to that request.
    let other = api
        .send(
            Method::POST,
            "/api/v1/users",
            Some(&json!({ "email": "free@example.com" })),
            &key,
        )
        .await;
    assert_eq!(
        expect(&other, StatusCode::UNPROCESSABLE_ENTITY)["code"],
        "idempotency_key_reused"
    );
    app.stop().await;
}
