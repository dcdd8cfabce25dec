//! Token-signing keys: storing and listing, a taken kid, retiring an algorithm's older keys,
//! and pruning expired ones.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{SigningKeyRow, Store};
use uuid::Uuid;

use super::{committed, signing_key};
use crate::fixtures::epoch;

async fn insert(store: &Arc<dyn Store>, rows: &[&SigningKeyRow]) {
    committed(store, async |transaction| {
        for row in rows {
            transaction.insert_signing_key(row).await.unwrap();
        }
    })
    .await;
}

async fn keys(store: &Arc<dyn Store>) -> Vec<SigningKeyRow> {
    store.oauth().signing_keys().await.unwrap()
}

/// Keys come back exactly as stored (retired or not), oldest first; a taken kid is
/// `AlreadyExists` and stores nothing.
pub async fn signing_keys_round_trip_oldest_first(store: Arc<dyn Store>) {
    assert!(keys(&store).await.is_empty());
    let oldest = SigningKeyRow {
        retired_at: Some(epoch() + Duration::days(30)),
        expires_at: Some(epoch() + Duration::days(31)),
        ..signing_key("EdDSA", epoch())
    };
    let middle = signing_key("ES256", epoch() + Duration::days(1));
    let newest = signing_key("EdDSA", epoch() + Duration::days(30));
    insert(&store, &[&newest, &oldest, &middle]).await;
    let expected = vec![oldest.clone(), middle, newest];
    assert_eq!(keys(&store).await, expected);

    let mut transaction = store.begin().await.unwrap();
    let duplicate = SigningKeyRow {
        kid: oldest.kid.clone(),
        ..signing_key("RS256", epoch() + Duration::days(40))
    };
    let error = transaction
        .insert_signing_key(&duplicate)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::AlreadyExists(_)), "{error:?}");
    transaction.rollback().await.unwrap();
    assert_eq!(keys(&store).await, expected);
}

/// Retiring an algorithm's keys sets `retired_at` and `expires_at` on its unretired keys other
/// than the kept one, and returns how many; keys retired before and other algorithms' keys stay
/// as they were.
pub async fn retire_signing_keys_spares_the_kept_key_and_other_algorithms(store: Arc<dyn Store>) {
    let retired_before = SigningKeyRow {
        retired_at: Some(epoch() + Duration::hours(2)),
        expires_at: Some(epoch() + Duration::days(1)),
        ..signing_key("EdDSA", epoch())
    };
    let current = signing_key("EdDSA", epoch() + Duration::hours(1));
    let other_alg = signing_key("ES256", epoch() + Duration::hours(1));
    let next = signing_key("EdDSA", epoch() + Duration::hours(3));
    insert(&store, &[&retired_before, &current, &other_alg, &next]).await;
    let retired_at = epoch() + Duration::hours(4);
    let expires_at = retired_at + Duration::days(2);

    let retired = committed(&store, async |transaction| {
        [
            transaction
                .retire_signing_keys("EdDSA", next.id, retired_at, expires_at)
                .await
                .unwrap(),
            transaction
                .retire_signing_keys("EdDSA", next.id, retired_at, expires_at)
                .await
                .unwrap(),
            transaction
                .retire_signing_keys("RS256", Uuid::now_v7(), retired_at, expires_at)
                .await
                .unwrap(),
        ]
    })
    .await;
    assert_eq!(retired, [1, 0, 0]);
    let expected = vec![
        retired_before,
        SigningKeyRow {
            retired_at: Some(retired_at),
            expires_at: Some(expires_at),
            ..current
        },
        other_alg,
        next,
    ];
    assert_eq!(keys(&store).await, expected);
}

/// Pruning deletes the keys whose `expires_at` is before `now` and returns how many; keys
/// expiring at or after `now`, and keys without an expiry, stay.
pub async fn prune_signing_keys_deletes_only_expired_keys(store: Arc<dyn Store>) {
    let now = epoch() + Duration::days(10);
    let expired = SigningKeyRow {
        retired_at: Some(epoch() + Duration::days(1)),
        expires_at: Some(now - Duration::microseconds(1)),
        ..signing_key("EdDSA", epoch())
    };
    let expiring_now = SigningKeyRow {
        retired_at: Some(epoch() + Duration::days(2)),
        expires_at: Some(now),
        ..signing_key("ES256", epoch())
    };
    let current = signing_key("EdDSA", epoch() + Duration::days(1));
    insert(&store, &[&expired, &expiring_now, &current]).await;

    assert_eq!(store.oauth().prune_signing_keys(now).await.unwrap(), 1);
    assert_eq!(store.oauth().prune_signing_keys(now).await.unwrap(), 0);
    assert_eq!(keys(&store).await, vec![expiring_now, current.clone()]);
    let later = now + Duration::days(365);
    assert_eq!(store.oauth().prune_signing_keys(later).await.unwrap(), 1);
    assert_eq!(keys(&store).await, vec![current]);
}
