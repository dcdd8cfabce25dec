//! Idempotent answers and pruning: what the provider keeps only for a while.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::store::{CodeUse, GrantRow, IdempotentResponseRow, RefreshTokenRow, Store};

use super::{
    client_and_user, code, committed, grant, idempotent_response, insert_grants, refresh_token,
    reservation,
};
use crate::fixtures::epoch;

async fn insert_response(store: &Arc<dyn Store>, row: &IdempotentResponseRow) -> bool {
    committed(store, async |transaction| {
        transaction.insert_idempotent_response(row).await.unwrap()
    })
    .await
}

async fn response(store: &Arc<dyn Store>, actor: &str, key: &str) -> Option<IdempotentResponseRow> {
    store.oauth().idempotent_response(actor, key).await.unwrap()
}

/// An answer is stored once per actor and key: a second insert returns false and keeps the
/// first answer; the same key of another actor is a different answer.
pub async fn idempotent_response_is_stored_once_per_actor_and_key(store: Arc<dyn Store>) {
    let actor = "01890a5d-ac96-774b-bcce-b302099a8057";
    let first = idempotent_response(actor, "key-1 ✓", epoch());
    assert_eq!(response(&store, actor, "key-1 ✓").await, None);
    assert!(insert_response(&store, &first).await);
    assert_eq!(
        response(&store, actor, "key-1 ✓").await,
        Some(first.clone())
    );

    let second = IdempotentResponseRow {
        status: 409,
        body: "{}".to_owned(),
        ..idempotent_response(actor, "key-1 ✓", epoch() + Duration::minutes(1))
    };
    assert!(!insert_response(&store, &second).await);
    assert_eq!(response(&store, actor, "key-1 ✓").await, Some(first));

    let other_actor = idempotent_response("client:ci-robot", "key-1 ✓", epoch());
    assert!(insert_response(&store, &other_actor).await);
    assert_eq!(
        response(&store, "client:ci-robot", "key-1 ✓").await,
        Some(other_actor)
    );
    assert_eq!(response(&store, actor, "key-2").await, None);
}

/// Pruning deletes codes that expired before the cutoff, grants that expired or were revoked
/// before it together with their refresh tokens, and answers and pending reservations made
/// before it, and returns how many rows went; what ended at or after the cutoff stays.
pub async fn prune_deletes_what_ended_before_the_cutoff(store: Arc<dyn Store>) {
    let (client_id, owner) = client_and_user(&store, "prune-app", "prune@example.test").await;
    let cutoff = epoch() + Duration::days(40);
    let expired_code = code(client_id, owner, epoch());
    let code_at_cutoff = code(client_id, owner, cutoff - Duration::seconds(60));
    let expired = grant(client_id, Some(owner), epoch());
    let revoked_before = GrantRow {
        revoked_at: Some(cutoff - Duration::microseconds(1)),
        revoke_reason: Some("logout".to_owned()),
        ..grant(client_id, Some(owner), cutoff - Duration::days(1))
    };
    let revoked_at_cutoff = GrantRow {
        revoked_at: Some(cutoff),
        revoke_reason: Some("logout".to_owned()),
        ..grant(client_id, Some(owner), cutoff - Duration::days(1))
    };
    let ending_at_cutoff = GrantRow {
        expires_at: cutoff,
        ..grant(client_id, Some(owner), epoch())
    };
    let tokens = [
        refresh_token(expired.id, epoch()),
        refresh_token(revoked_before.id, cutoff - Duration::days(1)),
        RefreshTokenRow {
            used_at: Some(cutoff - Duration::hours(1)),
            ..refresh_token(revoked_before.id, cutoff - Duration::days(1))
        },
        refresh_token(revoked_at_cutoff.id, cutoff - Duration::days(1)),
    ];
    let old_answer = idempotent_response("actor", "old", cutoff - Duration::microseconds(1));
    let answer_at_cutoff = idempotent_response("actor", "new", cutoff);
    let old_reservation = reservation("actor", "abandoned", cutoff - Duration::microseconds(1));
    let reservation_at_cutoff = reservation("actor", "running", cutoff);
    committed(&store, async |transaction| {
        transaction.insert_code(&expired_code).await.unwrap();
        transaction.insert_code(&code_at_cutoff).await.unwrap();
        for row in [
            &old_answer,
            &answer_at_cutoff,
            &old_reservation,
            &reservation_at_cutoff,
        ] {
            assert!(transaction.insert_idempotent_response(row).await.unwrap());
        }
    })
    .await;
    let grants = [
        &expired,
        &revoked_before,
        &revoked_at_cutoff,
        &ending_at_cutoff,
    ];
    insert_grants(&store, &grants, &tokens.iter().collect::<Vec<_>>()).await;

    let oauth = store.oauth();
    // One code, two grants with three refresh tokens, one answer, one reservation.
    assert_eq!(oauth.prune(cutoff).await.unwrap(), 8);
    assert_eq!(oauth.prune(cutoff).await.unwrap(), 0);

    for row in [&expired, &revoked_before] {
        assert_eq!(oauth.grant(row.id).await.unwrap(), None);
    }
    for token in &tokens[..3] {
        assert_eq!(oauth.refresh_token(&token.token_hash).await.unwrap(), None);
    }
    for row in [&revoked_at_cutoff, &ending_at_cutoff] {
        assert_eq!(oauth.grant(row.id).await.unwrap().as_ref(), Some(row));
    }
    let kept = oauth.refresh_token(&tokens[3].token_hash).await.unwrap();
    assert_eq!(kept, Some((tokens[3].clone(), revoked_at_cutoff.clone())));
    assert_eq!(
        oauth.idempotent_response("actor", "old").await.unwrap(),
        None
    );
    assert_eq!(
        oauth.idempotent_response("actor", "new").await.unwrap(),
        Some(answer_at_cutoff)
    );
    assert_eq!(
        oauth
            .idempotent_response("actor", "abandoned")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        oauth.idempotent_response("actor", "running").await.unwrap(),
        Some(reservation_at_cutoff)
    );
    let now = cutoff + Duration::seconds(1);
    let redeemed = committed(&store, async |transaction| {
        [
            transaction
                .redeem_code(&expired_code.code_hash, now)
                .await
                .unwrap(),
            transaction
                .redeem_code(&code_at_cutoff.code_hash, now)
                .await
                .unwrap(),
        ]
    })
    .await;
    assert_eq!(redeemed[0], CodeUse::Unknown);
    assert!(matches!(redeemed[1], CodeUse::Fresh(_)), "{redeemed:?}");
}
