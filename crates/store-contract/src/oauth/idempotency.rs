//! Reservations of idempotency keys: a create reserves its key before it runs, then completes
//! the reservation with its answer or releases it; a reservation abandoned by a dead node is
//! taken over. Under a race, exactly one request reserves a key, and exactly one takes over an
//! abandoned reservation.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::store::{IdempotentResponseRow, Store};

use super::{committed, race, random_bytes, reservation};
use crate::fixtures::epoch;

async fn reserve(store: &Arc<dyn Store>, row: &IdempotentResponseRow) -> bool {
    committed(store, async |transaction| {
        transaction.insert_idempotent_response(row).await.unwrap()
    })
    .await
}

async fn take_over(
    store: &Arc<dyn Store>,
    row: &IdempotentResponseRow,
    abandoned_before: DateTime<Utc>,
) -> bool {
    committed(store, async |transaction| {
        transaction
            .take_over_idempotent_response(row, abandoned_before)
            .await
            .unwrap()
    })
    .await
}

async fn complete(store: &Arc<dyn Store>, row: &IdempotentResponseRow) -> bool {
    committed(store, async |transaction| {
        transaction.complete_idempotent_response(row).await.unwrap()
    })
    .await
}

async fn release(store: &Arc<dyn Store>, row: &IdempotentResponseRow) -> bool {
    committed(store, async |transaction| {
        transaction.release_idempotent_response(row).await.unwrap()
    })
    .await
}

async fn stored(store: &Arc<dyn Store>, actor: &str, key: &str) -> Option<IdempotentResponseRow> {
    store.oauth().idempotent_response(actor, key).await.unwrap()
}

/// `reserved` completed with a 201 answer at `at`.
fn answered(reserved: &IdempotentResponseRow, at: DateTime<Utc>) -> IdempotentResponseRow {
    IdempotentResponseRow {
        status: 201,
        body: r#"{"id":"u-1","email":"zoë@example.test"}"#.to_owned(),
        completed_at: Some(at),
        ..reserved.clone()
    }
}

/// A pending reservation reads back as stored and keeps the key from every other request;
/// only its holder (same digest and reservation time) completes it, once, or releases it,
/// which frees the key; a completed answer is neither completed again nor released.
pub async fn reservation_is_completed_or_released_once_by_its_holder(store: Arc<dyn Store>) {
    let actor = "user:01890a5d-ac96-774b-bcce-b302099a8057";
    let held = reservation(actor, "create-1 ✓", epoch());
    assert!(reserve(&store, &held).await);
    let pending = stored(&store, actor, "create-1 ✓").await.unwrap();
    assert_eq!(pending, held);
    assert!(pending.is_pending());
    assert!(!reserve(&store, &held).await);
    let other = reservation(actor, "create-1 ✓", epoch() + Duration::seconds(1));
    assert!(!reserve(&store, &other).await);

    let answer = answered(&held, epoch() + Duration::seconds(2));
    let other_request = IdempotentResponseRow {
        request_digest: random_bytes(32),
        ..answer.clone()
    };
    let other_reservation = IdempotentResponseRow {
        created_at: held.created_at + Duration::microseconds(1),
        ..answer.clone()
    };
    for stranger in [&other_request, &other_reservation] {
        assert!(!complete(&store, stranger).await);
        assert!(!release(&store, stranger).await);
    }
    assert_eq!(
        stored(&store, actor, "create-1 ✓").await,
        Some(held.clone())
    );

    assert!(complete(&store, &answer).await);
    let completed = stored(&store, actor, "create-1 ✓").await.unwrap();
    assert_eq!(completed, answer);
    assert!(!completed.is_pending());
    let overwrite = IdempotentResponseRow {
        status: 500,
        body: "{}".to_owned(),
        ..answered(&held, epoch() + Duration::seconds(3))
    };
    assert!(!complete(&store, &overwrite).await);
    assert!(!release(&store, &held).await);
    assert!(!reserve(&store, &other).await);
    assert_eq!(stored(&store, actor, "create-1 ✓").await, Some(answer));

    // A released reservation frees the key for the next request.
    let failed = reservation(actor, "create-2", epoch());
    assert!(reserve(&store, &failed).await);
    assert!(release(&store, &failed).await);
    assert_eq!(stored(&store, actor, "create-2").await, None);
    assert!(!release(&store, &failed).await);
    assert!(!complete(&store, &answered(&failed, epoch())).await);
    assert_eq!(stored(&store, actor, "create-2").await, None);
    let retry = reservation(actor, "create-2", epoch() + Duration::seconds(1));
    assert!(reserve(&store, &retry).await);
    assert_eq!(stored(&store, actor, "create-2").await, Some(retry));

    // Another caller's key of the same name is its own.
    let theirs = reservation("client:ci-robot", "create-1 ✓", epoch());
    assert!(reserve(&store, &theirs).await);
    assert_eq!(
        stored(&store, "client:ci-robot", "create-1 ✓").await,
        Some(theirs)
    );
}

