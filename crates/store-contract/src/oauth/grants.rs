//! Grants and refresh tokens: storing and reading them, the user's live grants, using a refresh
//! token once (also under a race), and revoking grants one by one, per user and per browser
//! session.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{GrantRow, RefreshTokenRow, RefreshUse, SessionRow, Store};
use uuid::Uuid;

use super::{
    client, client_and_user, committed, grant, insert_clients, insert_grants, race, random_bytes,
    refresh_token,
};
use crate::fixtures::epoch;

async fn use_token(store: &Arc<dyn Store>, token_hash: &[u8], now: DateTime<Utc>) -> RefreshUse {
    committed(store, async |transaction| {
        transaction
            .use_refresh_token(token_hash, now)
            .await
            .unwrap()
    })
    .await
}

async fn stored(store: &Arc<dyn Store>, row: &GrantRow) -> Option<GrantRow> {
    store.oauth().grant(row.id).await.unwrap()
}

fn revoked(row: &GrantRow, at: DateTime<Utc>, reason: &str) -> GrantRow {
    GrantRow {
        revoked_at: Some(at),
        revoke_reason: Some(reason.to_owned()),
        ..row.clone()
    }
}

/// Grants and refresh tokens come back exactly as stored, a token together with its grant; the
/// user's live grants (unrevoked, `expires_at > now`) are listed newest first. A grant needs a
/// known client and user, a token a known grant (else `NotFound`).
pub async fn grants_and_refresh_tokens_round_trip(store: Arc<dyn Store>) {
    let (client_id, owner) = client_and_user(&store, "grants-app", "grants@example.test").await;
    let now = epoch() + Duration::days(1);
    let older = grant(client_id, Some(owner), epoch());
    let newer = grant(client_id, Some(owner), epoch() + Duration::hours(1));
    let gone = revoked(
        &grant(client_id, Some(owner), epoch() + Duration::hours(2)),
        epoch() + Duration::hours(3),
        "revoked",
    );
    let ending_now = GrantRow {
        expires_at: now,
        ..grant(client_id, Some(owner), epoch() + Duration::hours(4))
    };
    let service = GrantRow {
        user_id: None,
        session_id: None,
        audience: None,
        acr: None,
        amr: "[]".to_owned(),
        ..grant(client_id, None, epoch())
    };
    let fresh = refresh_token(newer.id, epoch() + Duration::hours(1));
    let used = RefreshTokenRow {
        used_at: Some(epoch() + Duration::hours(2)),
        ..refresh_token(newer.id, epoch() + Duration::hours(1))
    };
    insert_grants(
        &store,
        &[&older, &newer, &gone, &ending_now, &service],
        &[&fresh, &used],
    )
    .await;

    let oauth = store.oauth();
    for row in [&older, &newer, &gone, &ending_now, &service] {
        assert_eq!(stored(&store, row).await.as_ref(), Some(row));
    }
    assert_eq!(oauth.grant(Uuid::now_v7()).await.unwrap(), None);
    for token in [&fresh, &used] {
        let read = oauth.refresh_token(&token.token_hash).await.unwrap();
        assert_eq!(read, Some((token.clone(), newer.clone())));
    }
    assert_eq!(oauth.refresh_token(&[3; 32]).await.unwrap(), None);
    let live = oauth.grants_for_user(owner, now).await.unwrap();
    assert_eq!(live, vec![newer.clone(), older.clone()]);
    let before_any = oauth.grants_for_user(owner, now - Duration::days(40)).await;
    assert_eq!(before_any.unwrap().len(), 3);
    assert!(
        oauth
            .grants_for_user(Uuid::now_v7(), now)
            .await
            .unwrap()
            .is_empty()
    );

    for (grant_row, token) in [
        (&grant(Uuid::now_v7(), Some(owner), epoch()), None),
        (&grant(client_id, Some(Uuid::now_v7()), epoch()), None),
        (&older, Some(refresh_token(Uuid::now_v7(), epoch()))),
    ] {
        let mut transaction = store.begin().await.unwrap();
        let error = match &token {
            None => transaction.insert_grant(grant_row).await.unwrap_err(),
            Some(token) => transaction.insert_refresh_token(token).await.unwrap_err(),
        };
        transaction.rollback().await.unwrap();
        assert!(matches!(error, StoreError::NotFound(_)), "{error:?}");
    }
}

