//! Contract: one-time tokens.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::store::{OneTimeTokenRow, Store, new_id};
use uuid::Uuid;

use crate::fixtures::{epoch, insert_user, user};

/// An unconsumed token of `user_id` for `purpose`, made at `created_at`, valid for an hour, with
/// a code allowing three attempts.
fn token(user_id: Option<Uuid>, purpose: &str, created_at: DateTime<Utc>) -> OneTimeTokenRow {
    let mut token_hash = new_id().as_bytes().to_vec();
    token_hash.extend_from_slice(new_id().as_bytes());
    OneTimeTokenRow {
        id: new_id(),
        token_hash,
        purpose: purpose.to_owned(),
        user_id,
        email: Some("Zoë@example.test".to_owned()),
        code_hash: Some(vec![0, 7, 255, 1]),
        attempts: 0,
        max_attempts: 3,
        created_at,
        expires_at: created_at + Duration::hours(1),
        consumed_at: None,
    }
}

async fn insert(store: &Arc<dyn Store>, rows: &[&OneTimeTokenRow]) {
    let mut transaction = store.begin().await.unwrap();
    for row in rows {
        transaction.insert_one_time_token(row).await.unwrap();
    }
    transaction.commit().await.unwrap();
}

async fn consume(
    store: &Arc<dyn Store>,
    row: &OneTimeTokenRow,
    purpose: &str,
    now: DateTime<Utc>,
) -> Option<OneTimeTokenRow> {
    let mut transaction = store.begin().await.unwrap();
    let consumed = transaction
        .consume_one_time_token(&row.token_hash, purpose, now)
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    consumed
}

async fn spend(
    store: &Arc<dyn Store>,
    user_id: Uuid,
    purpose: &str,
    now: DateTime<Utc>,
) -> Option<OneTimeTokenRow> {
    let mut transaction = store.begin().await.unwrap();
    let spent = transaction
        .spend_code_attempt(user_id, purpose, now)
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    spent
}

async fn user_id(store: &Arc<dyn Store>, email: &str) -> Uuid {
    insert_user(store, user(email)).await.id
}

/// A token is consumed once, only for its purpose and only before it expires; the consumption
/// returns the whole row with `consumed_at` set.
pub async fn token_is_consumed_once(store: Arc<dyn Store>) {
    let owner = user_id(&store, "consume@example.test").await;
    let link = token(Some(owner), "verify_email", epoch());
    let setup = OneTimeTokenRow {
        email: None,
        code_hash: None,
        ..token(None, "setup", epoch())
    };
    let expired = token(Some(owner), "verify_email", epoch() - Duration::hours(1));
    insert(&store, &[&link, &setup, &expired]).await;
    let now = epoch() + Duration::minutes(1);

    assert_eq!(consume(&store, &link, "reset_password", now).await, None);
    let consumed = consume(&store, &link, "verify_email", now).await;
    let expected = OneTimeTokenRow {
        consumed_at: Some(now),
        ..link.clone()
    };
    assert_eq!(consumed, Some(expected));
    assert_eq!(consume(&store, &link, "verify_email", now).await, None);

    let consumed = consume(&store, &setup, "setup", now).await.unwrap();
    assert_eq!(consumed.user_id, None);
    assert_eq!(consumed.consumed_at, Some(now));
    // `expires_at` is exactly `epoch()`: a token is dead at its expiry instant.
    assert_eq!(
        consume(&store, &expired, "verify_email", epoch()).await,
        None
    );
}

/// A consumption in a transaction that rolls back leaves the token usable.
pub async fn rolled_back_consume_leaves_the_token_usable(store: Arc<dyn Store>) {
    let owner = user_id(&store, "rollback@example.test").await;
    let link = token(Some(owner), "reset_password", epoch());
    insert(&store, &[&link]).await;
    let now = epoch() + Duration::minutes(1);
    let mut transaction = store.begin().await.unwrap();
    let consumed = transaction
        .consume_one_time_token(&link.token_hash, "reset_password", now)
        .await
        .unwrap();
    assert!(consumed.is_some());
    transaction.rollback().await.unwrap();
    assert!(
        consume(&store, &link, "reset_password", now)
            .await
            .is_some()
    );
}

