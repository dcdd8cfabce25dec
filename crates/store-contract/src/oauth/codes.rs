//! Authorization codes: storing one, redeeming it once (also under a race), a rolled-back
//! redemption, and the references a code needs.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{AuthCodeRow, CodeUse, Store};
use uuid::Uuid;

use super::{client_and_user, code, committed, race};
use crate::fixtures::epoch;

async fn insert(store: &Arc<dyn Store>, rows: &[&AuthCodeRow]) {
    committed(store, async |transaction| {
        for row in rows {
            transaction.insert_code(row).await.unwrap();
        }
    })
    .await;
}

async fn redeem(store: &Arc<dyn Store>, code_hash: &[u8], now: DateTime<Utc>) -> CodeUse {
    committed(store, async |transaction| {
        transaction.redeem_code(code_hash, now).await.unwrap()
    })
    .await
}

/// The first redemption gets the code exactly as stored with `consumed_at = now` (an expired
/// code too: expiry is the caller's to check); later ones see it used, with the first
/// redemption's time; an unknown digest is `Unknown`.
pub async fn code_is_redeemed_once(store: Arc<dyn Store>) {
    let (client_id, user_id) = client_and_user(&store, "code-app", "code@example.test").await;
    let full = code(client_id, user_id, epoch());
    let sparse = AuthCodeRow {
        session_id: None,
        audience: None,
        nonce: None,
        code_challenge: None,
        acr: None,
        ..code(client_id, user_id, epoch())
    };
    insert(&store, &[&full, &sparse]).await;
    let now = epoch() + Duration::seconds(5);
    let late = epoch() + Duration::hours(1);

    for row in [&full, &sparse] {
        let redeemed = AuthCodeRow {
            consumed_at: Some(now),
            ..row.clone()
        };
        assert_eq!(
            redeem(&store, &row.code_hash, now).await,
            CodeUse::Fresh(redeemed.clone())
        );
        assert_eq!(
            redeem(&store, &row.code_hash, late).await,
            CodeUse::Used(redeemed.clone())
        );
        assert_eq!(
            redeem(&store, &row.code_hash, late).await,
            CodeUse::Used(redeemed)
        );
    }
    let expired = code(client_id, user_id, epoch() - Duration::days(1));
    insert(&store, &[&expired]).await;
    assert!(matches!(
        redeem(&store, &expired.code_hash, now).await,
        CodeUse::Fresh(_)
    ));
    assert_eq!(redeem(&store, &[7; 32], now).await, CodeUse::Unknown);
}

/// A redemption that is rolled back leaves the code unredeemed.
pub async fn rolled_back_redemption_leaves_the_code_fresh(store: Arc<dyn Store>) {
    let (client_id, user_id) = client_and_user(&store, "rollback-app", "rb@example.test").await;
    let row = code(client_id, user_id, epoch());
    insert(&store, &[&row]).await;
    let now = epoch() + Duration::seconds(5);

    let mut transaction = store.begin().await.unwrap();
    let inside = transaction.redeem_code(&row.code_hash, now).await.unwrap();
    assert!(matches!(inside, CodeUse::Fresh(_)), "{inside:?}");
    let again = transaction.redeem_code(&row.code_hash, now).await.unwrap();
    assert!(matches!(again, CodeUse::Used(_)), "{again:?}");
    transaction.rollback().await.unwrap();

    let later = now + Duration::seconds(1);
    let redeemed = AuthCodeRow {
        consumed_at: Some(later),
        ..row.clone()
    };
    assert_eq!(
        redeem(&store, &row.code_hash, later).await,
        CodeUse::Fresh(redeemed)
    );
}

/// A code needs a known client and user (else `NotFound`) and a digest no other code has (else
/// `AlreadyExists`); a refused insert stores nothing.
pub async fn codes_need_a_known_client_and_user_and_a_new_digest(store: Arc<dyn Store>) {
    let (client_id, user_id) = client_and_user(&store, "refs-app", "refs@example.test").await;
    let stored = code(client_id, user_id, epoch());
    insert(&store, &[&stored]).await;
    let duplicate = AuthCodeRow {
        code_hash: stored.code_hash.clone(),
        ..code(client_id, user_id, epoch())
    };
    let no_client = code(Uuid::now_v7(), user_id, epoch());
    let no_user = code(client_id, Uuid::now_v7(), epoch());
    for (row, not_found) in [(&duplicate, false), (&no_client, true), (&no_user, true)] {
        let mut transaction = store.begin().await.unwrap();
        let error = transaction.insert_code(row).await.unwrap_err();
        transaction.rollback().await.unwrap();
        if not_found {
            assert!(matches!(error, StoreError::NotFound(_)), "{error:?}");
        } else {
            assert!(matches!(error, StoreError::AlreadyExists(_)), "{error:?}");
        }
    }
    let now = epoch() + Duration::seconds(1);
    for row in [&no_client, &no_user] {
        assert_eq!(redeem(&store, &row.code_hash, now).await, CodeUse::Unknown);
    }
    let redeemed = AuthCodeRow {
        consumed_at: Some(now),
        ..stored.clone()
    };
    assert_eq!(
        redeem(&store, &stored.code_hash, now).await,
        CodeUse::Fresh(redeemed)
    );
}

/// Of several nodes redeeming the same code at the same moment, exactly one gets it fresh; every
/// other one sees it used.
pub async fn concurrent_redemptions_get_one_fresh_code(store: Arc<dyn Store>) {
    let (client_id, user_id) = client_and_user(&store, "race-app", "race@example.test").await;
    let row = code(client_id, user_id, epoch());
    insert(&store, &[&row]).await;
    let now = epoch() + Duration::seconds(5);
    let code_hash = row.code_hash.clone();
    let results = race(&store, |store| {
        let code_hash = code_hash.clone();
        async move {
            let mut transaction = store.begin().await.unwrap();
            let used = transaction.redeem_code(&code_hash, now).await.unwrap();
            transaction.commit().await.unwrap();
            used
        }
    })
    .await;
    let redeemed = AuthCodeRow {
        consumed_at: Some(now),
        ..row
    };
    let fresh = results
        .iter()
        .filter(|used| **used == CodeUse::Fresh(redeemed.clone()))
        .count();
    let used = results
        .iter()
        .filter(|used| **used == CodeUse::Used(redeemed.clone()))
        .count();
    assert_eq!((fresh, used), (1, results.len() - 1), "{results:?}");
}
