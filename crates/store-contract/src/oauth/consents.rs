//! Consents: recording a user's consent to scopes, keeping the first time of each, listing and
//! forgetting them.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{ConsentRow, Store};
use uuid::Uuid;

use super::{client, client_and_user, committed, insert_clients, strings, user_id};
use crate::fixtures::epoch;

/// Consent is recorded per scope; consenting again adds the new scopes and keeps the time of
/// those consented to before (duplicates count once). The scopes of a user and client come back
/// in byte order; all the user's consents by client, then scope. Revoking forgets the client's
/// scopes only and returns how many.
pub async fn consent_keeps_the_first_time_and_is_revoked_per_client(store: Arc<dyn Store>) {
    let (first, owner) = client_and_user(&store, "consent-app", "consent@example.test").await;
    let second = client("consent-other", "Other");
    insert_clients(&store, &[&second]).await;
    let stranger = user_id(&store, "consent-stranger@example.test").await;
    let (t1, t2) = (epoch(), epoch() + Duration::days(1));

    let consents: [(Uuid, Uuid, &[&str], _); 4] = [
        (owner, first, &["openid", "profile"], t1),
        (owner, second.id, &["openid"], t1),
        (stranger, first, &["email"], t1),
        (owner, first, &[], t2),
    ];
    committed(&store, async |transaction| {
        for (user, client, scopes, at) in consents {
            transaction
                .grant_consent(user, client, &strings(scopes), at)
                .await
                .unwrap();
        }
    })
    .await;
    committed(&store, async |transaction| {
        transaction
            .grant_consent(
                owner,
                first,
                &strings(&["profile", "email", "email", "Admin"]),
                t2,
            )
            .await
            .unwrap();
    })
    .await;

    let oauth = store.oauth();
    let scopes = oauth.consented_scopes(owner, first).await.unwrap();
    assert_eq!(scopes, strings(&["Admin", "email", "openid", "profile"]));
    let row = |client_id, scope: &str, granted_at| ConsentRow {
        user_id: owner,
        client_id,
        scope: scope.to_owned(),
        granted_at,
    };
    let mut expected = vec![
        row(first, "Admin", t2),
        row(first, "email", t2),
        row(first, "openid", t1),
        row(first, "profile", t1),
    ];
    let theirs = row(second.id, "openid", t1);
    if second.id < first {
        expected.insert(0, theirs.clone());
    } else {
        expected.push(theirs.clone());
    }
    assert_eq!(oauth.consents_for_user(owner).await.unwrap(), expected);
    assert!(
        oauth
            .consented_scopes(owner, Uuid::now_v7())
            .await
            .unwrap()
            .is_empty()
    );

    let revoked = committed(&store, async |transaction| {
        [
            transaction.revoke_consent(owner, first).await.unwrap(),
            transaction.revoke_consent(owner, first).await.unwrap(),
            transaction
                .revoke_consent(owner, Uuid::now_v7())
                .await
                .unwrap(),
        ]
    })
    .await;
    assert_eq!(revoked, [4, 0, 0]);
    assert!(
        oauth
            .consented_scopes(owner, first)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(oauth.consents_for_user(owner).await.unwrap(), vec![theirs]);
    let kept = oauth.consented_scopes(stranger, first).await.unwrap();
    assert_eq!(kept, strings(&["email"]));
}

/// Consent of an unknown user or to an unknown client is `NotFound` and stores nothing.
pub async fn consent_needs_a_known_user_and_client(store: Arc<dyn Store>) {
    let (client_id, owner) = client_and_user(&store, "consent-refs", "refs@example.test").await;
    for (user, client) in [(Uuid::now_v7(), client_id), (owner, Uuid::now_v7())] {
        let mut transaction = store.begin().await.unwrap();
        let error = transaction
            .grant_consent(user, client, &strings(&["openid"]), epoch())
            .await
            .unwrap_err();
        transaction.rollback().await.unwrap();
        assert!(matches!(error, StoreError::NotFound(_)), "{error:?}");
    }
    assert!(
        store
            .oauth()
            .consents_for_user(owner)
            .await
            .unwrap()
            .is_empty()
    );
}
