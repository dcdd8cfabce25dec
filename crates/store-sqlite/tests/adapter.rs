//! Behaviour particular to the SQLite adapter once open: the append-only triggers, the stored
//! forms of values, errors, and the single writer.

#![expect(clippy::unwrap_used, reason = "a test: a failed step is a failed test")]

#[expect(
    dead_code,
    reason = "the adapter tests build their stores directly, not through `fresh_store`"
)]
mod common;

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    AuditRow, DataKeyRow, EnqueueOutcome, JobState, NewJob, Store, new_id,
};
use sqlx::{Executor, Row};
use uuid::Uuid;

use common::TestStore;

fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + Duration::microseconds(654_321)
}

fn audit_row(action: &str) -> AuditRow {
    AuditRow {
        id: new_id(),
        position: 0,
        occurred_at: epoch(),
        actor_kind: "system".to_owned(),
        actor_id: None,
        action: action.to_owned(),
        target: Some("target\0with nul".to_owned()),
        outcome: "success".to_owned(),
        request_id: None,
        subject_id: Some(Uuid::now_v7()),
        details: Some("{ \"spaced\" : 1 }".to_owned()),
        personal: Some(vec![0, 1, 2]),
        personal_digest: Some(vec![7; 32]),
        chain_seq: None,
        chain_mac: None,
    }
}

fn new_job(unique_key: Option<&str>) -> NewJob {
    NewJob {
        id: new_id(),
        kind: "email".to_owned(),
        queue: "default".to_owned(),
        payload: serde_json::json!({ "to": "someone" }),
        run_at: epoch(),
        max_attempts: 3,
        unique_key: unique_key.map(str::to_owned),
        created_at: epoch(),
    }
}

async fn insert_audit(store: &impl Store, row: &AuditRow) {
    let mut transaction = store.begin().await.unwrap();
    transaction.insert_audit_event(row).await.unwrap();
    transaction.commit().await.unwrap();
}

async fn enqueue(store: &impl Store, job: &NewJob) -> EnqueueOutcome {
    let mut transaction = store.begin().await.unwrap();
    let outcome = transaction.enqueue_job(job).await.unwrap();
    transaction.commit().await.unwrap();
    outcome
}

#[tokio::test]
async fn audit_records_refuse_changes_to_their_content_and_deletion() {
    let store = TestStore::migrated().await;
    insert_audit(&store, &audit_row("user.signed_in")).await;
    let mut connection = store.raw().await;
    let refused = [
        "UPDATE audit_events SET action = 'user.signed_out'",
        "UPDATE audit_events SET occurred_at = occurred_at + 1",
        "UPDATE audit_events SET details = NULL",
        "UPDATE audit_events SET target = upper(target)",
        "UPDATE audit_events SET actor_id = 'intruder'",
        "UPDATE audit_events SET subject_id = NULL",
        "UPDATE audit_events SET personal_digest = x'00'",
        "UPDATE audit_events SET personal = x'0102'",
        "UPDATE audit_events SET position = position + 100",
        "UPDATE audit_events SET id = randomblob(16)",
        "DELETE FROM audit_events",
    ];
    for statement in refused {
        let error = connection.execute(statement).await.unwrap_err();
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }

    let allowed = [
        "UPDATE audit_events SET chain_seq = 1, chain_mac = x'01'",
        "UPDATE audit_events SET personal = NULL",
        "UPDATE audit_events SET personal = NULL",
    ];
    for statement in allowed {
        connection.execute(statement).await.unwrap();
    }
    let relink = [
        "UPDATE audit_events SET chain_seq = 2",
        "UPDATE audit_events SET chain_mac = x'02'",
        "UPDATE audit_events SET chain_seq = NULL, chain_mac = NULL",
        "UPDATE audit_events SET personal = x'00'",
    ];
    for statement in relink {
        let error = connection.execute(statement).await.unwrap_err();
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    let row = &store.audit().chained_after(0, 10).await.unwrap()[0];
    assert_eq!((row.chain_seq, row.personal.as_ref()), (Some(1), None));
}

#[tokio::test]
async fn values_are_stored_as_integer_microseconds_and_uuid_blobs() {
    let store = TestStore::migrated().await;
    let row = audit_row("user.signed_in");
    insert_audit(&store, &row).await;
    let mut connection = store.raw().await;
    let stored = sqlx::query(
        "SELECT typeof(occurred_at), occurred_at, typeof(id), length(id), id, \
             typeof(details), details FROM audit_events",
    )
    .fetch_one(&mut connection)
    .await
    .unwrap();
    assert_eq!(stored.get::<String, _>(0), "integer");
    assert_eq!(stored.get::<i64, _>(1), epoch().timestamp_micros());
    assert_eq!(stored.get::<String, _>(2), "blob");
    assert_eq!(stored.get::<i64, _>(3), 16);
    assert_eq!(stored.get::<Vec<u8>, _>(4), row.id.as_bytes().to_vec());
    assert_eq!(stored.get::<String, _>(5), "text");
    assert_eq!(stored.get::<Option<String>, _>(6), row.details);

    let listed = store.audit().chained_after(-1, 10).await.unwrap();
    assert!(listed.is_empty());
    let page = store
        .audit()
        .list(&Default::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(page.rows[0].target, row.target);
    assert_eq!(page.rows[0].occurred_at, row.occurred_at);
}

#[tokio::test]
async fn a_repeated_id_is_already_exists() {
    let store = TestStore::migrated().await;
    let row = audit_row("user.signed_in");
    insert_audit(&store, &row).await;
    let mut transaction = store.begin().await.unwrap();
    let error = transaction.insert_audit_event(&row).await.unwrap_err();
    assert!(matches!(error, StoreError::AlreadyExists(_)), "{error:?}");
}

#[tokio::test]
async fn reviving_a_dead_job_whose_key_is_taken_is_already_exists() {
    let store = TestStore::migrated().await;
    let first = new_job(Some("digest"));
    enqueue(&store, &first).await;
    let lease = epoch() + Duration::seconds(30);
    store
        .jobs()
        .claim("default", "w1", 1, epoch(), lease)
        .await
        .unwrap();
    assert!(
        store
            .jobs()
            .mark_dead(first.id, "w1", "boom", epoch())
            .await
            .unwrap()
    );
    let second = new_job(Some("digest"));
    assert_eq!(
        enqueue(&store, &second).await,
        EnqueueOutcome::Enqueued(second.id)
    );
    let error = store
        .jobs()
        .retry_dead(first.id, epoch())
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::AlreadyExists(_)), "{error:?}");
    let dead = store.jobs().get(first.id).await.unwrap().unwrap();
    assert_eq!(dead.state, JobState::Dead);
}

