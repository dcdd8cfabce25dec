//! Contract: users and their password credential. Searching and deleting users live in the
//! submodules.

mod deletion;
mod search;

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{PasswordRow, Store, UserRow};
use uuid::Uuid;

use crate::fixtures::{epoch, insert_user, user};

pub use deletion::delete_user_takes_everything_that_hangs_off_them;
pub use search::{
    search_filters_by_every_field, search_pages_with_the_cursor,
    search_query_is_a_case_insensitive_substring_with_literal_wildcards,
};

/// A user with every optional field empty and the defaults of a fresh sign-up.
fn sparse_user(email: &str) -> UserRow {
    UserRow {
        email_verified_at: None,
        display_name: None,
        given_name: None,
        family_name: None,
        locale: None,
        picture_url: None,
        attributes: "{}".to_owned(),
        last_sign_in_at: None,
        ..user(email)
    }
}

async fn set_password(store: &Arc<dyn Store>, row: &PasswordRow) {
    let mut transaction = store.begin().await.unwrap();
    transaction.set_password(row).await.unwrap();
    transaction.commit().await.unwrap();
}

/// A stored user comes back field for field, by id and by normalised email; unknown ones are
/// `None`.
pub async fn user_is_found_by_id_and_by_normalized_email(store: Arc<dyn Store>) {
    let full = insert_user(&store, user("full@example.test")).await;
    let sparse = insert_user(&store, sparse_user("sparse@example.test")).await;
    for row in [&full, &sparse] {
        assert_eq!(
            store.users().by_id(row.id).await.unwrap().as_ref(),
            Some(row)
        );
        assert_eq!(
            store
                .users()
                .by_email(&row.email_normalized)
                .await
                .unwrap()
                .as_ref(),
            Some(row)
        );
    }
    assert_eq!(store.users().by_id(Uuid::now_v7()).await.unwrap(), None);
    assert_eq!(
        store.users().by_email("FULL@EXAMPLE.TEST").await.unwrap(),
        None
    );
    assert_eq!(
        store.users().by_email("nobody@example.test").await.unwrap(),
        None
    );
}

/// A normalised email belongs to one user: inserting or updating another user to it is
/// `AlreadyExists`, and the stored users stay as they were.
pub async fn duplicate_normalized_email_is_refused_on_insert_and_update(store: Arc<dyn Store>) {
    let taken = insert_user(&store, user("taken@example.test")).await;
    let other = insert_user(&store, user("other@example.test")).await;

    let mut transaction = store.begin().await.unwrap();
    let inserted = transaction
        .insert_user(&user("taken@example.test"))
        .await
        .unwrap_err();
    assert!(
        matches!(inserted, StoreError::AlreadyExists(_)),
        "{inserted:?}"
    );
    transaction.rollback().await.unwrap();

    let mut transaction = store.begin().await.unwrap();
    let moved = UserRow {
        email_normalized: taken.email_normalized.clone(),
        ..other.clone()
    };
    let updated = transaction.update_user(&moved).await.unwrap_err();
    assert!(
        matches!(updated, StoreError::AlreadyExists(_)),
        "{updated:?}"
    );
    transaction.rollback().await.unwrap();

    assert_eq!(store.users().by_id(taken.id).await.unwrap(), Some(taken));
    assert_eq!(store.users().by_id(other.id).await.unwrap(), Some(other));
}

/// An update replaces every field but `id` and `created_at`, and reports whether the user
/// exists.
pub async fn update_replaces_every_field_but_id_and_created_at(store: Arc<dyn Store>) {
    let original = insert_user(&store, user("before@example.test")).await;
    let later = epoch() + Duration::days(3);
    let changed = UserRow {
        id: original.id,
        email: "After@Example.test".to_owned(),
        email_normalized: "after@example.test".to_owned(),
        email_verified_at: None,
        display_name: Some("Ångström".to_owned()),
        given_name: None,
        family_name: Some("Nouveau".to_owned()),
        locale: None,
        picture_url: None,
        attributes: r#"{"changed":true}"#.to_owned(),
        status: "locked".to_owned(),
        is_admin: true,
        created_at: later,
        updated_at: later,
        last_sign_in_at: None,
    };
    let mut transaction = store.begin().await.unwrap();
    assert!(transaction.update_user(&changed).await.unwrap());
    let unknown = UserRow {
        id: Uuid::now_v7(),
        email_normalized: "unknown@example.test".to_owned(),
        ..changed.clone()
    };
    assert!(!transaction.update_user(&unknown).await.unwrap());
    transaction.commit().await.unwrap();

    let expected = UserRow {
        created_at: original.created_at,
        ..changed
    };
    assert_eq!(
        store.users().by_id(original.id).await.unwrap(),
        Some(expected.clone())
    );
    assert_eq!(
        store.users().by_email("after@example.test").await.unwrap(),
        Some(expected)
    );
    assert_eq!(
        store.users().by_email("before@example.test").await.unwrap(),
        None
    );
    assert_eq!(store.users().by_id(unknown.id).await.unwrap(), None);
}

