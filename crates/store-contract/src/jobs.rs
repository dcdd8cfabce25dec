//! Contract: the job queue.

use std::{collections::HashSet, sync::Arc};

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::store::{
    EnqueueOutcome, JobCount, JobFilter, JobState, NewJob, Store, new_id,
};

use crate::fixtures::{epoch, job};

async fn enqueue(store: &Arc<dyn Store>, job: &NewJob) -> EnqueueOutcome {
    let mut transaction = store.begin().await.unwrap();
    let outcome = transaction.enqueue_job(job).await.unwrap();
    transaction.commit().await.unwrap();
    outcome
}

fn lease(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::seconds(30)
}

/// A job enqueued in a transaction that rolls back never exists.
pub async fn rolled_back_transaction_leaves_no_job(store: Arc<dyn Store>) {
    let doomed = job("email", "default", epoch());
    let mut transaction = store.begin().await.unwrap();
    transaction.enqueue_job(&doomed).await.unwrap();
    transaction.rollback().await.unwrap();
    assert_eq!(store.jobs().get(doomed.id).await.unwrap(), None);
    let claimed = store
        .jobs()
        .claim("default", "w1", 10, epoch(), lease(epoch()))
        .await
        .unwrap();
    assert!(claimed.is_empty());

    let kept = job("email", "default", epoch());
    assert_eq!(
        enqueue(&store, &kept).await,
        EnqueueOutcome::Enqueued(kept.id)
    );
    let stored = store.jobs().get(kept.id).await.unwrap().unwrap();
    assert_eq!(stored.state, JobState::Available);
    assert_eq!(stored.payload, kept.payload);
    assert_eq!(stored.attempt, 0);
}

/// Only due jobs of the asked queue are claimed, oldest first, at most `limit`, and each claim
/// starts an attempt under the worker's lease.
pub async fn claim_takes_only_due_jobs_up_to_the_limit(store: Arc<dyn Store>) {
    let now = epoch();
    let due_old = job("a", "default", now - Duration::seconds(20));
    let due_new = job("a", "default", now - Duration::seconds(10));
    let due_third = job("a", "default", now);
    let future = job("a", "default", now + Duration::seconds(1));
    let other_queue = job("a", "mail", now - Duration::seconds(30));
    for each in [&future, &due_new, &due_third, &due_old, &other_queue] {
        enqueue(&store, each).await;
    }
    let claimed = store
        .jobs()
        .claim("default", "w1", 2, now, lease(now))
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|job| job.id).collect::<Vec<_>>(),
        vec![due_old.id, due_new.id]
    );
    for job in &claimed {
        assert_eq!(job.state, JobState::Running);
        assert_eq!(job.attempt, 1);
        assert_eq!(job.locked_by.as_deref(), Some("w1"));
        assert_eq!(job.lease_expires_at, Some(lease(now)));
    }
    let rest = store
        .jobs()
        .claim("default", "w2", 10, now, lease(now))
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|job| job.id).collect::<Vec<_>>(),
        vec![due_third.id]
    );
}

/// Claims racing from many tasks hand out every job exactly once.
pub async fn concurrent_claims_never_share_a_job(store: Arc<dyn Store>) {
    let mut all = HashSet::new();
    for _ in 0..40 {
        let each = job("a", "default", epoch());
        all.insert(each.id);
        enqueue(&store, &each).await;
    }
    let mut tasks = Vec::new();
    for worker in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store
                    .jobs()
                    .claim("default", &format!("w{worker}"), 3, epoch(), lease(epoch()))
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|job| job.id));
            }
        }));
    }
    let mut seen = HashSet::new();
    for task in tasks {
        for id in task.await.unwrap() {
            assert!(seen.insert(id), "job {id} was claimed twice");
        }
    }
    assert_eq!(seen, all);
}

/// After the lease expires another worker takes the job over, and the first worker can no
/// longer complete, fail or renew it.
pub async fn expired_lease_is_taken_over_and_old_worker_loses_the_job(store: Arc<dyn Store>) {
    let now = epoch();
    let crashed = job("a", "default", now);
    enqueue(&store, &crashed).await;
    store
        .jobs()
        .claim("default", "w1", 1, now, lease(now))
        .await
        .unwrap();
    let early = now + Duration::seconds(29);
    assert!(
        store
            .jobs()
            .claim("default", "w2", 1, early, lease(early))
            .await
            .unwrap()
            .is_empty()
    );
    let late = now + Duration::seconds(30);
    let taken = store
        .jobs()
        .claim("default", "w2", 1, late, lease(late))
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].attempt, 2);
    assert_eq!(taken[0].locked_by.as_deref(), Some("w2"));
    assert!(!store.jobs().complete(crashed.id, "w1", late).await.unwrap());
    assert!(
        !store
            .jobs()
            .mark_dead(crashed.id, "w1", "x", late)
            .await
            .unwrap()
    );
    assert!(
        !store
            .jobs()
            .retry_later(crashed.id, "w1", "x", late, late)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .jobs()
            .extend_leases(&[crashed.id], "w1", lease(late))
            .await
            .unwrap(),
        0
    );
    assert!(store.jobs().complete(crashed.id, "w2", late).await.unwrap());
    let done = store.jobs().get(crashed.id).await.unwrap().unwrap();
    assert_eq!(done.state, JobState::Completed);
    assert_eq!(done.finished_at, Some(late));
}