/// Using a refresh token the first time gets its grant fresh and records `used_at`; later uses
/// get the grant as used (also once it is revoked: revocation is the caller's to check); an
/// unknown digest is `Unknown`. A rolled-back use leaves the token unused.
pub async fn refresh_token_is_used_once(store: Arc<dyn Store>) {
    let (client_id, owner) = client_and_user(&store, "refresh-app", "refresh@example.test").await;
    let family = grant(client_id, Some(owner), epoch());
    let token = refresh_token(family.id, epoch());
    let sibling = refresh_token(family.id, epoch());
    insert_grants(&store, &[&family], &[&token, &sibling]).await;
    let now = epoch() + Duration::minutes(10);

    let mut transaction = store.begin().await.unwrap();
    let inside = transaction
        .use_refresh_token(&token.token_hash, now)
        .await
        .unwrap();
    assert_eq!(inside, RefreshUse::Fresh(family.clone()));
    transaction.rollback().await.unwrap();
    let read = store
        .oauth()
        .refresh_token(&token.token_hash)
        .await
        .unwrap();
    assert_eq!(read, Some((token.clone(), family.clone())));

    assert_eq!(
        use_token(&store, &token.token_hash, now).await,
        RefreshUse::Fresh(family.clone())
    );
    let used = RefreshTokenRow {
        used_at: Some(now),
        ..token.clone()
    };
    let read = store
        .oauth()
        .refresh_token(&token.token_hash)
        .await
        .unwrap();
    assert_eq!(read, Some((used.clone(), family.clone())));
    let later = now + Duration::minutes(1);
    assert_eq!(
        use_token(&store, &token.token_hash, later).await,
        RefreshUse::Used(family.clone())
    );

    let at = later + Duration::seconds(1);
    let reused = committed(&store, async |transaction| {
        transaction
            .revoke_grant(family.id, at, "refresh_reuse")
            .await
            .unwrap()
    })
    .await;
    assert!(reused);
    let ended = revoked(&family, at, "refresh_reuse");
    assert_eq!(
        use_token(&store, &token.token_hash, later).await,
        RefreshUse::Used(ended.clone())
    );
    assert_eq!(
        use_token(&store, &sibling.token_hash, later).await,
        RefreshUse::Fresh(ended)
    );
    assert_eq!(
        use_token(&store, &random_bytes(32), later).await,
        RefreshUse::Unknown
    );
    let read = store
        .oauth()
        .refresh_token(&token.token_hash)
        .await
        .unwrap();
    assert_eq!(read.map(|(token, _)| token), Some(used));
}

/// Of several nodes using the same refresh token at the same moment, exactly one gets it fresh;
/// every other one sees it used.
pub async fn concurrent_refresh_token_uses_get_one_fresh_token(store: Arc<dyn Store>) {
    let (client_id, owner) = client_and_user(&store, "race-app", "refresh-race@example.test").await;
    let family = grant(client_id, Some(owner), epoch());
    let token = refresh_token(family.id, epoch());
    insert_grants(&store, &[&family], &[&token]).await;
    let now = epoch() + Duration::minutes(10);
    let token_hash = token.token_hash.clone();
    let results = race(&store, |store| {
        let token_hash = token_hash.clone();
        async move {
            let mut transaction = store.begin().await.unwrap();
            let used = transaction
                .use_refresh_token(&token_hash, now)
                .await
                .unwrap();
            transaction.commit().await.unwrap();
            used
        }
    })
    .await;
    let fresh = results
        .iter()
        .filter(|used| **used == RefreshUse::Fresh(family.clone()))
        .count();
    let used = results
        .iter()
        .filter(|used| **used == RefreshUse::Used(family.clone()))
        .count();
    assert_eq!((fresh, used), (1, results.len() - 1), "{results:?}");
}

/// A grant is revoked once: the first call records the time and reason and returns true, later
/// calls return false and keep them; an unknown grant is false.
pub async fn grant_is_revoked_once(store: Arc<dyn Store>) {
    let (client_id, owner) = client_and_user(&store, "revoke-app", "revoke@example.test").await;
    let row = grant(client_id, Some(owner), epoch());
    insert_grants(&store, &[&row], &[]).await;
    let at = epoch() + Duration::hours(1);
    let results = committed(&store, async |transaction| {
        [
            transaction
                .revoke_grant(row.id, at, "revoked")
                .await
                .unwrap(),
            transaction
                .revoke_grant(row.id, at + Duration::hours(1), "logout")
                .await
                .unwrap(),
            transaction
                .revoke_grant(Uuid::now_v7(), at, "revoked")
                .await
                .unwrap(),
        ]
    })
    .await;
    assert_eq!(results, [true, false, false]);
    assert_eq!(
        stored(&store, &row).await,
        Some(revoked(&row, at, "revoked"))
    );
    let again = committed(&store, async |transaction| {
        transaction
            .revoke_grant(row.id, at, "revoked")
            .await
            .unwrap()
    })
    .await;
    assert!(!again);
}

