//! A user's factors as a whole: the summary, deleting them all, the enrolment deadline, and a
//! rolled-back change leaving nothing behind.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::Duration;
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{ChallengeRow, FactorSummary, Store, TotpRow};
use uuid::Uuid;

use super::{challenge, committed, confirmed_totp, race, recovery_code, totp, user_id, webauthn};
use crate::fixtures::epoch;

/// Stores, for `user_id`: a confirmed and an unconfirmed TOTP device, three recovery codes of
/// which one is used, two security keys and one passkey.
async fn enrol_everything(store: &Arc<dyn Store>, user_id: Uuid) {
    let codes: Vec<_> = (1..=3_u8)
        .map(|n| recovery_code(user_id, &[n; 32]))
        .collect();
    committed(store, async |transaction| {
        transaction
            .insert_totp(&confirmed_totp(user_id))
            .await
            .unwrap();
        transaction
            .insert_totp(&totp(user_id, epoch(), None))
            .await
            .unwrap();
        transaction
            .replace_recovery_codes(user_id, &codes)
            .await
            .unwrap();
        assert!(
            transaction
                .use_recovery_code(user_id, &[2; 32], epoch())
                .await
                .unwrap()
        );
        for kind in ["security_key", "security_key", "passkey"] {
            transaction
                .insert_webauthn(&webauthn(user_id, kind, epoch()))
                .await
                .unwrap();
        }
    })
    .await;
}

/// The summary counts confirmed TOTP devices, unused recovery codes and WebAuthn credentials
/// by kind, of this user only.
pub async fn factor_summary_counts_usable_factors(store: Arc<dyn Store>) {
    let owner = user_id(&store, "summary@example.test").await;
    let stranger = user_id(&store, "summary-other@example.test").await;
    let mfa = store.mfa();
    assert_eq!(
        mfa.factor_summary(owner).await.unwrap(),
        FactorSummary::default()
    );
    enrol_everything(&store, owner).await;
    let expected = FactorSummary {
        totp: 1,
        recovery_codes: 2,
        security_keys: 2,
        passkeys: 1,
    };
    assert_eq!(mfa.factor_summary(owner).await.unwrap(), expected);
    assert_eq!(
        mfa.factor_summary(stranger).await.unwrap(),
        FactorSummary::default()
    );

    // Only unconfirmed TOTP devices and recovery codes: no second factor.
    let codes = [recovery_code(stranger, &[1; 32])];
    committed(&store, async |transaction| {
        transaction
            .insert_totp(&totp(stranger, epoch(), None))
            .await
            .unwrap();
        transaction
            .replace_recovery_codes(stranger, &codes)
            .await
            .unwrap();
    })
    .await;
    let summary = mfa.factor_summary(stranger).await.unwrap();
    assert_eq!(
        summary,
        FactorSummary {
            recovery_codes: 1,
            ..FactorSummary::default()
        }
    );
    assert!(!summary.has_second_factor());
    assert_eq!(
        mfa.factor_summary(Uuid::now_v7()).await.unwrap(),
        FactorSummary::default()
    );
}

/// Deleting all of a user's factors removes their TOTP devices, recovery codes and WebAuthn
/// credentials, counts the rows, and leaves other users, challenges and the enrolment deadline
/// alone.
pub async fn delete_all_factors_removes_only_the_users_factors(store: Arc<dyn Store>) {
    let owner = user_id(&store, "reset@example.test").await;
    let stranger = user_id(&store, "reset-other@example.test").await;
    enrol_everything(&store, owner).await;
    enrol_everything(&store, stranger).await;
    let due = epoch() + Duration::days(7);
    assert_eq!(store.mfa().enrolment_due(owner, due).await.unwrap(), due);
    let pending = ChallengeRow {
        user_id: Some(owner),
        ..challenge("sign_in", epoch())
    };
    committed(&store, async |transaction| {
        transaction.insert_challenge(&pending).await.unwrap();
    })
    .await;

    let deleted = committed(&store, async |transaction| {
        [
            transaction.delete_all_factors(owner).await.unwrap(),
            transaction.delete_all_factors(owner).await.unwrap(),
        ]
    })
    .await;
    assert_eq!(deleted, [2 + 3 + 3, 0]);
    let mfa = store.mfa();
    assert_eq!(
        mfa.factor_summary(owner).await.unwrap(),
        FactorSummary::default()
    );
    assert!(mfa.totp_devices(owner).await.unwrap().is_empty());
    assert!(mfa.webauthn_credentials(owner).await.unwrap().is_empty());
    let theirs = mfa.factor_summary(stranger).await.unwrap();
    assert_eq!((theirs.totp, theirs.recovery_codes), (1, 2));
    assert_eq!(mfa.totp_devices(stranger).await.unwrap().len(), 2);
    assert_eq!(mfa.webauthn_credentials(stranger).await.unwrap().len(), 3);
    assert!(
        mfa.challenge(&pending.token_hash, epoch())
            .await
            .unwrap()
            .is_some()
    );
    let later = due + Duration::days(30);
    assert_eq!(mfa.enrolment_due(owner, later).await.unwrap(), due);
}

