//! Sign-in: throttling held in the database, enumeration resistance, status, rehash.

use std::sync::Arc;

use gatehouse_domain::Clock;

use gatehouse_domain::{
    accounts::{AccountError, HashingCost, PasswordHasher, authenticate, sign_in},
    store::UserRow,
};

use super::support::{PASSWORD, context, verified_user};
use crate::support::TestApp;

#[tokio::test]
async fn fifty_parallel_wrong_passwords_count_exactly_the_configured_failures() {
    let app = TestApp::spawn().await;
    verified_user(&app, "eve@example.com").await;
    let accounts = Arc::new(app.services.accounts.clone());
    let free = accounts.settings.account_throttle.free_attempts;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let accounts = accounts.clone();
            tokio::spawn(async move {
                sign_in(
                    &accounts,
                    &context(),
                    "eve@example.com",
                    "wrong wrong wrong wrong",
                )
                .await
            })
        })
        .collect();
    let mut wrong = 0;
    let mut throttled = 0;
    for task in tasks {
        match task.await.unwrap() {
            Err(AccountError::InvalidCredentials) => wrong += 1,
            Err(AccountError::Throttled { .. }) => throttled += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        wrong, free,
        "exactly the configured number of failures were counted"
    );
    assert_eq!(throttled, 50 - free);
    let right = sign_in(&accounts, &context(), "eve@example.com", PASSWORD)
        .await
        .unwrap_err();
    assert!(
        matches!(right, AccountError::Throttled { .. }),
        "even the right password waits"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_wait_after_failures_ends_so_a_victim_is_never_locked_out_for_long() {
    let app = TestApp::spawn().await;
    verified_user(&app, "fay@example.com").await;
    let accounts = &app.services.accounts;
    let max = accounts.settings.account_throttle.max_delay;
    for _ in 0..40 {
        let _ = sign_in(
            accounts,
            &context(),
            "fay@example.com",
            "wrong wrong wrong wrong",
        )
        .await;
        app.clock.advance(chrono::Duration::seconds(1));
    }
    let until = match sign_in(accounts, &context(), "fay@example.com", PASSWORD).await {
        Err(AccountError::Throttled { until }) => until,
        other => panic!("expected a wait, got {other:?}"),
    };
    assert!(
        until - app.clock.now() <= max,
        "the wait is capped at {max}"
    );
    app.clock.advance(max);
    assert!(
        sign_in(accounts, &context(), "fay@example.com", PASSWORD)
            .await
            .is_ok()
    );
    app.stop().await;
}

#[tokio::test]
async fn unknown_and_known_addresses_fail_alike_and_both_run_the_hasher() {
    let app = TestApp::spawn().await;
    verified_user(&app, "gus@example.com").await;
    let accounts = &app.services.accounts;
    let before = accounts.hasher.verifications();
    let unknown = sign_in(accounts, &context(), "nobody@example.com", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        accounts.hasher.verifications(),
        before + 1,
        "the dummy hash ran"
    );
    let known = sign_in(
        accounts,
        &context(),
        "gus@example.com",
        "not the password at all",
    )
    .await
    .unwrap_err();
    assert_eq!(accounts.hasher.verifications(), before + 2);
    assert_eq!(unknown.to_string(), known.to_string());
    assert_eq!(unknown.code(), known.code());
    app.stop().await;
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_and_its_sessions_stop_working() {
    let app = TestApp::spawn().await;
    let signed_in = verified_user(&app, "hal@example.com").await;
    let accounts = &app.services.accounts;
    assert!(
        authenticate(accounts, &signed_in.token)
            .await
            .unwrap()
            .is_some()
    );
    set_status(&app, signed_in.user.id(), "disabled").await;
    assert!(
        authenticate(accounts, &signed_in.token)
            .await
            .unwrap()
            .is_none()
    );
    let refused = sign_in(accounts, &context(), "hal@example.com", PASSWORD)
        .await
        .unwrap_err();
    assert!(matches!(refused, AccountError::AccountDisabled));
    app.stop().await;
}

/// Changes the status behind the use cases' back (there is no disable use case yet), so the
/// node's session cache is told by hand, as such a use case will do; other nodes would see it
/// within `sessions.cache_ttl_ms`.
async fn set_status(app: &TestApp, id: uuid::Uuid, status: &str) {
    let mut transaction = app.services.store.begin().await.unwrap();
    let row: UserRow = transaction.lock_user(id).await.unwrap().unwrap();
    transaction
        .update_user(&UserRow {
            status: status.to_owned(),
            ..row
        })
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    app.services.accounts.session_cache.forget_user(id);
}

#[tokio::test]
async fn sessions_end_when_idle_and_at_their_absolute_limit() {
    let app = TestApp::spawn().await;
    let signed_in = verified_user(&app, "ivy@example.com").await;
    let accounts = &app.services.accounts;
    let policy = accounts.settings.sessions;
    app.clock
        .advance(policy.idle - chrono::Duration::minutes(1));
    assert!(
        authenticate(accounts, &signed_in.token)
            .await
            .unwrap()
            .is_some(),
        "used in time"
    );
    app.clock
        .advance(policy.idle + chrono::Duration::minutes(1));
    assert!(
        authenticate(accounts, &signed_in.token)
            .await
            .unwrap()
            .is_none(),
        "idle too long"
    );

    let fresh = sign_in(accounts, &context(), "ivy@example.com", PASSWORD)
        .await
        .unwrap()
        .signed_in()
        .unwrap();
    let step = policy.idle - chrono::Duration::minutes(5);
    let mut alive = true;
    let mut elapsed = chrono::Duration::zero();
    while elapsed < policy.absolute + step {
        app.clock.advance(step);
        elapsed += step;
        alive = authenticate(accounts, &fresh.token)
            .await
            .unwrap()
            .is_some();
        if !alive {
            break;
        }
    }
    assert!(
        !alive && elapsed >= policy.absolute,
        "ended at the absolute limit, not before"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_hash_made_with_old_parameters_is_replaced_at_sign_in() {
    let app = TestApp::spawn().await;
    let signed_in = verified_user(&app, "jo@example.com").await;
    let mut accounts = app.services.accounts.clone();
    let stronger = HashingCost {
        memory_kib: 128,
        iterations: 1,
        parallelism: 1,
    };
    accounts.hasher = PasswordHasher::new(stronger, 1, std::time::Duration::from_secs(5)).unwrap();
    sign_in(&accounts, &context(), "jo@example.com", PASSWORD)
        .await
        .unwrap()
        .signed_in()
        .unwrap();
    let stored = accounts
        .store
        .users()
        .password(signed_in.user.id())
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.hash.starts_with("$argon2id$v=19$m=128,t=1,p=1$"),
        "{}",
        stored.hash
    );
    assert!(
        sign_in(&accounts, &context(), "jo@example.com", PASSWORD)
            .await
            .is_ok()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_node_caches_a_session_for_at_most_its_ttl_and_forgets_its_own_changes_at_once() {
    let app = TestApp::spawn().await;
    let signed_in = verified_user(&app, "kim@example.com").await;
    let accounts = &app.services.accounts;
    let user = signed_in.user.id();
    assert!(
        authenticate(accounts, &signed_in.token)
            .await
            .unwrap()
            .is_some()
    );
    // Revoked by another node (straight in the database): this node answers from its cache
    // until the entry is a second old.
    let mut transaction = app.services.store.begin().await.unwrap();
    transaction
        .revoke_sessions(user, None, app.clock.now())
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    assert!(
        authenticate(accounts, &signed_in.token)
            .await
            .unwrap()
            .is_some()
    );
    app.clock.advance(chrono::Duration::milliseconds(1_000));
    assert!(
        authenticate(accounts, &signed_in.token)
            .await
            .unwrap()
            .is_none()
    );
    // A sign-out on this node takes effect at once.
    let again = sign_in(accounts, &context(), "kim@example.com", PASSWORD)
        .await
        .unwrap()
        .signed_in()
        .unwrap();
    let current = authenticate(accounts, &again.token).await.unwrap().unwrap();
    gatehouse_domain::accounts::sign_out(accounts, &context(), &current)
        .await
        .unwrap();
    assert!(
        authenticate(accounts, &again.token)
            .await
            .unwrap()
            .is_none()
    );
    app.stop().await;
}