/// Code attempts count on one token until `max_attempts`, then there is none left; consumed
/// and expired tokens and other purposes and users are never counted.
pub async fn code_attempts_count_until_spent(store: Arc<dyn Store>) {
    let owner = user_id(&store, "code@example.test").await;
    let stranger = user_id(&store, "elsewhere@example.test").await;
    let code = token(Some(owner), "verify_email", epoch());
    let consumed = OneTimeTokenRow {
        consumed_at: Some(epoch()),
        ..token(Some(owner), "verify_email", epoch() + Duration::seconds(2))
    };
    let expired = token(Some(owner), "verify_email", epoch() - Duration::minutes(59));
    let other_purpose = token(Some(owner), "change_email", epoch());
    let theirs = token(Some(stranger), "verify_email", epoch());
    insert(
        &store,
        &[&code, &consumed, &expired, &other_purpose, &theirs],
    )
    .await;
    let now = epoch() + Duration::minutes(1);
    for attempts in 1..=3 {
        let spent = spend(&store, owner, "verify_email", now).await;
        let expected = OneTimeTokenRow {
            attempts,
            ..code.clone()
        };
        assert_eq!(spent, Some(expected));
    }
    assert_eq!(spend(&store, owner, "verify_email", now).await, None);
    assert_eq!(
        spend(&store, Uuid::now_v7(), "verify_email", now).await,
        None
    );
    // The other tokens were left alone.
    let spent = spend(&store, owner, "change_email", now).await.unwrap();
    assert_eq!((spent.id, spent.attempts), (other_purpose.id, 1));
    let spent = spend(&store, stranger, "verify_email", now).await.unwrap();
    assert_eq!((spent.id, spent.attempts), (theirs.id, 1));
    // A spent code does not stop the link: consumption does not look at attempts.
    assert!(consume(&store, &code, "verify_email", now).await.is_some());
}

/// Of several live tokens, the newest (by `created_at`, then id) takes the code attempt.
pub async fn code_attempt_goes_to_the_newest_token(store: Arc<dyn Store>) {
    let owner = user_id(&store, "newest@example.test").await;
    let old = token(Some(owner), "verify_email", epoch());
    let new = token(Some(owner), "verify_email", epoch() + Duration::seconds(10));
    let mut twins = [
        token(Some(owner), "reset_password", epoch()),
        token(Some(owner), "reset_password", epoch()),
    ];
    twins.sort_by_key(|row| row.id);
    insert(&store, &[&new, &old, &twins[1], &twins[0]]).await;
    let now = epoch() + Duration::minutes(1);
    let spent = spend(&store, owner, "verify_email", now).await.unwrap();
    assert_eq!((spent.id, spent.attempts), (new.id, 1));
    let spent = spend(&store, owner, "reset_password", now).await.unwrap();
    assert_eq!((spent.id, spent.attempts), (twins[1].id, 1));
    // The newest stays the target while it has attempts left.
    let spent = spend(&store, owner, "verify_email", now).await.unwrap();
    assert_eq!((spent.id, spent.attempts), (new.id, 2));
}

/// Consuming by id works once, and not on a token consumed through its digest.
pub async fn consume_by_id_works_once(store: Arc<dyn Store>) {
    let owner = user_id(&store, "byid@example.test").await;
    let code = token(Some(owner), "verify_email", epoch());
    let link = token(Some(owner), "verify_email", epoch());
    insert(&store, &[&code, &link]).await;
    let now = epoch() + Duration::minutes(1);
    let mut transaction = store.begin().await.unwrap();
    assert!(
        transaction
            .consume_one_time_token_by_id(code.id, now)
            .await
            .unwrap()
    );
    assert!(
        !transaction
            .consume_one_time_token_by_id(code.id, now)
            .await
            .unwrap()
    );
    assert!(
        !transaction
            .consume_one_time_token_by_id(Uuid::now_v7(), now)
            .await
            .unwrap()
    );
    transaction.commit().await.unwrap();
    assert_eq!(consume(&store, &code, "verify_email", now).await, None);
    assert!(consume(&store, &link, "verify_email", now).await.is_some());
    let mut transaction = store.begin().await.unwrap();
    assert!(
        !transaction
            .consume_one_time_token_by_id(link.id, now)
            .await
            .unwrap()
    );
    transaction.commit().await.unwrap();
}

/// Revoking consumes every unconsumed token of the user for the purpose, and nothing else.
pub async fn revoke_one_time_tokens_consumes_only_the_users_purpose(store: Arc<dyn Store>) {
    let owner = user_id(&store, "revoke@example.test").await;
    let stranger = user_id(&store, "untouched@example.test").await;
    let first = token(Some(owner), "reset_password", epoch());
    let second = token(
        Some(owner),
        "reset_password",
        epoch() + Duration::seconds(1),
    );
    let used = OneTimeTokenRow {
        consumed_at: Some(epoch()),
        ..token(Some(owner), "reset_password", epoch())
    };
    let other_purpose = token(Some(owner), "verify_email", epoch());
    let theirs = token(Some(stranger), "reset_password", epoch());
    insert(&store, &[&first, &second, &used, &other_purpose, &theirs]).await;
    let now = epoch() + Duration::minutes(1);
    let mut transaction = store.begin().await.unwrap();
    let revoked = transaction
        .revoke_one_time_tokens(owner, "reset_password", now)
        .await
        .unwrap();
    assert_eq!(revoked, 2);
    transaction.commit().await.unwrap();
    for row in [&first, &second] {
        assert_eq!(consume(&store, row, "reset_password", now).await, None);
    }
    assert_eq!(spend(&store, owner, "reset_password", now).await, None);
    assert!(
        consume(&store, &other_purpose, "verify_email", now)
            .await
            .is_some()
    );
    assert!(
        consume(&store, &theirs, "reset_password", now)
            .await
            .is_some()
    );
}
