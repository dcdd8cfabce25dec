//! Several Gatehouse nodes on one PostgreSQL database: each node is a store with its own pool,
//! as separate processes would have. Claims, unique keys, the chainer lock, data keys and
//! migrations must hold up when nodes race.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failed step is a failed test"
)]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use gatehouse_domain::store::{DataKeyRow, EnqueueOutcome, NewJob, Store, new_id};
use gatehouse_store_contract::fixtures::{audit_row, epoch, job};
use gatehouse_store_postgres::PostgresStore;
use uuid::Uuid;

fn unique_job(unique_key: &str) -> NewJob {
    NewJob {
        unique_key: Some(unique_key.to_owned()),
        ..job("digest", "unique", epoch())
    }
}

async fn enqueue(store: &PostgresStore, job: &NewJob) -> EnqueueOutcome {
    let mut transaction = store.begin().await.unwrap();
    let outcome = transaction.enqueue_job(job).await.unwrap();
    transaction.commit().await.unwrap();
    outcome
}

/// Claims from `store` until the queue has nothing due, returning every claimed id.
async fn drain(store: PostgresStore, worker: String) -> Vec<Uuid> {
    let mut claimed = Vec::new();
    loop {
        let lease_until = epoch() + chrono::Duration::hours(1);
        let batch = store
            .jobs()
            .claim("race", &worker, 2, epoch(), lease_until)
            .await
            .unwrap();
        if batch.is_empty() {
            return claimed;
        }
        claimed.extend(batch.into_iter().map(|job| job.id));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_claiming_one_queue_never_share_a_leased_job() {
    let Some((first, url)) = common::fresh_store().await else {
        return;
    };
    let second = common::connect(&url).await;
    let mut seen = HashSet::new();
    for round in 0..15 {
        let mut enqueued = HashSet::new();
        for _ in 0..24 {
            let each = job("test", "race", epoch());
            enqueued.insert(each.id);
            enqueue(&first, &each).await;
        }
        let mut tasks = Vec::new();
        for worker in 0..4 {
            let store = if worker % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            tasks.push(tokio::spawn(drain(store, format!("r{round}w{worker}"))));
        }
        let mut this_round = HashSet::new();
        for task in tasks {
            for id in task.await.unwrap() {
                assert!(seen.insert(id), "job {id} was claimed twice while leased");
                this_round.insert(id);
            }
        }
        assert_eq!(this_round, enqueued, "round {round} left jobs unclaimed");
    }
}

#[tokio::test]
async fn nodes_starting_together_migrate_once() {
    let Some(url) = common::fresh_url().await else {
        return;
    };
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let store = common::connect(&url).await;
            store.migrate().await.unwrap();
            store.check_ready().await.unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn enqueue_waits_for_an_uncommitted_holder_of_the_unique_key() {
    let Some((store, _url)) = common::fresh_store().await else {
        return;
    };
    let holder = unique_job("digest:1");
    let mut first = store.begin().await.unwrap();
    assert_eq!(
        first.enqueue_job(&holder).await.unwrap(),
        EnqueueOutcome::Enqueued(holder.id)
    );
    let racing = store.clone();
    let second = tokio::spawn(async move { enqueue(&racing, &unique_job("digest:1")).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "the second enqueue must wait for the first transaction"
    );
    first.commit().await.unwrap();
    assert_eq!(second.await.unwrap(), EnqueueOutcome::Duplicate(holder.id));

    // When the holder rolls back, the waiting enqueue goes in.
    let doomed = unique_job("digest:2");
    let mut first = store.begin().await.unwrap();
    first.enqueue_job(&doomed).await.unwrap();
    let racing = store.clone();
    let waiting = unique_job("digest:2");
    let waiting_id = waiting.id;
    let second = tokio::spawn(async move { enqueue(&racing, &waiting).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.rollback().await.unwrap();
    assert_eq!(second.await.unwrap(), EnqueueOutcome::Enqueued(waiting_id));
}

#[tokio::test]
async fn chainers_take_turns_without_blocking_inserts() {
    let Some((store, url)) = common::fresh_store().await else {
        return;
    };
    let other_node = common::connect(&url).await;
    let chain = store.audit().begin_chaining().await.unwrap();
    let waiting = tokio::spawn(async move {
        let chain = other_node.audit().begin_chaining().await.unwrap();
        chain.commit().await.unwrap();
    });
    let mut transaction = store.begin().await.unwrap();
    transaction
        .insert_audit_event(&audit_row("user.signed_in", epoch()))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), transaction.commit())
        .await
        .expect("an insert must not wait for the chainer")
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "a second chainer must wait for the first"
    );
    chain.commit().await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn racing_nodes_agree_on_one_data_key_per_purpose() {
    let Some((store, url)) = common::fresh_store().await else {
        return;
    };
    let other_node = common::connect(&url).await;
    let key = |wrapped: u8| DataKeyRow {
        id: new_id(),
        purpose: "audit-chain".to_owned(),
        wrapped: vec![wrapped; 40],
        master_key_id: "m1".to_owned(),
        created_at: epoch(),
    };
    let (mine, theirs) = (key(1), key(2));
    let (first, second) = tokio::join!(
        store.keys().insert_data_key(&mine),
        other_node.keys().insert_data_key(&theirs),
    );
    assert_eq!(first.unwrap(), second.unwrap());
    assert_eq!(store.keys().data_keys().await.unwrap().len(), 1);
}
