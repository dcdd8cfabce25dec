//! Contract: second factors (TOTP devices, recovery codes, WebAuthn credentials), the enrolment
//! deadline and sign-in challenges. The tests live in the submodules; this module holds the row
//! builders and helpers they share.

mod challenges;
mod factors;
mod recovery;
mod totp;
mod webauthn;

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::store::{
    ChallengeRow, RecoveryCodeRow, SessionRow, Store, TotpRow, Transaction, WebauthnRow, new_id,
};
use tokio::sync::Barrier;
use uuid::Uuid;

use crate::fixtures::{epoch, insert_user, user};

pub use challenges::{
    challenge_attempts_count_up_to_the_max, challenge_is_consumed_once_and_only_for_its_kind,
    challenge_is_read_only_while_live, concurrent_challenge_consumptions_succeed_once,
    prune_challenges_deletes_challenges_ended_before_the_cutoff,
    update_challenge_state_changes_only_live_challenges,
};
pub use factors::{
    delete_all_factors_removes_only_the_users_factors, enrolment_due_is_stored_once,
    factor_summary_counts_usable_factors, rolled_back_mfa_changes_leave_nothing,
};
pub use recovery::{
    concurrent_uses_of_a_recovery_code_succeed_once, recovery_code_is_used_once_by_its_owner,
    replace_recovery_codes_kills_the_old_ones,
};
pub use totp::{
    concurrent_totp_steps_are_accepted_once, confirm_totp_works_once_for_the_owner,
    delete_unconfirmed_totp_spares_confirmed_and_recent_devices,
    rename_and_delete_totp_only_for_the_owner, totp_devices_round_trip_oldest_first,
    totp_step_is_accepted_once_and_only_forward, unconfirmed_totp_refuses_every_step,
};
pub use webauthn::{
    duplicate_credential_id_is_already_exists, rename_and_delete_webauthn_only_for_the_owner,
    update_webauthn_use_records_the_use, webauthn_credentials_round_trip_oldest_first,
};

/// How many tasks race in the concurrency tests.
const RACERS: usize = 8;

/// `n` random bytes (whole uuids, so a multiple of 16 rounded up).
fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(n + 16);
    while bytes.len() < n {
        bytes.extend_from_slice(new_id().as_bytes());
    }
    bytes.truncate(n);
    bytes
}

/// Inserts a user with this normalised email and returns its id.
async fn user_id(store: &Arc<dyn Store>, email: &str) -> Uuid {
    insert_user(store, user(email)).await.id
}

/// A TOTP device of `user_id` begun at `created_at`, confirmed at `confirmed_at`, with no step
/// accepted yet.
fn totp(user_id: Uuid, created_at: DateTime<Utc>, confirmed_at: Option<DateTime<Utc>>) -> TotpRow {
    TotpRow {
        id: new_id(),
        user_id,
        name: "Phone ✓ Zoë".to_owned(),
        secret: vec![0, 1, 127, 128, 255, 42, 0],
        created_at,
        confirmed_at,
        last_step: None,
        last_used_at: None,
    }
}

/// A device of `user_id` begun at [`epoch`] and confirmed a minute later.
fn confirmed_totp(user_id: Uuid) -> TotpRow {
    totp(user_id, epoch(), Some(epoch() + Duration::minutes(1)))
}

/// An unused recovery code of `user_id` with this digest, made at [`epoch`].
fn recovery_code(user_id: Uuid, code_mac: &[u8]) -> RecoveryCodeRow {
    RecoveryCodeRow {
        id: new_id(),
        user_id,
        code_mac: code_mac.to_vec(),
        created_at: epoch(),
        used_at: None,
    }
}

/// A never-used WebAuthn credential of `user_id` of `kind`, registered at `created_at`, with a
/// random credential id.
fn webauthn(user_id: Uuid, kind: &str, created_at: DateTime<Utc>) -> WebauthnRow {
    WebauthnRow {
        id: new_id(),
        user_id,
        name: format!("{kind} ✓"),
        credential_id: random_bytes(40),
        credential: r#"{"cred":{"counter":0,"key":"AQID"},"backup":false}"#.to_owned(),
        kind: kind.to_owned(),
        sign_count: 0,
        backup_eligible: kind == "passkey",
        backup_state: false,
        created_at,
        last_used_at: None,
    }
}

/// An unconsumed challenge of `kind` made at `created_at`, live for five minutes, with a random
/// token digest and no user or session.
fn challenge(kind: &str, created_at: DateTime<Utc>) -> ChallengeRow {
    ChallengeRow {
        id: new_id(),
        token_hash: random_bytes(32),
        kind: kind.to_owned(),
        user_id: None,
        session_id: None,
        state: vec![9, 0, 255, 1, 2, 3],
        attempts: 0,
        created_at,
        expires_at: created_at + Duration::minutes(5),
        consumed_at: None,
    }
}

/// A live session of `user_id` made at [`epoch`], lasting a day.
fn session(user_id: Uuid) -> SessionRow {
    SessionRow {
        id: new_id(),
        token_hash: random_bytes(32),
        user_id,
        created_at: epoch(),
        last_seen_at: epoch(),
        expires_at: epoch() + Duration::days(1),
        revoked_at: None,
        user_agent: None,
        ip: None,
        amr: r#"["pwd"]"#.to_owned(),
        authenticated_at: epoch(),
    }
}

/// Runs `change` in a transaction of its own and commits it; returns what it returned.
async fn committed<T, F>(store: &Arc<dyn Store>, change: F) -> T
where
    F: AsyncFnOnce(&mut dyn Transaction) -> T,
{
    let mut transaction = store.begin().await.unwrap();
    let result = change(transaction.as_mut()).await;
    transaction.commit().await.unwrap();
    result
}

/// Starts `RACERS` tasks that each run `attempt` on a clone of the store, all released at once
/// by a barrier; returns their results.
async fn race<T, F, Fut>(store: &Arc<dyn Store>, attempt: F) -> Vec<T>
where
    F: Fn(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(RACERS));
    let mut tasks = Vec::new();
    for _ in 0..RACERS {
        let barrier = barrier.clone();
        let attempt = attempt(store.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            attempt.await
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}