#[tokio::test]
async fn claim_of_nothing_and_leases_of_no_jobs() {
    let store = TestStore::migrated().await;
    enqueue(&store, &new_job(None)).await;
    let lease = epoch() + Duration::seconds(30);
    assert!(
        store
            .jobs()
            .claim("default", "w1", 0, epoch(), lease)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.jobs().extend_leases(&[], "w1", lease).await.unwrap(),
        0
    );
    assert!(store.keys().subject_keys(&[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_rewrap_changes_no_key() {
    let store = TestStore::migrated().await;
    let key = DataKeyRow {
        id: new_id(),
        purpose: "audit-chain".to_owned(),
        wrapped: vec![1; 40],
        master_key_id: "m1".to_owned(),
        created_at: epoch(),
    };
    store.keys().insert_data_key(&key).await.unwrap();
    let rewrapped = DataKeyRow {
        wrapped: vec![2; 40],
        master_key_id: "m2".to_owned(),
        ..key.clone()
    };
    let unknown = DataKeyRow {
        id: new_id(),
        ..rewrapped.clone()
    };
    let error = store
        .keys()
        .rewrap_data_keys(&[rewrapped, unknown])
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound(_)), "{error:?}");
    assert_eq!(store.keys().data_keys().await.unwrap(), vec![key]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_transactions_take_turns_on_the_single_writer() {
    let store = std::sync::Arc::new(TestStore::migrated().await);
    let mut first = store.begin().await.unwrap();
    first.insert_audit_event(&audit_row("first")).await.unwrap();
    let waiting = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut second = store.begin().await.unwrap();
            second
                .insert_audit_event(&audit_row("second"))
                .await
                .unwrap();
            second.commit().await.unwrap();
        })
    };
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    assert!(
        !waiting.is_finished(),
        "a second writer ran beside the first"
    );
    // Reads go to the reader pool and see only committed data meanwhile.
    assert_eq!(store.audit().count_unchained().await.unwrap(), 0);
    first.commit().await.unwrap();
    waiting.await.unwrap();
    assert_eq!(store.audit().count_unchained().await.unwrap(), 2);
}

#[tokio::test]
async fn a_transaction_takes_the_writer_only_with_its_first_statement() {
    let store = TestStore::migrated().await;
    let mut transaction = store.begin().await.unwrap();
    // A stand-alone write between `begin` and the first statement (the keyring storing a new
    // data key while a use case seals personal data) must not wait for the transaction.
    let key = DataKeyRow {
        id: new_id(),
        purpose: "subject-kek".to_owned(),
        wrapped: vec![1; 40],
        master_key_id: "m1".to_owned(),
        created_at: epoch(),
    };
    let stored = tokio::time::timeout(
        StdDuration::from_secs(3),
        store.keys().insert_data_key(&key),
    )
    .await
    .expect("the stand-alone write waited for an idle transaction")
    .unwrap();
    assert_eq!(stored, key);
    transaction
        .insert_audit_event(&audit_row("later"))
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    assert_eq!(store.audit().count_unchained().await.unwrap(), 1);

    let empty = store.begin().await.unwrap();
    empty.commit().await.unwrap();
    let empty = store.begin().await.unwrap();
    empty.rollback().await.unwrap();
}