/// A worker that dies on the job's last attempt leaves a dead job, not an endless loop.
pub async fn lease_expired_on_last_attempt_makes_the_job_dead(store: Arc<dyn Store>) {
    let now = epoch();
    let poison = NewJob {
        max_attempts: 1,
        ..job("a", "default", now)
    };
    enqueue(&store, &poison).await;
    store
        .jobs()
        .claim("default", "w1", 1, now, lease(now))
        .await
        .unwrap();
    let late = now + Duration::minutes(5);
    assert!(
        store
            .jobs()
            .claim("default", "w2", 1, late, lease(late))
            .await
            .unwrap()
            .is_empty()
    );
    let dead = store.jobs().get(poison.id).await.unwrap().unwrap();
    assert_eq!(dead.state, JobState::Dead);
    assert_eq!(dead.last_error.as_deref(), Some("lease expired"));
    assert_eq!(dead.finished_at, Some(late));
}

/// Renewing a lease keeps the job from being taken over.
pub async fn extend_leases_only_for_the_holder(store: Arc<dyn Store>) {
    let now = epoch();
    let long = job("a", "default", now);
    enqueue(&store, &long).await;
    store
        .jobs()
        .claim("default", "w1", 1, now, lease(now))
        .await
        .unwrap();
    let later = now + Duration::seconds(20);
    assert_eq!(
        store
            .jobs()
            .extend_leases(&[long.id], "w2", lease(later))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .jobs()
            .extend_leases(&[long.id], "w1", lease(later))
            .await
            .unwrap(),
        1
    );
    let after_first_lease = now + Duration::seconds(40);
    let stolen = store
        .jobs()
        .claim(
            "default",
            "w2",
            1,
            after_first_lease,
            lease(after_first_lease),
        )
        .await
        .unwrap();
    assert!(stolen.is_empty());
}

/// A failure reschedules the job; a dead job keeps its error and can be retried.
pub async fn retry_later_then_dead_then_retry_dead(store: Arc<dyn Store>) {
    let now = epoch();
    let flaky = job("a", "default", now);
    enqueue(&store, &flaky).await;
    store
        .jobs()
        .claim("default", "w1", 1, now, lease(now))
        .await
        .unwrap();
    let retry_at = now + Duration::seconds(15);
    assert!(
        store
            .jobs()
            .retry_later(flaky.id, "w1", "smtp down", retry_at, now)
            .await
            .unwrap()
    );
    let waiting = store.jobs().get(flaky.id).await.unwrap().unwrap();
    assert_eq!(
        (waiting.state, waiting.run_at),
        (JobState::Available, retry_at)
    );
    assert_eq!(waiting.last_error.as_deref(), Some("smtp down"));
    assert_eq!(waiting.locked_by, None);
    assert!(
        store
            .jobs()
            .claim("default", "w1", 1, now, lease(now))
            .await
            .unwrap()
            .is_empty()
    );

    store
        .jobs()
        .claim("default", "w1", 1, retry_at, lease(retry_at))
        .await
        .unwrap();
    assert!(!store.jobs().retry_dead(flaky.id, retry_at).await.unwrap());
    assert!(
        store
            .jobs()
            .mark_dead(flaky.id, "w1", "bad address", retry_at)
            .await
            .unwrap()
    );
    let dead = store.jobs().get(flaky.id).await.unwrap().unwrap();
    assert_eq!((dead.state, dead.attempt), (JobState::Dead, 2));
    assert_eq!(dead.last_error.as_deref(), Some("bad address"));

    let revived_at = retry_at + Duration::hours(1);
    assert!(store.jobs().retry_dead(flaky.id, revived_at).await.unwrap());
    let revived = store.jobs().get(flaky.id).await.unwrap().unwrap();
    assert_eq!(
        (revived.state, revived.attempt, revived.run_at),
        (JobState::Available, 0, revived_at)
    );
    assert_eq!(revived.finished_at, None);
}

/// A unique key admits one pending job; once it finishes, the key is free again.
pub async fn unique_key_blocks_duplicates_until_the_holder_finishes(store: Arc<dyn Store>) {
    let now = epoch();
    let unique = |id| NewJob {
        id,
        unique_key: Some("digest:42".to_owned()),
        ..job("a", "default", now)
    };
    let first = unique(new_id());
    assert_eq!(
        enqueue(&store, &first).await,
        EnqueueOutcome::Enqueued(first.id)
    );
    assert_eq!(
        enqueue(&store, &unique(new_id())).await,
        EnqueueOutcome::Duplicate(first.id)
    );
    store
        .jobs()
        .claim("default", "w1", 1, now, lease(now))
        .await
        .unwrap();
    assert_eq!(
        enqueue(&store, &unique(new_id())).await,
        EnqueueOutcome::Duplicate(first.id)
    );
    store.jobs().complete(first.id, "w1", now).await.unwrap();
    let second = unique(new_id());
    assert_eq!(
        enqueue(&store, &second).await,
        EnqueueOutcome::Enqueued(second.id)
    );
    let listed = store.jobs().list(&JobFilter::default(), 10).await.unwrap();
    assert_eq!(listed.len(), 2);
}

