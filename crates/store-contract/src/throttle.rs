//! Contract: attempt throttling.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::store::{Store, ThrottleDecision, ThrottlePolicy};

use crate::fixtures::epoch;

/// Five free failures, then waits of 10 s, 20 s, 40 s, capped at 60 s; forgotten after an hour.
fn policy() -> ThrottlePolicy {
    ThrottlePolicy {
        free_attempts: 5,
        base_delay: Duration::seconds(10),
        max_delay: Duration::seconds(60),
        forget_after: Duration::hours(1),
    }
}

async fn take(store: &Arc<dyn Store>, key: &str, now: DateTime<Utc>) -> ThrottleDecision {
    store
        .throttle()
        .take_attempt(key, &policy(), now)
        .await
        .unwrap()
}

fn allowed(failures: i32) -> ThrottleDecision {
    ThrottleDecision::Allowed { failures }
}

fn blocked(until: DateTime<Utc>) -> ThrottleDecision {
    ThrottleDecision::Blocked { until }
}

/// Uses up the free attempts of `key` at `now`, so it is blocked until `now + base_delay`.
async fn exhaust(store: &Arc<dyn Store>, key: &str, now: DateTime<Utc>) {
    for failures in 1..=policy().free_attempts {
        assert_eq!(take(store, key, now).await, allowed(failures));
    }
}

/// Of 30 attempts racing on a fresh key, exactly `free_attempts` are allowed (counting 1 to 5)
/// and the rest are blocked until `now + base_delay`.
pub async fn parallel_attempts_allow_exactly_the_free_ones(store: Arc<dyn Store>) {
    let now = epoch();
    let mut tasks = Vec::new();
    for _ in 0..30 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .throttle()
                .take_attempt("login:racer", &policy(), now)
                .await
                .unwrap()
        }));
    }
    let mut counted = Vec::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            ThrottleDecision::Allowed { failures } => counted.push(failures),
            ThrottleDecision::Blocked { until } => {
                assert_eq!(until, now + policy().base_delay);
                refused += 1;
            }
        }
    }
    counted.sort_unstable();
    assert_eq!(counted, vec![1, 2, 3, 4, 5]);
    assert_eq!(refused, 25);
}

/// Each failure past the free ones doubles the wait, up to `max_delay`; a blocked attempt
/// counts nothing, and the wait ends exactly at `blocked_until`.
pub async fn delays_double_up_to_the_cap(store: Arc<dyn Store>) {
    let key = "login:doubling";
    let start = epoch();
    exhaust(&store, key, start).await;
    let first_wait = start + Duration::seconds(10);
    assert_eq!(
        take(&store, key, first_wait - Duration::microseconds(1)).await,
        blocked(first_wait)
    );
    let mut now = first_wait;
    for (failures, wait) in [(6, 20), (7, 40), (8, 60), (9, 60)] {
        assert_eq!(take(&store, key, now).await, allowed(failures));
        let until = now + Duration::seconds(wait);
        assert_eq!(take(&store, key, now).await, blocked(until));
        now = until;
    }
    // Other keys are unaffected.
    assert_eq!(take(&store, "login:other", now).await, allowed(1));
}

/// Failures whose last one is `forget_after` or more in the past count as none; a microsecond
/// less and they still count.
pub async fn old_failures_are_forgotten(store: Arc<dyn Store>) {
    let key = "login:forgetful";
    let start = epoch();
    exhaust(&store, key, start).await;
    let almost = start + Duration::hours(1) - Duration::microseconds(1);
    assert_eq!(take(&store, key, almost).await, allowed(6));
    let forgotten = almost + Duration::hours(1);
    assert_eq!(take(&store, key, forgotten).await, allowed(1));
    assert_eq!(take(&store, key, forgotten).await, allowed(2));
}

/// Clearing a key forgets its failures and its wait.
pub async fn clear_forgets_every_failure(store: Arc<dyn Store>) {
    let key = "login:cleared";
    let now = epoch();
    exhaust(&store, key, now).await;
    assert_eq!(
        take(&store, key, now).await,
        blocked(now + Duration::seconds(10))
    );
    store.throttle().clear(key).await.unwrap();
    store.throttle().clear("login:never-seen").await.unwrap();
    assert_eq!(take(&store, key, now).await, allowed(1));
}

/// Pruning deletes only keys whose last failure is before the cutoff and that block nothing at
/// the cutoff.
pub async fn prune_deletes_only_old_unblocking_keys(store: Arc<dyn Store>) {
    let start = epoch();
    take(&store, "old", start).await;
    // Blocked until 65 s, past the cutoff.
    exhaust(&store, "old-but-blocking", start + Duration::seconds(55)).await;
    take(&store, "recent", start + Duration::minutes(2)).await;
    let cutoff = start + Duration::minutes(1);
    assert_eq!(store.throttle().prune(cutoff).await.unwrap(), 1);
    assert_eq!(store.throttle().prune(cutoff).await.unwrap(), 0);
    // The pruned key starts over; the kept ones still count.
    assert_eq!(take(&store, "old", cutoff).await, allowed(1));
    let later = start + Duration::minutes(3);
    assert_eq!(take(&store, "old-but-blocking", later).await, allowed(6));
    assert_eq!(take(&store, "recent", later).await, allowed(2));
}