/// A pending reservation made strictly before the limit is replaced by the taker's, after
/// which its old holder can neither complete nor release it; a younger reservation, a completed
/// answer and a missing key are not taken over (and nothing is inserted).
pub async fn abandoned_reservation_is_taken_over_only_when_old_and_pending(store: Arc<dyn Store>) {
    let actor = "client:ci-robot";
    let stale = reservation(actor, "abandoned", epoch());
    assert!(reserve(&store, &stale).await);
    let now = epoch() + Duration::minutes(10);
    let taker = reservation(actor, "abandoned", now);

    assert!(!take_over(&store, &taker, stale.created_at).await);
    assert_eq!(
        stored(&store, actor, "abandoned").await,
        Some(stale.clone())
    );
    assert!(take_over(&store, &taker, stale.created_at + Duration::microseconds(1)).await);
    assert_eq!(
        stored(&store, actor, "abandoned").await,
        Some(taker.clone())
    );

    // The old holder's late answer and release find nothing of theirs.
    assert!(!complete(&store, &answered(&stale, now)).await);
    assert!(!release(&store, &stale).await);
    assert_eq!(
        stored(&store, actor, "abandoned").await,
        Some(taker.clone())
    );

    // The taker's reservation is young, and once completed it is an answer for good.
    let second = reservation(actor, "abandoned", now + Duration::minutes(1));
    assert!(!take_over(&store, &second, now).await);
    let answer = answered(&taker, now + Duration::seconds(1));
    assert!(complete(&store, &answer).await);
    let far_future = now + Duration::days(365);
    assert!(!take_over(&store, &second, far_future).await);
    assert_eq!(stored(&store, actor, "abandoned").await, Some(answer));

    // An answer stored at once (never pending) is not taken over either.
    let direct = answered(&reservation(actor, "answered", epoch()), epoch());
    assert!(reserve(&store, &direct).await);
    let late = reservation(actor, "answered", now);
    assert!(!take_over(&store, &late, far_future).await);
    assert_eq!(stored(&store, actor, "answered").await, Some(direct));

    let missing = reservation(actor, "missing", now);
    assert!(!take_over(&store, &missing, far_future).await);
    assert_eq!(stored(&store, actor, "missing").await, None);
}

/// Several requests reserving one key at once, each in its own transaction: exactly one
/// reserves it, and the stored reservation is the winner's.
pub async fn concurrent_reservations_of_a_key_have_one_winner(store: Arc<dyn Store>) {
    let results = race(&store, |store| {
        let row = reservation("user:racer", "race-1", epoch());
        async move {
            let mut transaction = store.begin().await.unwrap();
            let won = transaction.insert_idempotent_response(&row).await.unwrap();
            transaction.commit().await.unwrap();
            (won, row)
        }
    })
    .await;
    let winners: Vec<_> = results.iter().filter(|(won, _)| *won).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert_eq!(
        stored(&store, "user:racer", "race-1").await.as_ref(),
        Some(&winners[0].1)
    );
}

/// Several requests taking over one abandoned reservation at once: exactly one gets it, and
/// the stored reservation is the winner's.
pub async fn concurrent_takeovers_of_an_abandoned_reservation_have_one_winner(
    store: Arc<dyn Store>,
) {
    let stale = reservation("user:racer", "race-2", epoch());
    assert!(reserve(&store, &stale).await);
    let now = epoch() + Duration::minutes(10);
    let abandoned_before = now - Duration::minutes(5);
    let results = race(&store, |store| {
        let row = reservation("user:racer", "race-2", now);
        async move {
            let mut transaction = store.begin().await.unwrap();
            let won = transaction
                .take_over_idempotent_response(&row, abandoned_before)
                .await
                .unwrap();
            transaction.commit().await.unwrap();
            (won, row)
        }
    })
    .await;
    let winners: Vec<_> = results.iter().filter(|(won, _)| *won).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert_eq!(
        stored(&store, "user:racer", "race-2").await.as_ref(),
        Some(&winners[0].1)
    );
}
