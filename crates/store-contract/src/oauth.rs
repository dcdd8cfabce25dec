//! Contract: the OAuth provider's state (clients with their roles and logos, signing keys,
//! authorization codes, grants and their refresh tokens, consents, idempotent answers and their
//! reservations). The tests live in the submodules; this module holds the row builders and
//! helpers they share.

mod clients;
mod codes;
mod consents;
mod grants;
mod idempotency;
mod keys;
mod maintenance;

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::store::{
    AuthCodeRow, ClientRow, GrantRow, IdempotentResponseRow, RefreshTokenRow, SigningKeyRow, Store,
    Transaction, new_id,
};
use tokio::sync::Barrier;
use uuid::Uuid;

use crate::fixtures::{epoch, insert_user, user};

pub use clients::{
    client_roles_and_logo_are_replaced, clients_round_trip_by_name_then_id,
    delete_client_takes_everything_that_hangs_off_it, taken_client_id_is_already_exists,
    update_client_needs_the_expected_version,
};
pub use codes::{
    code_is_redeemed_once, codes_need_a_known_client_and_user_and_a_new_digest,
    concurrent_redemptions_get_one_fresh_code, rolled_back_redemption_leaves_the_code_fresh,
};
pub use consents::{
    consent_keeps_the_first_time_and_is_revoked_per_client, consent_needs_a_known_user_and_client,
};
pub use grants::{
    concurrent_refresh_token_uses_get_one_fresh_token, grant_is_revoked_once,
    grants_and_refresh_tokens_round_trip, refresh_token_is_used_once,
    revoke_session_grants_ends_the_sessions_grants, revoke_user_grants_returns_the_revoked_ids,
};
pub use idempotency::{
    abandoned_reservation_is_taken_over_only_when_old_and_pending,
    concurrent_reservations_of_a_key_have_one_winner,
    concurrent_takeovers_of_an_abandoned_reservation_have_one_winner,
    reservation_is_completed_or_released_once_by_its_holder,
};
pub use keys::{
    prune_signing_keys_deletes_only_expired_keys,
    retire_signing_keys_spares_the_kept_key_and_other_algorithms,
    signing_keys_round_trip_oldest_first,
};
pub use maintenance::{
    idempotent_response_is_stored_once_per_actor_and_key,
    prune_deletes_what_ended_before_the_cutoff,
};

/// How many tasks race in the concurrency tests.
const RACERS: usize = 8;

/// The seeded `gatehouse:admin` role.
const ADMIN_ROLE: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0201);

/// The seeded `gatehouse:user-manager` role.
const USER_MANAGER_ROLE: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0202);

/// The seeded `gatehouse:auditor` role.
const AUDITOR_ROLE: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0203);

/// `n` random bytes (whole uuids, so a multiple of 16 rounded up).
fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(n + 16);
    while bytes.len() < n {
        bytes.extend_from_slice(new_id().as_bytes());
    }
    bytes.truncate(n);
    bytes
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

/// A confidential web client named `name` with every optional field set, at version 1, made at
/// [`epoch`].
fn client(client_id: &str, name: &str) -> ClientRow {
    ClientRow {
        id: new_id(),
        client_id: client_id.to_owned(),
        name: name.to_owned(),
        public: false,
        native: false,
        secret_mac: Some(random_bytes(32)),
        auth_method: Some("client_secret_basic".to_owned()),
        jwks: Some(r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AQID"}]}"#.to_owned()),
        redirect_uris: strings(&[
            "https://app.example.test/callback",
            "https://app.example.test/cb?x=1&y=\"ü\"",
        ]),
        post_logout_redirect_uris: strings(&["https://app.example.test/bye"]),
        grant_types: strings(&["authorization_code", "refresh_token"]),
        scopes: strings(&["openid", "profile", "email", "offline_access"]),
        default_scopes: strings(&["openid", "profile"]),
        audiences: strings(&["https://api.example.test", "gatehouse"]),
        default_audience: Some("https://api.example.test".to_owned()),
        web_origins: strings(&["https://app.example.test"]),
        consent: "ask".to_owned(),
        signing_alg: "EdDSA".to_owned(),
        access_token_ttl_secs: 600,
        refresh_token_ttl_secs: 2_592_000,
        created_at: epoch(),
        updated_at: epoch(),
        disabled_at: None,
        version: 1,
    }
}

/// A disabled public native client with every optional field empty and empty lists.
fn sparse_client(client_id: &str, name: &str) -> ClientRow {
    ClientRow {
        public: true,
        native: true,
        secret_mac: None,
        auth_method: None,
        jwks: None,
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        grant_types: Vec::new(),
        scopes: Vec::new(),
        default_scopes: Vec::new(),
        audiences: Vec::new(),
        default_audience: None,
        web_origins: Vec::new(),
        consent: "skip".to_owned(),
        signing_alg: "ES256".to_owned(),
        disabled_at: Some(epoch() + Duration::days(2)),
        ..client(client_id, name)
    }
}

/// A signing key of `alg`, made and published at `created_at`, signing from an hour later,
/// neither retired nor expiring.
fn signing_key(alg: &str, created_at: DateTime<Utc>) -> SigningKeyRow {
    SigningKeyRow {
        id: new_id(),
        kid: format!("{alg}-{}", new_id().simple()),
        alg: alg.to_owned(),
        private_key: random_bytes(48),
        public_jwk:
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#
                .to_owned(),
        created_at,
        activates_at: created_at + Duration::hours(1),
        retired_at: None,
        expires_at: None,
    }
}

/// An unredeemed code of `client_id` for `user_id` made at `created_at`, live for a minute,
/// with every optional field set and a random digest.
fn code(client_id: Uuid, user_id: Uuid, created_at: DateTime<Utc>) -> AuthCodeRow {
    AuthCodeRow {
        code_hash: random_bytes(32),
        grant_id: new_id(),
        client_id,
        user_id,
        session_id: Some(new_id()),
        redirect_uri: "https://app.example.test/callback".to_owned(),
        scope: "openid profile offline_access".to_owned(),
        audience: Some("https://api.example.test".to_owned()),
        nonce: Some("n-0S6_WzA2Mj ✓".to_owned()),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned()),
        auth_time: created_at - Duration::minutes(5),
        amr: r#"["pwd","otp"]"#.to_owned(),
        acr: Some("urn:gatehouse:acr:mfa".to_owned()),
        created_at,
        expires_at: created_at + Duration::seconds(60),
        consumed_at: None,
    }
}

