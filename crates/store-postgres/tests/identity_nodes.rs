//! Several Gatehouse nodes racing on identity state in one PostgreSQL database: each node is a
//! store with its own pool. Throttle counters, one-time tokens, code attempts, user locks and
//! email uniqueness must hold when requests for one key arrive on every node at once.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failed step is a failed test"
)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::Duration as Span;
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    OneTimeTokenRow, Store, ThrottleDecision, ThrottlePolicy, UserRow, new_id,
};
use gatehouse_store_contract::fixtures::epoch;
use gatehouse_store_postgres::PostgresStore;
use tokio::task::JoinSet;
use uuid::Uuid;

/// Parallel requests per race, spread over both nodes.
const RACERS: usize = 16;

fn user(email: &str) -> UserRow {
    UserRow {
        id: new_id(),
        email: email.to_owned(),
        email_normalized: email.to_lowercase(),
        email_verified_at: None,
        display_name: None,
        given_name: None,
        family_name: None,
        locale: None,
        picture_url: None,
        attributes: "{}".to_owned(),
        status: "active".to_owned(),
        is_admin: false,
        created_at: epoch(),
        updated_at: epoch(),
        last_sign_in_at: None,
    }
}

fn token(user_id: Uuid, max_attempts: i32) -> OneTimeTokenRow {
    OneTimeTokenRow {
        id: new_id(),
        token_hash: new_id().as_bytes().to_vec(),
        purpose: "verify_email".to_owned(),
        user_id: Some(user_id),
        email: Some("racer@example.com".to_owned()),
        code_hash: Some(vec![7; 32]),
        attempts: 0,
        max_attempts,
        created_at: epoch(),
        expires_at: epoch() + Span::hours(1),
        consumed_at: None,
    }
}

/// Two nodes on one fresh database, the first with a user and this user's token.
async fn two_nodes_with_token(
    max_attempts: i32,
) -> Option<(PostgresStore, PostgresStore, OneTimeTokenRow)> {
    let (first, url) = common::fresh_store().await?;
    let second = common::connect(&url).await;
    let owner = user("Racer@Example.com");
    let row = token(owner.id, max_attempts);
    let mut transaction = first.begin().await.unwrap();
    transaction.insert_user(&owner).await.unwrap();
    transaction.insert_one_time_token(&row).await.unwrap();
    transaction.commit().await.unwrap();
    Some((first, second, row))
}

/// The node of racer `index`.
fn node(index: usize, first: &PostgresStore, second: &PostgresStore) -> PostgresStore {
    if index.is_multiple_of(2) {
        first.clone()
    } else {
        second.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_attempts_on_two_nodes_allow_exactly_the_free_ones() {
    let Some((first, url)) = common::fresh_store().await else {
        return;
    };
    let second = common::connect(&url).await;
    let policy = ThrottlePolicy {
        free_attempts: 5,
        base_delay: Span::minutes(1),
        max_delay: Span::hours(1),
        forget_after: Span::hours(1),
    };
    let mut racers = JoinSet::new();
    for index in 0..RACERS {
        let store = node(index, &first, &second);
        racers.spawn(async move {
            store
                .throttle()
                .take_attempt("sign-in:racer", &policy, epoch())
                .await
                .unwrap()
        });
    }
    let mut allowed = BTreeSet::new();
    let mut blocked = 0;
    for decision in racers.join_all().await {
        match decision {
            ThrottleDecision::Allowed { failures } => assert!(allowed.insert(failures)),
            ThrottleDecision::Blocked { until } => {
                assert_eq!(until, epoch() + Span::minutes(1));
                blocked += 1;
            }
        }
    }
    assert_eq!(allowed, (1..=5).collect::<BTreeSet<_>>());
    assert_eq!(blocked, RACERS - 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_presented_on_two_nodes_at_once_is_consumed_once() {
    let Some((first, second, row)) = two_nodes_with_token(5).await else {
        return;
    };
    let mut racers = JoinSet::new();
    for index in 0..RACERS {
        let store = node(index, &first, &second);
        let hash = row.token_hash.clone();
        racers.spawn(async move {
            let mut transaction = store.begin().await.unwrap();
            let consumed = transaction
                .consume_one_time_token(&hash, "verify_email", epoch() + Span::minutes(1))
                .await
                .unwrap();
            transaction.commit().await.unwrap();
            consumed
        });
    }
    let winners: Vec<OneTimeTokenRow> = racers.join_all().await.into_iter().flatten().collect();
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(winners[0].id, row.id);
    assert_eq!(winners[0].consumed_at, Some(epoch() + Span::minutes(1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_consumed_by_id_on_two_nodes_at_once_is_consumed_once() {
    let Some((first, second, row)) = two_nodes_with_token(5).await else {
        return;
    };
    let mut racers = JoinSet::new();
    for index in 0..RACERS {
        let store = node(index, &first, &second);
        racers.spawn(async move {
            let mut transaction = store.begin().await.unwrap();
            let consumed = transaction
                .consume_one_time_token_by_id(row.id, epoch())
                .await
                .unwrap();
            transaction.commit().await.unwrap();
            consumed
        });
    }
    let wins = racers
        .join_all()
        .await
        .into_iter()
        .filter(|won| *won)
        .count();
    assert_eq!(wins, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_code_attempts_on_two_nodes_never_exceed_the_maximum() {
    let Some((first, second, row)) = two_nodes_with_token(3).await else {
        return;
    };
    let owner = row.user_id.unwrap();
    let mut racers = JoinSet::new();
    for index in 0..RACERS {
        let store = node(index, &first, &second);
        racers.spawn(async move {
            let mut transaction = store.begin().await.unwrap();
            let spent = transaction
                .spend_code_attempt(owner, "verify_email", epoch())
                .await
                .unwrap();
            transaction.commit().await.unwrap();
            spent.map(|token| token.attempts)
        });
    }
    let counts: BTreeSet<i32> = racers.join_all().await.into_iter().flatten().collect();
    assert_eq!(counts, BTreeSet::from([1, 2, 3]));
    let mut transaction = first.begin().await.unwrap();
    assert_eq!(
        transaction
            .spend_code_attempt(owner, "verify_email", epoch())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_locked_user_waits_for_the_holder_on_another_node() {
    let Some((first, second, row)) = two_nodes_with_token(3).await else {
        return;
    };
    let id = row.user_id.unwrap();
    let mut holder = first.begin().await.unwrap();
    let mut changed = holder.lock_user(id).await.unwrap().unwrap();
    let waiting = tokio::spawn(async move {
        let mut transaction = second.begin().await.unwrap();
        let seen = transaction.lock_user(id).await.unwrap().unwrap();
        transaction.commit().await.unwrap();
        seen
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "a second lock must wait for the first transaction"
    );
    changed.display_name = Some("Changed under the lock".to_owned());
    assert!(holder.update_user(&changed).await.unwrap());
    holder.commit().await.unwrap();
    assert_eq!(waiting.await.unwrap(), changed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_email_registered_on_two_nodes_at_once_is_taken_once() {
    let Some((first, url)) = common::fresh_store().await else {
        return;
    };
    let second = common::connect(&url).await;
    let mut racers = JoinSet::new();
    for index in 0..RACERS {
        let store = node(index, &first, &second);
        racers.spawn(async move {
            let mut transaction = store.begin().await.unwrap();
            transaction.insert_user(&user("same@example.com")).await?;
            transaction.commit().await
        });
    }
    let results = racers.join_all().await;
    assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 1);
    for result in results {
        assert!(
            matches!(result, Ok(()) | Err(StoreError::AlreadyExists(_))),
            "{result:?}"
        );
    }
}
