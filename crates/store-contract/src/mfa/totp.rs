//! TOTP devices: storing and listing, confirmation, accepting time steps (once, forward only,
//! also under a race), renaming and deleting.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::store::{Store, TotpRow};
use uuid::Uuid;

use super::{committed, confirmed_totp, race, totp, user_id};
use crate::fixtures::epoch;

async fn insert(store: &Arc<dyn Store>, rows: &[&TotpRow]) {
    committed(store, async |transaction| {
        for row in rows {
            transaction.insert_totp(row).await.unwrap();
        }
    })
    .await;
}

async fn device(store: &Arc<dyn Store>, row: &TotpRow) -> Option<TotpRow> {
    store.mfa().totp_device(row.user_id, row.id).await.unwrap()
}

/// Devices come back exactly as stored, confirmed or not, the user's only, oldest first; one
/// device is found only with its owner's id.
pub async fn totp_devices_round_trip_oldest_first(store: Arc<dyn Store>) {
    let owner = user_id(&store, "totp-list@example.test").await;
    let stranger = user_id(&store, "totp-other@example.test").await;
    let oldest = TotpRow {
        last_step: Some(58_000_000),
        last_used_at: Some(epoch() + Duration::hours(2)),
        ..confirmed_totp(owner)
    };
    let unconfirmed = totp(owner, epoch() + Duration::minutes(5), None);
    let newest = totp(
        owner,
        epoch() + Duration::minutes(10),
        Some(epoch() + Duration::minutes(11)),
    );
    let theirs = confirmed_totp(stranger);
    insert(&store, &[&newest, &theirs, &oldest, &unconfirmed]).await;

    let listed = store.mfa().totp_devices(owner).await.unwrap();
    assert_eq!(listed, vec![oldest.clone(), unconfirmed.clone(), newest]);
    assert_eq!(device(&store, &oldest).await, Some(oldest.clone()));
    assert_eq!(device(&store, &unconfirmed).await, Some(unconfirmed));
    assert_eq!(
        store.mfa().totp_device(stranger, oldest.id).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .mfa()
            .totp_device(owner, Uuid::now_v7())
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .mfa()
            .totp_devices(Uuid::now_v7())
            .await
            .unwrap()
            .is_empty()
    );
}

/// A confirmed device accepts a step once; after it, the same or an earlier step is refused
/// and a later one accepted. An acceptance records the step and `last_used_at`.
pub async fn totp_step_is_accepted_once_and_only_forward(store: Arc<dyn Store>) {
    let owner = user_id(&store, "totp-step@example.test").await;
    let row = confirmed_totp(owner);
    insert(&store, &[&row]).await;
    let mfa = store.mfa();
    let now = epoch() + Duration::hours(1);

    assert!(mfa.accept_totp_step(row.id, 1_000, now).await.unwrap());
    let accepted = TotpRow {
        last_step: Some(1_000),
        last_used_at: Some(now),
        ..row.clone()
    };
    assert_eq!(device(&store, &row).await, Some(accepted.clone()));
    let later = now + Duration::seconds(10);
    assert!(!mfa.accept_totp_step(row.id, 1_000, later).await.unwrap());
    assert!(!mfa.accept_totp_step(row.id, 999, later).await.unwrap());
    assert_eq!(
        device(&store, &row).await,
        Some(accepted),
        "a refused step changes nothing"
    );
    assert!(mfa.accept_totp_step(row.id, 1_001, later).await.unwrap());
    let moved = device(&store, &row).await.unwrap();
    assert_eq!(
        (moved.last_step, moved.last_used_at),
        (Some(1_001), Some(later))
    );
    assert!(
        !mfa.accept_totp_step(Uuid::now_v7(), 2_000, later)
            .await
            .unwrap()
    );
}

/// An unconfirmed device accepts no step, and stays as it was.
pub async fn unconfirmed_totp_refuses_every_step(store: Arc<dyn Store>) {
    let owner = user_id(&store, "totp-unconfirmed@example.test").await;
    let row = totp(owner, epoch(), None);
    insert(&store, &[&row]).await;
    let now = epoch() + Duration::minutes(1);
    for step in [0, 1, 1_000, i64::MAX] {
        assert!(
            !store
                .mfa()
                .accept_totp_step(row.id, step, now)
                .await
                .unwrap()
        );
    }
    assert_eq!(device(&store, &row).await, Some(row));
}