/// The enrolment deadline is stored by the first call and returned by every later one, per
/// user, also when several nodes ask at once; an unknown user is `NotFound`.
pub async fn enrolment_due_is_stored_once(store: Arc<dyn Store>) {
    let owner = user_id(&store, "due@example.test").await;
    let stranger = user_id(&store, "due-other@example.test").await;
    let first = epoch() + Duration::days(14);
    let mfa = store.mfa();
    assert_eq!(mfa.enrolment_due(owner, first).await.unwrap(), first);
    for proposed in [first + Duration::days(1), first - Duration::days(1)] {
        assert_eq!(mfa.enrolment_due(owner, proposed).await.unwrap(), first);
    }
    let theirs = epoch() + Duration::days(3);
    assert_eq!(mfa.enrolment_due(stranger, theirs).await.unwrap(), theirs);
    let nobody = mfa.enrolment_due(Uuid::now_v7(), first).await.unwrap_err();
    assert!(matches!(nobody, StoreError::NotFound(_)), "{nobody:?}");

    let racer = user_id(&store, "due-race@example.test").await;
    let racers = AtomicI64::new(0);
    let results = race(&store, |store| {
        // Every racer proposes a different deadline.
        let proposed = epoch() + Duration::seconds(racers.fetch_add(1, Ordering::Relaxed));
        async move { store.mfa().enrolment_due(racer, proposed).await.unwrap() }
    })
    .await;
    assert!(
        results.windows(2).all(|pair| pair[0] == pair[1]),
        "{results:?}"
    );
    let stored = mfa.enrolment_due(racer, epoch()).await.unwrap();
    assert_eq!(results[0], stored);
}

/// Factors, recovery codes, challenges and uses written in a transaction that rolls back leave
/// nothing behind.
pub async fn rolled_back_mfa_changes_leave_nothing(store: Arc<dyn Store>) {
    let owner = user_id(&store, "rollback-mfa@example.test").await;
    let device = confirmed_totp(owner);
    let pending = totp(owner, epoch() + Duration::seconds(1), None);
    let code = recovery_code(owner, &[3; 32]);
    let key = webauthn(owner, "passkey", epoch());
    let started = challenge("sign_in", epoch());
    committed(&store, async |transaction| {
        transaction.insert_totp(&pending).await.unwrap();
    })
    .await;
    let now = epoch() + Duration::minutes(1);

    let mut transaction = store.begin().await.unwrap();
    transaction.insert_totp(&device).await.unwrap();
    assert!(
        transaction
            .confirm_totp(owner, pending.id, 10, now)
            .await
            .unwrap()
    );
    assert!(
        transaction
            .rename_totp(owner, pending.id, "renamed")
            .await
            .unwrap()
    );
    transaction
        .replace_recovery_codes(owner, std::slice::from_ref(&code))
        .await
        .unwrap();
    transaction.insert_webauthn(&key).await.unwrap();
    transaction.insert_challenge(&started).await.unwrap();
    assert!(
        transaction
            .consume_challenge(&started.token_hash, "sign_in", now)
            .await
            .unwrap()
            .is_some()
    );
    transaction.rollback().await.unwrap();

    let mfa = store.mfa();
    assert_eq!(
        mfa.totp_devices(owner).await.unwrap(),
        vec![pending.clone()]
    );
    assert_eq!(
        mfa.factor_summary(owner).await.unwrap(),
        FactorSummary::default()
    );
    assert!(mfa.webauthn_credentials(owner).await.unwrap().is_empty());
    assert_eq!(
        mfa.webauthn_by_credential_id(&key.credential_id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(mfa.challenge(&started.token_hash, now).await.unwrap(), None);

    // A rolled-back deletion of everything leaves everything.
    committed(&store, async |transaction| {
        transaction.insert_totp(&device).await.unwrap();
    })
    .await;
    let mut transaction = store.begin().await.unwrap();
    assert_eq!(transaction.delete_all_factors(owner).await.unwrap(), 2);
    assert!(!transaction.delete_totp(owner, device.id).await.unwrap());
    transaction.rollback().await.unwrap();
    let listed: Vec<TotpRow> = mfa.totp_devices(owner).await.unwrap();
    assert_eq!(listed, vec![device, pending]);
}
