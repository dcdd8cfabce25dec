//! WebAuthn credentials: storing and finding, the unique credential id, recording uses,
//! renaming and deleting.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{Store, WebauthnRow};
use uuid::Uuid;

use super::{committed, user_id, webauthn};
use crate::fixtures::epoch;

async fn insert(store: &Arc<dyn Store>, rows: &[&WebauthnRow]) {
    committed(store, async |transaction| {
        for row in rows {
            transaction.insert_webauthn(row).await.unwrap();
        }
    })
    .await;
}

async fn by_credential_id(store: &Arc<dyn Store>, row: &WebauthnRow) -> Option<WebauthnRow> {
    store
        .mfa()
        .webauthn_by_credential_id(&row.credential_id)
        .await
        .unwrap()
}

/// Credentials come back exactly as stored, the user's only, oldest first; one is found by its
/// credential id whoever owns it.
pub async fn webauthn_credentials_round_trip_oldest_first(store: Arc<dyn Store>) {
    let owner = user_id(&store, "keys@example.test").await;
    let stranger = user_id(&store, "keys-other@example.test").await;
    let passkey = WebauthnRow {
        sign_count: 41,
        backup_state: true,
        last_used_at: Some(epoch() + Duration::hours(3)),
        ..webauthn(owner, "passkey", epoch())
    };
    let security_key = webauthn(owner, "security_key", epoch() + Duration::minutes(1));
    let theirs = webauthn(stranger, "passkey", epoch());
    insert(&store, &[&security_key, &theirs, &passkey]).await;

    let listed = store.mfa().webauthn_credentials(owner).await.unwrap();
    assert_eq!(listed, vec![passkey.clone(), security_key.clone()]);
    assert_eq!(by_credential_id(&store, &passkey).await, Some(passkey));
    assert_eq!(by_credential_id(&store, &theirs).await, Some(theirs));
    assert_eq!(
        store
            .mfa()
            .webauthn_by_credential_id(&[1, 2, 3])
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .mfa()
            .webauthn_credentials(Uuid::now_v7())
            .await
            .unwrap()
            .is_empty()
    );
}

/// A credential id belongs to one credential: registering it again, for anyone, is
/// `AlreadyExists`, and the stored one stays as it was.
pub async fn duplicate_credential_id_is_already_exists(store: Arc<dyn Store>) {
    let owner = user_id(&store, "keys-dup@example.test").await;
    let stranger = user_id(&store, "keys-thief@example.test").await;
    let first = webauthn(owner, "security_key", epoch());
    insert(&store, &[&first]).await;
    for user in [owner, stranger] {
        let copy = WebauthnRow {
            credential_id: first.credential_id.clone(),
            ..webauthn(user, "passkey", epoch() + Duration::minutes(1))
        };
        let mut transaction = store.begin().await.unwrap();
        let refused = transaction.insert_webauthn(&copy).await.unwrap_err();
        assert!(
            matches!(refused, StoreError::AlreadyExists(_)),
            "{refused:?}"
        );
        transaction.rollback().await.unwrap();
    }
    assert_eq!(by_credential_id(&store, &first).await, Some(first.clone()));
    let listed = store.mfa().webauthn_credentials(stranger).await.unwrap();
    assert!(listed.is_empty());
    assert_eq!(
        store.mfa().webauthn_credentials(owner).await.unwrap(),
        vec![first]
    );
}

/// A use replaces the serialised credential, the counter, the backup state and `last_used_at`,
/// and nothing else.
pub async fn update_webauthn_use_records_the_use(store: Arc<dyn Store>) {
    let owner = user_id(&store, "keys-use@example.test").await;
    let row = webauthn(owner, "passkey", epoch());
    let other = webauthn(owner, "security_key", epoch() + Duration::minutes(1));
    insert(&store, &[&row, &other]).await;
    let now = epoch() + Duration::hours(1);
    let credential = r#"{"cred":{"counter":12,"key":"AQID"},"backup":true}"#;

    let updated = committed(&store, async |transaction| {
        [
            transaction
                .update_webauthn_use(row.id, credential, 12, true, now)
                .await
                .unwrap(),
            transaction
                .update_webauthn_use(Uuid::now_v7(), credential, 12, true, now)
                .await
                .unwrap(),
        ]
    })
    .await;
    assert_eq!(updated, [true, false]);
    let expected = WebauthnRow {
        credential: credential.to_owned(),
        sign_count: 12,
        backup_state: true,
        last_used_at: Some(now),
        ..row.clone()
    };
    assert_eq!(by_credential_id(&store, &row).await, Some(expected));
    assert_eq!(by_credential_id(&store, &other).await, Some(other));
}

/// A credential is renamed and deleted only by its owner; deleting works once.
pub async fn rename_and_delete_webauthn_only_for_the_owner(store: Arc<dyn Store>) {
    let owner = user_id(&store, "keys-rename@example.test").await;
    let stranger = user_id(&store, "keys-vandal@example.test").await;
    let row = webauthn(owner, "security_key", epoch());
    insert(&store, &[&row]).await;

    let renamed = committed(&store, async |transaction| {
        [
            transaction
                .rename_webauthn(stranger, row.id, "stolen")
                .await
                .unwrap(),
            transaction
                .rename_webauthn(owner, row.id, "Blue key ✓")
                .await
                .unwrap(),
            transaction
                .rename_webauthn(owner, Uuid::now_v7(), "nobody")
                .await
                .unwrap(),
        ]
    })
    .await;
    assert_eq!(renamed, [false, true, false]);
    let expected = WebauthnRow {
        name: "Blue key ✓".to_owned(),
        ..row.clone()
    };
    assert_eq!(by_credential_id(&store, &row).await, Some(expected));

    let deleted = committed(&store, async |transaction| {
        [
            transaction.delete_webauthn(stranger, row.id).await.unwrap(),
            transaction.delete_webauthn(owner, row.id).await.unwrap(),
            transaction.delete_webauthn(owner, row.id).await.unwrap(),
        ]
    })
    .await;
    assert_eq!(deleted, [false, true, false]);
    assert_eq!(by_credential_id(&store, &row).await, None);
}