/// Only the owner confirms an unconfirmed device, once; the confirming step counts as the last
/// accepted one, so it cannot be accepted again.
pub async fn confirm_totp_works_once_for_the_owner(store: Arc<dyn Store>) {
    let owner = user_id(&store, "totp-confirm@example.test").await;
    let stranger = user_id(&store, "totp-intruder@example.test").await;
    let row = totp(owner, epoch(), None);
    let already = confirmed_totp(owner);
    insert(&store, &[&row, &already]).await;
    let now = epoch() + Duration::minutes(2);

    let confirmed = committed(&store, async |transaction| {
        let by_stranger = transaction
            .confirm_totp(stranger, row.id, 500, now)
            .await
            .unwrap();
        let first = transaction
            .confirm_totp(owner, row.id, 500, now)
            .await
            .unwrap();
        let second = transaction
            .confirm_totp(owner, row.id, 501, now)
            .await
            .unwrap();
        let confirmed_before = transaction
            .confirm_totp(owner, already.id, 500, now)
            .await
            .unwrap();
        let unknown = transaction
            .confirm_totp(owner, Uuid::now_v7(), 500, now)
            .await
            .unwrap();
        [by_stranger, first, second, confirmed_before, unknown]
    })
    .await;
    assert_eq!(confirmed, [false, true, false, false, false]);

    let stored = device(&store, &row).await.unwrap();
    assert_eq!(stored.confirmed_at, Some(now));
    assert_eq!(stored.last_step, Some(500));
    assert_eq!(
        TotpRow {
            confirmed_at: None,
            last_step: None,
            last_used_at: None,
            ..stored
        },
        row
    );
    assert_eq!(device(&store, &already).await, Some(already));
    let later = now + Duration::seconds(30);
    assert!(
        !store
            .mfa()
            .accept_totp_step(row.id, 500, later)
            .await
            .unwrap()
    );
    assert!(
        store
            .mfa()
            .accept_totp_step(row.id, 501, later)
            .await
            .unwrap()
    );
}

/// Of several nodes accepting the same step of a device at the same moment, exactly one
/// succeeds.
pub async fn concurrent_totp_steps_are_accepted_once(store: Arc<dyn Store>) {
    let owner = user_id(&store, "totp-race@example.test").await;
    let row = confirmed_totp(owner);
    insert(&store, &[&row]).await;
    let now = epoch() + Duration::hours(1);
    let id = row.id;
    let results = race(&store, |store| async move {
        store.mfa().accept_totp_step(id, 7_777, now).await.unwrap()
    })
    .await;
    assert_eq!(results.iter().filter(|accepted| **accepted).count(), 1);
    assert_eq!(device(&store, &row).await.unwrap().last_step, Some(7_777));
}

/// A device is renamed and deleted only by its owner; deleting works once.
pub async fn rename_and_delete_totp_only_for_the_owner(store: Arc<dyn Store>) {
    let owner = user_id(&store, "totp-rename@example.test").await;
    let stranger = user_id(&store, "totp-vandal@example.test").await;
    let row = confirmed_totp(owner);
    insert(&store, &[&row]).await;

    let renamed = committed(&store, async |transaction| {
        [
            transaction
                .rename_totp(stranger, row.id, "stolen")
                .await
                .unwrap(),
            transaction
                .rename_totp(owner, row.id, "Work phone ✓")
                .await
                .unwrap(),
            transaction
                .rename_totp(owner, Uuid::now_v7(), "nobody")
                .await
                .unwrap(),
        ]
    })
    .await;
    assert_eq!(renamed, [false, true, false]);
    let expected = TotpRow {
        name: "Work phone ✓".to_owned(),
        ..row.clone()
    };
    assert_eq!(device(&store, &row).await, Some(expected));

    let deleted = committed(&store, async |transaction| {
        [
            transaction.delete_totp(stranger, row.id).await.unwrap(),
            transaction.delete_totp(owner, row.id).await.unwrap(),
            transaction.delete_totp(owner, row.id).await.unwrap(),
        ]
    })
    .await;
    assert_eq!(deleted, [false, true, false]);
    assert!(store.mfa().totp_devices(owner).await.unwrap().is_empty());
}

/// Deleting unconfirmed devices takes only the user's never-confirmed devices begun before the
/// cutoff.
pub async fn delete_unconfirmed_totp_spares_confirmed_and_recent_devices(store: Arc<dyn Store>) {
    let owner = user_id(&store, "totp-abandoned@example.test").await;
    let stranger = user_id(&store, "totp-bystander@example.test").await;
    let cutoff = epoch() + Duration::hours(1);
    let abandoned = totp(owner, epoch(), None);
    let at_cutoff = totp(owner, cutoff, None);
    let confirmed = confirmed_totp(owner);
    let theirs = totp(stranger, epoch(), None);
    insert(&store, &[&abandoned, &at_cutoff, &confirmed, &theirs]).await;

    let deleted = committed(&store, async |transaction| {
        transaction
            .delete_unconfirmed_totp(owner, cutoff)
            .await
            .unwrap()
    })
    .await;
    assert_eq!(deleted, 1);
    let listed = store.mfa().totp_devices(owner).await.unwrap();
    assert_eq!(listed, vec![confirmed, at_cutoff]);
    let listed = store.mfa().totp_devices(stranger).await.unwrap();
    assert_eq!(listed, vec![theirs]);
}