/// Revoking a user's grants for one client takes only that client's unrevoked grants; without a
/// client it takes all the rest. Each call returns the ids it revoked, in id order; grants
/// revoked before and other users' grants stay as they were.
pub async fn revoke_user_grants_returns_the_revoked_ids(store: Arc<dyn Store>) {
    let (first_client, owner) = client_and_user(&store, "first-app", "owner@example.test").await;
    let second = client("second-app", "Second");
    insert_clients(&store, &[&second]).await;
    let (_, stranger) = client_and_user(&store, "third-app", "stranger@example.test").await;
    let earlier = epoch() + Duration::minutes(1);
    let first_a = grant(first_client, Some(owner), epoch());
    let first_b = grant(first_client, Some(owner), epoch());
    let first_gone = revoked(
        &grant(first_client, Some(owner), epoch()),
        earlier,
        "logout",
    );
    let second_a = grant(second.id, Some(owner), epoch());
    let second_b = grant(second.id, Some(owner), epoch());
    let theirs = grant(first_client, Some(stranger), epoch());
    let service = grant(first_client, None, epoch());
    insert_grants(
        &store,
        &[
            &second_b,
            &first_a,
            &theirs,
            &first_gone,
            &service,
            &second_a,
            &first_b,
        ],
        &[],
    )
    .await;
    let at = epoch() + Duration::hours(1);

    let [for_first, again, for_rest, none_left] = committed(&store, async |transaction| {
        [
            transaction
                .revoke_user_grants(owner, Some(first_client), at, "consent_revoked")
                .await
                .unwrap(),
            transaction
                .revoke_user_grants(owner, Some(first_client), at, "consent_revoked")
                .await
                .unwrap(),
            transaction
                .revoke_user_grants(owner, None, at, "user_disabled")
                .await
                .unwrap(),
            transaction
                .revoke_user_grants(owner, None, at, "user_disabled")
                .await
                .unwrap(),
        ]
    })
    .await;
    assert_eq!(for_first, vec![first_a.id, first_b.id]);
    assert!(again.is_empty());
    assert_eq!(for_rest, vec![second_a.id, second_b.id]);
    assert!(none_left.is_empty());

    for row in [&first_a, &first_b] {
        let expected = revoked(row, at, "consent_revoked");
        assert_eq!(stored(&store, row).await, Some(expected));
    }
    for row in [&second_a, &second_b] {
        let expected = revoked(row, at, "user_disabled");
        assert_eq!(stored(&store, row).await, Some(expected));
    }
    for row in [&first_gone, &theirs, &service] {
        assert_eq!(stored(&store, row).await.as_ref(), Some(row));
    }
}

/// Revoking a browser session's grants takes that session's unrevoked grants and returns their
/// ids in id order. A grant outlives its session: pruning the session keeps the grant, and the
/// session's id still finds it.
pub async fn revoke_session_grants_ends_the_sessions_grants(store: Arc<dyn Store>) {
    let (client_id, owner) = client_and_user(&store, "session-app", "session@example.test").await;
    let session = SessionRow {
        id: Uuid::now_v7(),
        token_hash: random_bytes(32),
        user_id: owner,
        created_at: epoch(),
        last_seen_at: epoch(),
        expires_at: epoch() + Duration::hours(1),
        revoked_at: None,
        user_agent: None,
        ip: None,
        amr: r#"["pwd"]"#.to_owned(),
        authenticated_at: epoch(),
    };
    committed(&store, async |transaction| {
        transaction.insert_session(&session).await.unwrap();
    })
    .await;
    let from_session = |minutes| GrantRow {
        session_id: Some(session.id),
        ..grant(client_id, Some(owner), epoch() + Duration::minutes(minutes))
    };
    let (first, second) = (from_session(1), from_session(2));
    let gone = revoked(&from_session(3), epoch() + Duration::minutes(4), "revoked");
    let elsewhere = grant(client_id, Some(owner), epoch());
    insert_grants(&store, &[&second, &gone, &elsewhere, &first], &[]).await;

    let pruned = store.sessions().prune(epoch() + Duration::days(1)).await;
    assert_eq!(pruned.unwrap(), 1);
    assert_eq!(stored(&store, &first).await, Some(first.clone()));

    let at = epoch() + Duration::hours(2);
    let [ended, again, unknown] = committed(&store, async |transaction| {
        [
            transaction
                .revoke_session_grants(session.id, at, "logout")
                .await
                .unwrap(),
            transaction
                .revoke_session_grants(session.id, at, "logout")
                .await
                .unwrap(),
            transaction
                .revoke_session_grants(Uuid::now_v7(), at, "logout")
                .await
                .unwrap(),
        ]
    })
    .await;
    assert_eq!(ended, vec![first.id, second.id]);
    assert!(again.is_empty());
    assert!(unknown.is_empty());
    for row in [&first, &second] {
        let expected = revoked(row, at, "logout");
        assert_eq!(stored(&store, row).await, Some(expected));
    }
    for row in [&gone, &elsewhere] {
        assert_eq!(stored(&store, row).await.as_ref(), Some(row));
    }
}