/// `lock_user` reads the user inside the transaction, including the transaction's own changes;
/// an unknown id is `None`.
pub async fn lock_user_reads_the_user_inside_the_transaction(store: Arc<dyn Store>) {
    let stored = insert_user(&store, user("locked@example.test")).await;
    let mut transaction = store.begin().await.unwrap();
    assert_eq!(
        transaction.lock_user(stored.id).await.unwrap().as_ref(),
        Some(&stored)
    );
    let disabled = UserRow {
        status: "disabled".to_owned(),
        updated_at: epoch() + Duration::minutes(1),
        ..stored.clone()
    };
    assert!(transaction.update_user(&disabled).await.unwrap());
    assert_eq!(
        transaction.lock_user(stored.id).await.unwrap(),
        Some(disabled.clone())
    );
    assert_eq!(transaction.lock_user(Uuid::now_v7()).await.unwrap(), None);
    transaction.commit().await.unwrap();
    assert_eq!(
        store.users().by_id(stored.id).await.unwrap(),
        Some(disabled)
    );
}

/// Setting a password inserts the credential the first time and replaces it afterwards.
pub async fn password_is_set_then_replaced(store: Arc<dyn Store>) {
    let owner = insert_user(&store, user("pw@example.test")).await;
    assert_eq!(store.users().password(owner.id).await.unwrap(), None);
    let first = PasswordRow {
        user_id: owner.id,
        hash: "$argon2id$v=19$m=19456,t=2,p=1$first".to_owned(),
        updated_at: epoch(),
    };
    set_password(&store, &first).await;
    assert_eq!(
        store.users().password(owner.id).await.unwrap(),
        Some(first.clone())
    );
    let second = PasswordRow {
        hash: "$argon2id$v=19$m=19456,t=2,p=1$second".to_owned(),
        updated_at: epoch() + Duration::days(1),
        ..first
    };
    set_password(&store, &second).await;
    assert_eq!(
        store.users().password(owner.id).await.unwrap(),
        Some(second)
    );
}

/// A rehash replaces the hash only while it is still the one the caller verified.
pub async fn rehash_replaces_only_an_unchanged_hash(store: Arc<dyn Store>) {
    let owner = insert_user(&store, user("rehash@example.test")).await;
    let old = PasswordRow {
        user_id: owner.id,
        hash: "old".to_owned(),
        updated_at: epoch(),
    };
    set_password(&store, &old).await;
    let later = epoch() + Duration::hours(1);
    assert!(
        store
            .users()
            .rehash_password(owner.id, "old", "rehashed", later)
            .await
            .unwrap()
    );
    let rehashed = PasswordRow {
        user_id: owner.id,
        hash: "rehashed".to_owned(),
        updated_at: later,
    };
    assert_eq!(
        store.users().password(owner.id).await.unwrap(),
        Some(rehashed.clone())
    );
    // The password changed since "old" was verified: the rehash must not undo the change.
    let even_later = later + Duration::hours(1);
    assert!(
        !store
            .users()
            .rehash_password(owner.id, "old", "stale", even_later)
            .await
            .unwrap()
    );
    assert!(
        !store
            .users()
            .rehash_password(Uuid::now_v7(), "rehashed", "x", even_later)
            .await
            .unwrap()
    );
    assert_eq!(
        store.users().password(owner.id).await.unwrap(),
        Some(rehashed)
    );
}

/// Recording a sign-in sets `last_sign_in_at` and leaves every other field as it was.
pub async fn record_sign_in_sets_last_sign_in_at(store: Arc<dyn Store>) {
    let stored = insert_user(&store, sparse_user("signin@example.test")).await;
    let at = epoch() + Duration::minutes(5);
    store.users().record_sign_in(stored.id, at).await.unwrap();
    assert_eq!(
        store.users().by_id(stored.id).await.unwrap(),
        Some(UserRow {
            last_sign_in_at: Some(at),
            ..stored
        })
    );
}

/// Listing pages through every user in id order: each page starts after the given id and holds
/// at most `limit` users.
pub async fn list_pages_in_id_order(store: Arc<dyn Store>) {
    let mut all = Vec::new();
    for n in 0..5 {
        all.push(insert_user(&store, user(&format!("u{n}@example.test"))).await);
    }
    all.sort_by_key(|row| row.id);
    let first = store.users().list(None, 2).await.unwrap();
    assert_eq!(first, all[..2].to_vec());
    let second = store.users().list(Some(first[1].id), 2).await.unwrap();
    assert_eq!(second, all[2..4].to_vec());
    let last = store.users().list(Some(second[1].id), 2).await.unwrap();
    assert_eq!(last, all[4..].to_vec());
    assert!(
        store
            .users()
            .list(Some(all[4].id), 2)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.users().list(None, 10).await.unwrap(), all);
}
