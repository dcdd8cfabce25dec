//! Second factors and sessions on SQLite in particular: migration 0010 over existing sessions,
//! and the stored forms of the new tables' values.

#![expect(clippy::unwrap_used, reason = "a test: a failed step is a failed test")]

#[expect(dead_code, reason = "these tests use only part of the shared helpers")]
mod common;

use chrono::Duration;
use gatehouse_domain::store::{ChallengeRow, Store, TotpRow, WebauthnRow, new_id};
use gatehouse_store_contract::fixtures::{epoch, user};
use sqlx::Row;

use common::TestStore;

#[tokio::test]
async fn migration_0010_gives_existing_sessions_their_creation_time_as_authenticated_at() {
    let store = TestStore::unmigrated().await;
    let mut before_mfa = sqlx::migrate!("./migrations");
    before_mfa.migrations = before_mfa
        .migrations
        .iter()
        .filter(|migration| migration.version < 10)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    before_mfa.run(&mut store.raw().await).await.unwrap();
    let owner = user("existing-session@example.test");
    let mut transaction = store.begin().await.unwrap();
    transaction.insert_user(&owner).await.unwrap();
    transaction.commit().await.unwrap();
    let session_id = new_id();
    let created_at = epoch() - Duration::hours(3);
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, \
             amr) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, '[\"pwd\"]')",
    )
    .bind(session_id)
    .bind(vec![1_u8; 32])
    .bind(owner.id)
    .bind(created_at.timestamp_micros())
    .bind(epoch().timestamp_micros())
    .bind((epoch() + Duration::days(1)).timestamp_micros())
    .execute(&mut store.raw().await)
    .await
    .unwrap();

    store.inner().migrate().await.unwrap();
    store.check_ready().await.unwrap();
    let listed = store.sessions().list_for_user(owner.id, epoch()).await;
    let listed = listed.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, session_id);
    assert_eq!(listed[0].authenticated_at, created_at);
    assert_eq!(listed[0].created_at, created_at);
    let not_null: i64 = sqlx::query_scalar(
        "SELECT \"notnull\" FROM pragma_table_info('sessions') WHERE name = 'authenticated_at'",
    )
    .fetch_one(&mut store.raw().await)
    .await
    .unwrap();
    assert_eq!(not_null, 1);
}

#[tokio::test]
async fn mfa_values_are_stored_as_uuid_blobs_integer_flags_and_microseconds() {
    let store = TestStore::migrated().await;
    let owner = user("stored-forms@example.test");
    let device = TotpRow {
        id: new_id(),
        user_id: owner.id,
        name: "Phone".to_owned(),
        secret: vec![1, 2, 3],
        created_at: epoch(),
        confirmed_at: Some(epoch() + Duration::minutes(1)),
        last_step: Some(59_000_000),
        last_used_at: None,
    };
    let key = WebauthnRow {
        id: new_id(),
        user_id: owner.id,
        name: "Key".to_owned(),
        credential_id: vec![9; 20],
        credential: "{}".to_owned(),
        kind: "passkey".to_owned(),
        sign_count: 3,
        backup_eligible: true,
        backup_state: false,
        created_at: epoch(),
        last_used_at: None,
    };
    let challenge = ChallengeRow {
        id: new_id(),
        token_hash: vec![7; 32],
        kind: "sign_in".to_owned(),
        user_id: Some(owner.id),
        session_id: None,
        state: vec![0],
        attempts: 0,
        created_at: epoch(),
        expires_at: epoch() + Duration::minutes(5),
        consumed_at: None,
    };
    let mut transaction = store.begin().await.unwrap();
    transaction.insert_user(&owner).await.unwrap();
    transaction.insert_totp(&device).await.unwrap();
    transaction.insert_webauthn(&key).await.unwrap();
    transaction.insert_challenge(&challenge).await.unwrap();
    transaction.commit().await.unwrap();
    let due = store.mfa().enrolment_due(owner.id, epoch()).await.unwrap();
    assert_eq!(due, epoch());

    let stored = sqlx::query(
        "SELECT typeof(mfa_totp.user_id), length(mfa_totp.user_id), mfa_totp.confirmed_at, \
             mfa_totp.last_step, webauthn_credentials.backup_eligible, \
             webauthn_credentials.backup_state, typeof(auth_challenges.id), \
             auth_challenges.expires_at, mfa_enrolment.due_at \
         FROM mfa_totp \
         JOIN webauthn_credentials ON webauthn_credentials.user_id = mfa_totp.user_id \
         JOIN auth_challenges ON auth_challenges.user_id = mfa_totp.user_id \
         JOIN mfa_enrolment ON mfa_enrolment.user_id = mfa_totp.user_id",
    )
    .fetch_one(&mut store.raw().await)
    .await
    .unwrap();
    assert_eq!(stored.get::<String, _>(0), "blob");
    assert_eq!(stored.get::<i64, _>(1), 16);
    let confirmed_at = epoch() + Duration::minutes(1);
    assert_eq!(stored.get::<i64, _>(2), confirmed_at.timestamp_micros());
    assert_eq!(stored.get::<i64, _>(3), 59_000_000);
    assert_eq!(stored.get::<i64, _>(4), 1);
    assert_eq!(stored.get::<i64, _>(5), 0);
    assert_eq!(stored.get::<String, _>(6), "blob");
    let expires_at = epoch() + Duration::minutes(5);
    assert_eq!(stored.get::<i64, _>(7), expires_at.timestamp_micros());
    assert_eq!(stored.get::<i64, _>(8), epoch().timestamp_micros());

    // Deleting the user takes every factor, challenge and deadline with it.
    sqlx::query("DELETE FROM users WHERE id = ?1")
        .bind(owner.id)
        .execute(&mut store.raw().await)
        .await
        .unwrap();
    assert!(store.mfa().totp_devices(owner.id).await.unwrap().is_empty());
    assert!(
        store
            .mfa()
            .webauthn_credentials(owner.id)
            .await
            .unwrap()
            .is_empty()
    );
    let left = store.mfa().challenge(&challenge.token_hash, epoch()).await;
    assert_eq!(left.unwrap(), None);
}
