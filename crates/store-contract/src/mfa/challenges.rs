//! Sign-in challenges: reading a live one, consuming it once for its kind (also under a race),
//! counting wrong answers up to a maximum, replacing the state, pruning.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::store::{ChallengeRow, Store};

use super::{challenge, committed, race, session, user_id};
use crate::fixtures::epoch;

async fn insert(store: &Arc<dyn Store>, rows: &[&ChallengeRow]) {
    committed(store, async |transaction| {
        for row in rows {
            transaction.insert_challenge(row).await.unwrap();
        }
    })
    .await;
}

async fn read(
    store: &Arc<dyn Store>,
    row: &ChallengeRow,
    now: DateTime<Utc>,
) -> Option<ChallengeRow> {
    store.mfa().challenge(&row.token_hash, now).await.unwrap()
}

async fn consume(
    store: &Arc<dyn Store>,
    row: &ChallengeRow,
    kind: &str,
    now: DateTime<Utc>,
) -> Option<ChallengeRow> {
    committed(store, async |transaction| {
        transaction
            .consume_challenge(&row.token_hash, kind, now)
            .await
            .unwrap()
    })
    .await
}

async fn spend(
    store: &Arc<dyn Store>,
    row: &ChallengeRow,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Option<i32> {
    committed(store, async |transaction| {
        transaction
            .spend_challenge_attempt(&row.token_hash, max_attempts, now)
            .await
            .unwrap()
    })
    .await
}

/// A challenge reads back exactly as stored (with its user and session) while it is unconsumed
/// and `expires_at > now`; an unknown digest reads `None`.
pub async fn challenge_is_read_only_while_live(store: Arc<dyn Store>) {
    let owner = user_id(&store, "challenge-read@example.test").await;
    let from = session(owner);
    committed(&store, async |transaction| {
        transaction.insert_session(&from).await.unwrap();
    })
    .await;
    let bound = ChallengeRow {
        user_id: Some(owner),
        session_id: Some(from.id),
        attempts: 2,
        ..challenge("step_up", epoch())
    };
    let anonymous = challenge("webauthn_sign_in", epoch());
    let consumed = ChallengeRow {
        consumed_at: Some(epoch() + Duration::seconds(1)),
        ..challenge("sign_in", epoch())
    };
    insert(&store, &[&bound, &anonymous, &consumed]).await;
    let now = epoch() + Duration::minutes(1);

    assert_eq!(read(&store, &bound, now).await, Some(bound.clone()));
    assert_eq!(read(&store, &anonymous, now).await, Some(anonymous.clone()));
    assert_eq!(read(&store, &consumed, now).await, None);
    // Dead at its expiry instant.
    let expiry = bound.expires_at;
    assert!(
        read(&store, &bound, expiry - Duration::microseconds(1))
            .await
            .is_some()
    );
    assert_eq!(read(&store, &bound, expiry).await, None);
    assert_eq!(store.mfa().challenge(&[0; 32], now).await.unwrap(), None);
}

/// A challenge is consumed once, only for its kind and only while it lives; the consumption
/// returns the whole row with `consumed_at` set. A consumption rolled back leaves it usable.
pub async fn challenge_is_consumed_once_and_only_for_its_kind(store: Arc<dyn Store>) {
    let owner = user_id(&store, "challenge-consume@example.test").await;
    let row = ChallengeRow {
        user_id: Some(owner),
        ..challenge("sign_in", epoch())
    };
    let expired = challenge("sign_in", epoch() - Duration::minutes(5));
    insert(&store, &[&row, &expired]).await;
    let now = epoch() + Duration::minutes(1);

    assert_eq!(consume(&store, &row, "webauthn_register", now).await, None);
    let mut transaction = store.begin().await.unwrap();
    let consumed = transaction
        .consume_challenge(&row.token_hash, "sign_in", now)
        .await
        .unwrap();
    assert!(consumed.is_some());
    transaction.rollback().await.unwrap();
    assert_eq!(read(&store, &row, now).await, Some(row.clone()));

    let expected = ChallengeRow {
        consumed_at: Some(now),
        ..row.clone()
    };
    assert_eq!(consume(&store, &row, "sign_in", now).await, Some(expected));
    assert_eq!(consume(&store, &row, "sign_in", now).await, None);
    assert_eq!(read(&store, &row, now).await, None);
    // `expires_at` is exactly `epoch()`.
    assert_eq!(consume(&store, &expired, "sign_in", epoch()).await, None);
}

/// Wrong answers count up to `max_attempts`, then there are none left; a consumed, expired or
/// unknown challenge counts nothing. The count is stored and does not stop consumption.
pub async fn challenge_attempts_count_up_to_the_max(store: Arc<dyn Store>) {
    let row = challenge("sign_in", epoch());
    let other = challenge("sign_in", epoch());
    let consumed = ChallengeRow {
        consumed_at: Some(epoch()),
        ..challenge("sign_in", epoch())
    };
    insert(&store, &[&row, &other, &consumed]).await;
    let now = epoch() + Duration::minutes(1);

    for attempts in 1..=3 {
        assert_eq!(spend(&store, &row, 3, now).await, Some(attempts));
    }
    assert_eq!(spend(&store, &row, 3, now).await, None);
    assert_eq!(read(&store, &row, now).await.unwrap().attempts, 3);
    // A larger maximum allows more.
    assert_eq!(spend(&store, &row, 5, now).await, Some(4));
    assert_eq!(spend(&store, &other, 3, now).await, Some(1));
    assert_eq!(spend(&store, &consumed, 3, now).await, None);
    assert_eq!(spend(&store, &other, 3, other.expires_at).await, None);
    assert_eq!(read(&store, &other, now).await.unwrap().attempts, 1);
    let unknown = challenge("sign_in", epoch());
    assert_eq!(spend(&store, &unknown, 3, now).await, None);
    let consumed_now = consume(&store, &row, "sign_in", now).await.unwrap();
    assert_eq!(consumed_now.attempts, 4);
}

/// The sealed state is replaced only on a live challenge.
pub async fn update_challenge_state_changes_only_live_challenges(store: Arc<dyn Store>) {
    let row = challenge("webauthn_register", epoch());
    let consumed = ChallengeRow {
        consumed_at: Some(epoch()),
        ..challenge("webauthn_register", epoch())
    };
    insert(&store, &[&row, &consumed]).await;
    let now = epoch() + Duration::minutes(1);
    let state = vec![4_u8, 3, 2, 1, 0, 255];

    let updated = committed(&store, async |transaction| {
        [
            transaction
                .update_challenge_state(&row.token_hash, &state, now)
                .await
                .unwrap(),
            transaction
                .update_challenge_state(&consumed.token_hash, &state, now)
                .await
                .unwrap(),
            transaction
                .update_challenge_state(&row.token_hash, &[1], row.expires_at)
                .await
                .unwrap(),
            transaction
                .update_challenge_state(&[0; 32], &state, now)
                .await
                .unwrap(),
        ]
    })
    .await;
    assert_eq!(updated, [true, false, false, false]);
    let expected = ChallengeRow {
        state,
        ..row.clone()
    };
    assert_eq!(read(&store, &row, now).await, Some(expected));
}

/// Pruning deletes the challenges that expired or were consumed before the cutoff, and no
/// others.
pub async fn prune_challenges_deletes_challenges_ended_before_the_cutoff(store: Arc<dyn Store>) {
    let cutoff = epoch() + Duration::hours(1);
    let expired_before = ChallengeRow {
        expires_at: cutoff - Duration::seconds(1),
        ..challenge("sign_in", epoch())
    };
    let consumed_before = ChallengeRow {
        consumed_at: Some(cutoff - Duration::seconds(1)),
        expires_at: cutoff + Duration::hours(1),
        ..challenge("sign_in", epoch())
    };
    let expires_at_cutoff = ChallengeRow {
        expires_at: cutoff,
        ..challenge("sign_in", epoch())
    };
    let consumed_after = ChallengeRow {
        consumed_at: Some(cutoff + Duration::seconds(1)),
        expires_at: cutoff + Duration::hours(1),
        ..challenge("sign_in", epoch())
    };
    let live = ChallengeRow {
        expires_at: cutoff + Duration::hours(1),
        ..challenge("sign_in", epoch())
    };
    insert(
        &store,
        &[
            &expired_before,
            &consumed_before,
            &expires_at_cutoff,
            &consumed_after,
            &live,
        ],
    )
    .await;
    assert_eq!(store.mfa().prune_challenges(cutoff).await.unwrap(), 2);
    assert_eq!(store.mfa().prune_challenges(cutoff).await.unwrap(), 0);
    let later = cutoff + Duration::seconds(2);
    assert_eq!(store.mfa().prune_challenges(later).await.unwrap(), 2);
    assert_eq!(read(&store, &live, cutoff).await, Some(live));
}

/// Of several nodes consuming the same challenge at the same moment, exactly one gets it.
pub async fn concurrent_challenge_consumptions_succeed_once(store: Arc<dyn Store>) {
    let row = challenge("sign_in", epoch());
    insert(&store, &[&row]).await;
    let now = epoch() + Duration::minutes(1);
    let token_hash = row.token_hash.clone();
    let results = race(&store, |store| {
        let token_hash = token_hash.clone();
        async move {
            let mut transaction = store.begin().await.unwrap();
            let consumed = transaction
                .consume_challenge(&token_hash, "sign_in", now)
                .await
                .unwrap();
            transaction.commit().await.unwrap();
            consumed
        }
    })
    .await;
    let winners: Vec<_> = results.into_iter().flatten().collect();
    assert_eq!(winners.len(), 1);
    assert_eq!(winners[0].id, row.id);
    assert_eq!(read(&store, &row, now).await, None);
}