/// A live grant of `client_id` for `user_id` made at `created_at`, lasting thirty days, from a
/// random browser session.
fn grant(client_id: Uuid, user_id: Option<Uuid>, created_at: DateTime<Utc>) -> GrantRow {
    GrantRow {
        id: new_id(),
        client_id,
        user_id,
        session_id: Some(new_id()),
        scope: "openid offline_access".to_owned(),
        audience: Some("https://api.example.test".to_owned()),
        auth_time: created_at - Duration::minutes(5),
        amr: r#"["pwd"]"#.to_owned(),
        acr: Some("urn:gatehouse:acr:pwd".to_owned()),
        created_at,
        expires_at: created_at + Duration::days(30),
        revoked_at: None,
        revoke_reason: None,
    }
}

/// An unused refresh token of `grant_id` made at `created_at`, with a random digest.
fn refresh_token(grant_id: Uuid, created_at: DateTime<Utc>) -> RefreshTokenRow {
    RefreshTokenRow {
        token_hash: random_bytes(32),
        grant_id,
        created_at,
        used_at: None,
    }
}

/// The stored answer of `actor` for `key`, made (reserved and completed) at `created_at`.
fn idempotent_response(actor: &str, key: &str, created_at: DateTime<Utc>) -> IdempotentResponseRow {
    IdempotentResponseRow {
        actor: actor.to_owned(),
        key: key.to_owned(),
        request_digest: random_bytes(32),
        status: 201,
        body: r#"{"id":"c-1","name":"Zoë ✓"}"#.to_owned(),
        created_at,
        completed_at: Some(created_at),
    }
}

/// A pending reservation of `key` by `actor` made at `created_at`, with a random request
/// digest.
fn reservation(actor: &str, key: &str, created_at: DateTime<Utc>) -> IdempotentResponseRow {
    IdempotentResponseRow {
        status: 0,
        body: String::new(),
        completed_at: None,
        ..idempotent_response(actor, key, created_at)
    }
}

/// Inserts a user with this normalised email and returns its id.
async fn user_id(store: &Arc<dyn Store>, email: &str) -> Uuid {
    insert_user(store, user(email)).await.id
}

/// Inserts the clients in one committed transaction.
async fn insert_clients(store: &Arc<dyn Store>, rows: &[&ClientRow]) {
    committed(store, async |transaction| {
        for row in rows {
            transaction.insert_client(row).await.unwrap();
        }
    })
    .await;
}

/// Inserts a client with this `client_id` and a user with this email; returns their ids.
async fn client_and_user(store: &Arc<dyn Store>, client_id: &str, email: &str) -> (Uuid, Uuid) {
    let row = client(client_id, &format!("App {client_id}"));
    insert_clients(store, &[&row]).await;
    (row.id, user_id(store, email).await)
}

/// Inserts the grants and refresh tokens in one committed transaction.
async fn insert_grants(store: &Arc<dyn Store>, grants: &[&GrantRow], tokens: &[&RefreshTokenRow]) {
    committed(store, async |transaction| {
        for row in grants {
            transaction.insert_grant(row).await.unwrap();
        }
        for row in tokens {
            transaction.insert_refresh_token(row).await.unwrap();
        }
    })
    .await;
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
