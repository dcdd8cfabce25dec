//! The OAuth provider's state on SQLite in particular: the stored forms of the new tables'
//! values.

#![expect(clippy::unwrap_used, reason = "a test: a failed step is a failed test")]

#[expect(dead_code, reason = "these tests use only part of the shared helpers")]
mod common;

use chrono::Duration;
use gatehouse_domain::store::{ClientRow, GrantRow, Store, new_id};
use gatehouse_store_contract::fixtures::{epoch, user};
use sqlx::Row;

use common::TestStore;

#[tokio::test]
async fn oauth_values_are_stored_as_uuid_blobs_json_arrays_integer_flags_and_microseconds() {
    let store = TestStore::migrated().await;
    let owner = user("stored-oauth@example.test");
    let client = ClientRow {
        id: new_id(),
        client_id: "stored-app".to_owned(),
        name: "Stored app".to_owned(),
        public: true,
        native: false,
        secret_mac: None,
        auth_method: None,
        jwks: None,
        redirect_uris: vec![
            "https://app.example.test/callback".to_owned(),
            "https://app.example.test/cb?q=\"ü\"".to_owned(),
        ],
        post_logout_redirect_uris: Vec::new(),
        grant_types: vec!["authorization_code".to_owned()],
        scopes: vec!["openid".to_owned()],
        default_scopes: Vec::new(),
        audiences: Vec::new(),
        default_audience: None,
        web_origins: Vec::new(),
        consent: "ask".to_owned(),
        signing_alg: "EdDSA".to_owned(),
        access_token_ttl_secs: 300,
        refresh_token_ttl_secs: 86_400,
        created_at: epoch(),
        updated_at: epoch(),
        disabled_at: Some(epoch() + Duration::days(1)),
        version: 1,
    };
    // A grant's browser session is a plain column: no session with this id exists.
    let grant = GrantRow {
        id: new_id(),
        client_id: client.id,
        user_id: Some(owner.id),
        session_id: Some(new_id()),
        scope: "openid".to_owned(),
        audience: None,
        auth_time: epoch(),
        amr: r#"["pwd"]"#.to_owned(),
        acr: None,
        created_at: epoch(),
        expires_at: epoch() + Duration::days(30),
        revoked_at: None,
        revoke_reason: None,
    };
    let mut transaction = store.begin().await.unwrap();
    transaction.insert_user(&owner).await.unwrap();
    transaction.insert_client(&client).await.unwrap();
    transaction.insert_grant(&grant).await.unwrap();
    transaction
        .grant_consent(owner.id, client.id, &["openid".to_owned()], epoch())
        .await
        .unwrap();
    transaction.commit().await.unwrap();

    let stored = sqlx::query(
        "SELECT typeof(oauth_clients.id), length(oauth_clients.id), oauth_clients.redirect_uris, \
             oauth_clients.post_logout_redirect_uris, oauth_clients.public, \
             oauth_clients.native, oauth_clients.disabled_at, typeof(oauth_grants.session_id), \
             length(oauth_grants.session_id), oauth_grants.expires_at, \
             oauth_consents.granted_at \
         FROM oauth_clients \
         JOIN oauth_grants ON oauth_grants.client_id = oauth_clients.id \
         JOIN oauth_consents ON oauth_consents.client_id = oauth_clients.id",
    )
    .fetch_one(&mut store.raw().await)
    .await
    .unwrap();
    assert_eq!(stored.get::<String, _>(0), "blob");
    assert_eq!(stored.get::<i64, _>(1), 16);
    assert_eq!(
        stored.get::<String, _>(2),
        r#"["https://app.example.test/callback","https://app.example.test/cb?q=\"ü\""]"#
    );
    assert_eq!(stored.get::<String, _>(3), "[]");
    assert_eq!(stored.get::<i64, _>(4), 1);
    assert_eq!(stored.get::<i64, _>(5), 0);
    let disabled_at = epoch() + Duration::days(1);
    assert_eq!(stored.get::<i64, _>(6), disabled_at.timestamp_micros());
    assert_eq!(stored.get::<String, _>(7), "blob");
    assert_eq!(stored.get::<i64, _>(8), 16);
    let expires_at = epoch() + Duration::days(30);
    assert_eq!(stored.get::<i64, _>(9), expires_at.timestamp_micros());
    assert_eq!(stored.get::<i64, _>(10), epoch().timestamp_micros());
    assert_eq!(
        store.oauth().client_by_id(client.id).await.unwrap(),
        Some(client)
    );
}