/// A cron tick fires once, however many nodes try; only a later tick fires again.
pub async fn cron_tick_advances_once(store: Arc<dyn Store>) {
    let tick = epoch();
    let mut first = store.begin().await.unwrap();
    assert!(first.advance_cron("prune", tick).await.unwrap());
    first.commit().await.unwrap();
    let mut second = store.begin().await.unwrap();
    assert!(!second.advance_cron("prune", tick).await.unwrap());
    assert!(
        !second
            .advance_cron("prune", tick - Duration::hours(1))
            .await
            .unwrap()
    );
    assert!(second.advance_cron("other", tick).await.unwrap());
    assert!(
        second
            .advance_cron("prune", tick + Duration::hours(1))
            .await
            .unwrap()
    );
    second.rollback().await.unwrap();
    let mut third = store.begin().await.unwrap();
    assert!(
        third
            .advance_cron("prune", tick + Duration::hours(1))
            .await
            .unwrap()
    );
    third.commit().await.unwrap();
}

/// Counts group by queue and state; listing filters; pruning removes only old finished jobs.
pub async fn counts_list_and_prune_finished(store: Arc<dyn Store>) {
    let now = epoch();
    let done = job("a", "default", now);
    let dead = job("b", "default", now);
    let waiting = job("c", "mail", now + Duration::hours(1));
    for each in [&done, &dead, &waiting] {
        enqueue(&store, each).await;
    }
    store
        .jobs()
        .claim("default", "w1", 2, now, lease(now))
        .await
        .unwrap();
    store.jobs().complete(done.id, "w1", now).await.unwrap();
    store
        .jobs()
        .mark_dead(dead.id, "w1", "boom", now + Duration::days(2))
        .await
        .unwrap();

    let mut counts = store.jobs().counts().await.unwrap();
    counts.sort_by(|a, b| (&a.queue, a.state.as_str()).cmp(&(&b.queue, b.state.as_str())));
    let count = |queue: &str, state, count| JobCount {
        queue: queue.to_owned(),
        state,
        count,
    };
    assert_eq!(
        counts,
        vec![
            count("default", JobState::Completed, 1),
            count("default", JobState::Dead, 1),
            count("mail", JobState::Available, 1),
        ]
    );
    let filter = JobFilter {
        state: Some(JobState::Dead),
        ..JobFilter::default()
    };
    let listed = store.jobs().list(&filter, 10).await.unwrap();
    assert_eq!(
        listed.iter().map(|job| job.id).collect::<Vec<_>>(),
        vec![dead.id]
    );
    let filter = JobFilter {
        queue: Some("mail".to_owned()),
        kind: Some("c".to_owned()),
        state: None,
    };
    assert_eq!(store.jobs().list(&filter, 10).await.unwrap().len(), 1);

    let cut = now + Duration::days(1);
    assert_eq!(
        store
            .jobs()
            .prune_finished(JobState::Completed, cut)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .jobs()
            .prune_finished(JobState::Dead, cut)
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.jobs().get(done.id).await.unwrap(), None);
    assert!(store.jobs().get(dead.id).await.unwrap().is_some());
    assert!(store.jobs().get(waiting.id).await.unwrap().is_some());
}

/// A key is used once: again in the same transaction, or after commit, it is refused; a
/// rolled-back use leaves it free; pruning frees old keys.
pub async fn idempotency_key_is_used_once(store: Arc<dyn Store>) {
    let now = epoch();
    let mut rolled_back = store.begin().await.unwrap();
    assert!(rolled_back.use_idempotency_key("job:1", now).await.unwrap());
    rolled_back.rollback().await.unwrap();
    let mut first = store.begin().await.unwrap();
    assert!(first.use_idempotency_key("job:1", now).await.unwrap());
    assert!(!first.use_idempotency_key("job:1", now).await.unwrap());
    assert!(
        first
            .use_idempotency_key("job:2", now + Duration::days(2))
            .await
            .unwrap()
    );
    first.commit().await.unwrap();
    let mut later = store.begin().await.unwrap();
    assert!(!later.use_idempotency_key("job:1", now).await.unwrap());
    later.commit().await.unwrap();
    assert_eq!(
        store
            .jobs()
            .prune_idempotency_keys(now + Duration::days(1))
            .await
            .unwrap(),
        1
    );
    let mut after = store.begin().await.unwrap();
    assert!(after.use_idempotency_key("job:1", now).await.unwrap());
    assert!(!after.use_idempotency_key("job:2", now).await.unwrap());
}
