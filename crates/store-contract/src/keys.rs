//! Contract: wrapped key material.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::store::{DataKeyRow, Store, SubjectKeyRow, new_id};
use uuid::Uuid;

use crate::fixtures::epoch;

fn data_key(purpose: &str) -> DataKeyRow {
    DataKeyRow {
        id: new_id(),
        purpose: purpose.to_owned(),
        wrapped: vec![7; 60],
        master_key_id: "m1".to_owned(),
        created_at: epoch(),
    }
}

/// Two inserts for one purpose keep the first key; both callers get it back.
pub async fn data_key_is_inserted_once_per_purpose(store: Arc<dyn Store>) {
    let first = data_key("audit-chain");
    let second = data_key("audit-chain");
    assert_eq!(store.keys().insert_data_key(&first).await.unwrap(), first);
    assert_eq!(store.keys().insert_data_key(&second).await.unwrap(), first);
    let other = data_key("subject-kek");
    store.keys().insert_data_key(&other).await.unwrap();
    assert_eq!(store.keys().data_keys().await.unwrap(), vec![first, other]);
}

/// Re-wrapping replaces the wrapped bytes and master key id of exactly the given keys.
pub async fn rewrap_replaces_every_given_key(store: Arc<dyn Store>) {
    let a = store.keys().insert_data_key(&data_key("a")).await.unwrap();
    let b = store.keys().insert_data_key(&data_key("b")).await.unwrap();
    let c = store.keys().insert_data_key(&data_key("c")).await.unwrap();
    let rewrapped: Vec<DataKeyRow> = [&a, &b]
        .into_iter()
        .map(|key| DataKeyRow {
            wrapped: vec![8; 61],
            master_key_id: "m2".to_owned(),
            ..key.clone()
        })
        .collect();
    store.keys().rewrap_data_keys(&rewrapped).await.unwrap();
    let stored = store.keys().data_keys().await.unwrap();
    assert_eq!(stored, vec![rewrapped[0].clone(), rewrapped[1].clone(), c]);
}

/// The first key of a subject wins, a destroyed key stays destroyed, and destroying twice is
/// reported once.
pub async fn subject_key_is_inserted_once_and_destruction_is_final(store: Arc<dyn Store>) {
    let subject = Uuid::now_v7();
    let row = |wrapped: u8| SubjectKeyRow {
        subject_id: subject,
        key_id: new_id(),
        wrapped: Some(vec![wrapped; 60]),
        created_at: epoch(),
        destroyed_at: None,
    };
    let first = row(1);
    let mut transaction = store.begin().await.unwrap();
    assert_eq!(
        transaction.subject_key_or_insert(&first).await.unwrap(),
        first
    );
    assert_eq!(
        transaction.subject_key_or_insert(&row(2)).await.unwrap(),
        first
    );
    transaction.commit().await.unwrap();

    let later = epoch() + Duration::days(1);
    assert!(
        store
            .keys()
            .destroy_subject_key(subject, later)
            .await
            .unwrap()
    );
    assert!(
        !store
            .keys()
            .destroy_subject_key(subject, later)
            .await
            .unwrap()
    );
    let mut transaction = store.begin().await.unwrap();
    let after = transaction.subject_key_or_insert(&row(3)).await.unwrap();
    transaction.commit().await.unwrap();
    assert_eq!(after.wrapped, None);
    assert_eq!(after.destroyed_at, Some(later));
    assert_eq!(after.key_id, first.key_id);

    let unknown = Uuid::now_v7();
    let found = store
        .keys()
        .subject_keys(&[subject, unknown])
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].subject_id, subject);
}
