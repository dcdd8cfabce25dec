//! Contract: browser sessions.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::store::{SessionRow, Store, new_id};
use uuid::Uuid;

use crate::fixtures::{epoch, insert_user, user};

/// A session of `user_id` created at `created_at`, lasting a day, with a random token digest.
fn session(user_id: Uuid, created_at: DateTime<Utc>) -> SessionRow {
    let mut token_hash = new_id().as_bytes().to_vec();
    token_hash.extend_from_slice(new_id().as_bytes());
    SessionRow {
        id: new_id(),
        token_hash,
        user_id,
        created_at,
        last_seen_at: created_at,
        expires_at: created_at + Duration::days(1),
        revoked_at: None,
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) ✓".to_owned()),
        ip: Some("2001:db8::1".to_owned()),
        amr: r#"["pwd"]"#.to_owned(),
        authenticated_at: created_at,
    }
}

async fn insert(store: &Arc<dyn Store>, rows: &[&SessionRow]) {
    let mut transaction = store.begin().await.unwrap();
    for row in rows {
        transaction.insert_session(row).await.unwrap();
    }
    transaction.commit().await.unwrap();
}

async fn user_id(store: &Arc<dyn Store>, email: &str) -> Uuid {
    insert_user(store, user(email)).await.id
}

fn ids(rows: &[SessionRow]) -> Vec<Uuid> {
    rows.iter().map(|row| row.id).collect()
}

/// Touching a live session returns it with `last_seen_at` moved to `now` and nothing else
/// changed; an unknown digest is `None`.
pub async fn touch_returns_a_live_session_and_moves_last_seen_at(store: Arc<dyn Store>) {
    let owner = user_id(&store, "touch@example.test").await;
    let live = session(owner, epoch());
    let sparse = SessionRow {
        user_agent: None,
        ip: None,
        ..session(owner, epoch())
    };
    insert(&store, &[&live, &sparse]).await;
    let now = epoch() + Duration::minutes(10);
    let cutoff = now - Duration::minutes(30);
    for row in [&live, &sparse] {
        let touched = store
            .sessions()
            .touch(&row.token_hash, now, cutoff, now)
            .await;
        let expected = SessionRow {
            last_seen_at: now,
            ..row.clone()
        };
        assert_eq!(touched.unwrap(), Some(expected));
    }
    // The move is stored: an idle cutoff past the old `last_seen_at` no longer matters.
    let later = now + Duration::minutes(1);
    let touched = store
        .sessions()
        .touch(&live.token_hash, later, now - Duration::seconds(1), later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.last_seen_at, later);
    // A `last_seen_at` newer than `stale_before` is returned as it is and not written.
    let fresh = store
        .sessions()
        .touch(
            &live.token_hash,
            later + Duration::seconds(30),
            now,
            later - Duration::seconds(1),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fresh.last_seen_at, later);
    assert_eq!(
        store
            .sessions()
            .touch(&[0; 32], now, cutoff, now)
            .await
            .unwrap(),
        None
    );
}

/// A revoked, an expired (`expires_at <= now`) and an idle (`last_seen_at <= idle_cutoff`)
/// session each touch to `None`.
pub async fn touch_refuses_revoked_expired_and_idle_sessions(store: Arc<dyn Store>) {
    let owner = user_id(&store, "dead@example.test").await;
    let now = epoch() + Duration::hours(2);
    let cutoff = now - Duration::hours(1);
    let revoked = SessionRow {
        revoked_at: Some(now - Duration::minutes(1)),
        last_seen_at: now - Duration::minutes(1),
        ..session(owner, epoch())
    };
    let expired = SessionRow {
        expires_at: now,
        last_seen_at: now - Duration::minutes(1),
        ..session(owner, epoch())
    };
    let idle = SessionRow {
        last_seen_at: cutoff,
        ..session(owner, epoch())
    };
    insert(&store, &[&revoked, &expired, &idle]).await;
    for row in [&revoked, &expired, &idle] {
        let touched = store
            .sessions()
            .touch(&row.token_hash, now, cutoff, now)
            .await;
        assert_eq!(touched.unwrap(), None);
    }
    let listed = store.sessions().list_for_user(owner, now).await.unwrap();
    assert_eq!(ids(&listed), vec![idle.id]);
    assert_eq!(
        listed[0].last_seen_at, cutoff,
        "a refused touch changes nothing"
    );
}

/// Listing shows the user's unrevoked, unexpired sessions, newest first, and no one else's.
pub async fn list_for_user_shows_live_sessions_newest_first(store: Arc<dyn Store>) {
    let owner = user_id(&store, "list@example.test").await;
    let stranger = user_id(&store, "stranger@example.test").await;
    let now = epoch() + Duration::hours(1);
    let oldest = session(owner, epoch());
    let middle = session(owner, epoch() + Duration::minutes(1));
    let newest = session(owner, epoch() + Duration::minutes(2));
    let revoked = SessionRow {
        revoked_at: Some(now - Duration::seconds(1)),
        ..session(owner, epoch() + Duration::minutes(3))
    };
    let expired = SessionRow {
        expires_at: now,
        ..session(owner, epoch() + Duration::minutes(4))
    };
    let theirs = session(stranger, epoch() + Duration::minutes(5));
    insert(
        &store,
        &[&middle, &revoked, &oldest, &theirs, &expired, &newest],
    )
    .await;
    let listed = store.sessions().list_for_user(owner, now).await.unwrap();
    assert_eq!(listed, vec![newest, middle, oldest]);
    assert!(
        store
            .sessions()
            .list_for_user(Uuid::now_v7(), now)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A session is revoked only by its owner, only while live, and only once.
pub async fn revoke_session_revokes_only_the_owners_live_session(store: Arc<dyn Store>) {
    let owner = user_id(&store, "owner@example.test").await;
    let stranger = user_id(&store, "thief@example.test").await;
    let target = session(owner, epoch());
    let expired = SessionRow {
        expires_at: epoch() + Duration::minutes(1),
        ..session(owner, epoch())
    };
    insert(&store, &[&target, &expired]).await;
    let now = epoch() + Duration::minutes(5);
    let mut transaction = store.begin().await.unwrap();
    assert!(
        !transaction
            .revoke_session(stranger, target.id, now)
            .await
            .unwrap()
    );
    assert!(
        !transaction
            .revoke_session(owner, expired.id, now)
            .await
            .unwrap()
    );
    assert!(
        transaction
            .revoke_session(owner, target.id, now)
            .await
            .unwrap()
    );
    assert!(
        !transaction
            .revoke_session(owner, target.id, now)
            .await
            .unwrap()
    );
    transaction.commit().await.unwrap();
    let touched = store
        .sessions()
        .touch(&target.token_hash, now, epoch() - Duration::hours(1), now)
        .await;
    assert_eq!(touched.unwrap(), None);
}

/// Revoking all of a user's sessions spares `keep` and other users' sessions, and counts only
/// the live sessions it revoked.
pub async fn revoke_sessions_spares_the_kept_one(store: Arc<dyn Store>) {
    let owner = user_id(&store, "all@example.test").await;
    let stranger = user_id(&store, "spared@example.test").await;
    let now = epoch() + Duration::hours(1);
    let first = session(owner, epoch());
    let kept = session(owner, epoch() + Duration::minutes(1));
    let third = session(owner, epoch() + Duration::minutes(2));
    let revoked_before = SessionRow {
        revoked_at: Some(epoch()),
        ..session(owner, epoch())
    };
    let theirs = session(stranger, epoch());
    insert(&store, &[&first, &kept, &third, &revoked_before, &theirs]).await;

    let mut transaction = store.begin().await.unwrap();
    let revoked = transaction.revoke_sessions(owner, Some(kept.id), now).await;
    assert_eq!(revoked.unwrap(), 2);
    transaction.commit().await.unwrap();
    let listed = store.sessions().list_for_user(owner, now).await.unwrap();
    assert_eq!(listed, vec![kept]);
    let listed = store.sessions().list_for_user(stranger, now).await.unwrap();
    assert_eq!(listed, vec![theirs]);

    let mut transaction = store.begin().await.unwrap();
    assert_eq!(
        transaction.revoke_sessions(owner, None, now).await.unwrap(),
        1
    );
    transaction.commit().await.unwrap();
    let listed = store.sessions().list_for_user(owner, now).await.unwrap();
    assert!(listed.is_empty());
}

/// Pruning deletes the sessions that expired or were revoked before the cutoff, and no others.
pub async fn prune_deletes_sessions_ended_before_the_cutoff(store: Arc<dyn Store>) {
    let owner = user_id(&store, "prune@example.test").await;
    let cutoff = epoch() + Duration::days(2);
    let expired_before = SessionRow {
        expires_at: cutoff - Duration::seconds(1),
        ..session(owner, epoch())
    };
    let revoked_before = SessionRow {
        revoked_at: Some(cutoff - Duration::seconds(1)),
        expires_at: cutoff + Duration::days(1),
        ..session(owner, epoch())
    };
    let expires_at_cutoff = SessionRow {
        expires_at: cutoff,
        ..session(owner, epoch())
    };
    let revoked_after = SessionRow {
        revoked_at: Some(cutoff + Duration::seconds(1)),
        expires_at: cutoff + Duration::days(1),
        ..session(owner, epoch())
    };
    let live = SessionRow {
        expires_at: cutoff + Duration::days(1),
        ..session(owner, epoch() + Duration::days(1))
    };
    insert(
        &store,
        &[
            &expired_before,
            &revoked_before,
            &expires_at_cutoff,
            &revoked_after,
            &live,
        ],
    )
    .await;
    assert_eq!(store.sessions().prune(cutoff).await.unwrap(), 2);
    assert_eq!(store.sessions().prune(cutoff).await.unwrap(), 0);
    let later = cutoff + Duration::seconds(2);
    assert_eq!(store.sessions().prune(later).await.unwrap(), 2);
    let listed = store
        .sessions()
        .list_for_user(owner, cutoff - Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(listed, vec![live]);
}

/// `authenticated_at` is stored apart from `created_at` and comes back exactly, from a touch
/// and from a listing.
pub async fn authenticated_at_round_trips(store: Arc<dyn Store>) {
    let owner = user_id(&store, "auth-time@example.test").await;
    let stepped_up = SessionRow {
        authenticated_at: epoch() + Duration::minutes(7) + Duration::microseconds(1),
        amr: r#"["pwd","otp","mfa"]"#.to_owned(),
        ..session(owner, epoch())
    };
    insert(&store, &[&stepped_up]).await;
    let now = epoch() + Duration::minutes(10);
    let touched = store
        .sessions()
        .touch(
            &stepped_up.token_hash,
            now,
            epoch() - Duration::hours(1),
            epoch(),
        )
        .await
        .unwrap();
    assert_eq!(touched, Some(stepped_up.clone()));
    let listed = store.sessions().list_for_user(owner, now).await.unwrap();
    assert_eq!(listed, vec![stepped_up]);
}

/// A fresh authentication gives a live session a new token digest, `amr` and `authenticated_at`
/// and changes nothing else; the old digest stops working; a revoked, expired or unknown session
/// is left alone.
pub async fn reauthenticate_session_changes_only_live_sessions(store: Arc<dyn Store>) {
    let owner = user_id(&store, "step-up@example.test").await;
    let now = epoch() + Duration::hours(2);
    let live = session(owner, epoch());
    let revoked = SessionRow {
        revoked_at: Some(now - Duration::minutes(1)),
        ..session(owner, epoch())
    };
    let expired = SessionRow {
        expires_at: now,
        ..session(owner, epoch())
    };
    insert(&store, &[&live, &revoked, &expired]).await;
    let amr = r#"["pwd","hwk","mfa"]"#;
    let renewed = vec![0x5e_u8; 32];

    let mut transaction = store.begin().await.unwrap();
    for row in [&revoked, &expired] {
        let changed = transaction
            .reauthenticate_session(row.id, &[0x11; 32], amr, now)
            .await;
        assert!(!changed.unwrap());
    }
    let unknown = transaction
        .reauthenticate_session(Uuid::now_v7(), &[0x12; 32], amr, now)
        .await;
    assert!(!unknown.unwrap());
    let changed = transaction
        .reauthenticate_session(live.id, &renewed, amr, now)
        .await;
    assert!(changed.unwrap());
    transaction.commit().await.unwrap();

    let idle_cutoff = epoch() - Duration::hours(1);
    let old = store
        .sessions()
        .touch(&live.token_hash, now, idle_cutoff, epoch())
        .await
        .unwrap();
    assert_eq!(old, None, "the old token no longer names the session");
    let touched = store
        .sessions()
        .touch(&renewed, now, idle_cutoff, epoch())
        .await
        .unwrap();
    let expected = SessionRow {
        token_hash: renewed.clone(),
        amr: amr.to_owned(),
        authenticated_at: now,
        ..live.clone()
    };
    assert_eq!(touched, Some(expected));

    // A step-up in a transaction that rolls back changes nothing.
    let mut transaction = store.begin().await.unwrap();
    let later = now + Duration::minutes(1);
    let changed = transaction
        .reauthenticate_session(live.id, &[0x13; 32], r#"["pwd"]"#, later)
        .await;
    assert!(changed.unwrap());
    transaction.rollback().await.unwrap();
    let listed = store.sessions().list_for_user(owner, now).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].amr.as_str(),
            listed[0].authenticated_at,
            &listed[0].token_hash
        ),
        (amr, now, &renewed)
    );
}
