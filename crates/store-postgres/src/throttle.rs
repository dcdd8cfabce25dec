//! Attempt throttling. An attempt runs in its own transaction that holds the key's row lock
//! while it reads, decides and writes, so parallel attempts on one key (from any node) take
//! turns and are counted exactly.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{ThrottleDecision, ThrottlePolicy, ThrottleStore};
use sqlx::postgres::{PgConnection, PgPool};

use crate::error::store_error;

/// The largest power of two a delay is multiplied by; beyond it the delay is `max_delay` anyway
/// for any sensible policy, and `2^30` still fits the `i32` that [`Duration::checked_mul`] takes.
const MAX_DOUBLINGS: i32 = 30;

/// How often an attempt creates and locks a key's row that is deleted before it can be locked.
const LOCK_ATTEMPTS: usize = 3;

/// [`ThrottleStore`] on the pool.
#[derive(Debug, Clone)]
pub(crate) struct PostgresThrottle {
    pool: PgPool,
}

impl PostgresThrottle {
    /// Throttle operations on `pool`.
    pub(crate) fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// A key's row as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counter {
    failures: i32,
    last_failure_at: DateTime<Utc>,
    blocked_until: Option<DateTime<Utc>>,
}

/// What an attempt does to a key's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Blocked: the row stays as it is.
    Blocked(DateTime<Utc>),
    /// Allowed: the row becomes this.
    Count(Counter),
}

#[async_trait]
impl ThrottleStore for PostgresThrottle {
    async fn take_attempt(
        &self,
        key: &str,
        policy: &ThrottlePolicy,
        now: DateTime<Utc>,
    ) -> Result<ThrottleDecision, StoreError> {
        let mut transaction = self.pool.begin().await.map_err(store_error)?;
        let current = lock_counter(&mut transaction, key, now).await?;
        match step(current, policy, now) {
            // Dropping the transaction rolls it back: nothing was changed.
            Step::Blocked(until) => Ok(ThrottleDecision::Blocked { until }),
            Step::Count(counter) => {
                sqlx::query!(
                    "UPDATE throttles
                     SET failures = $2, last_failure_at = $3, blocked_until = $4
                     WHERE key = $1",
                    key,
                    counter.failures,
                    counter.last_failure_at,
                    counter.blocked_until,
                )
                .execute(&mut *transaction)
                .await
                .map_err(store_error)?;
                transaction.commit().await.map_err(store_error)?;
                Ok(ThrottleDecision::Allowed {
                    failures: counter.failures,
                })
            }
        }
    }

    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query!("DELETE FROM throttles WHERE key = $1", key)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = sqlx::query!(
            "DELETE FROM throttles
             WHERE last_failure_at < $1 AND (blocked_until IS NULL OR blocked_until <= $1)",
            before,
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected())
    }
}

/// Locks the row of `key` until the transaction ends, creating an empty one first when the key
/// has none. A concurrent creator makes the insert wait for its commit and then give way.
async fn lock_counter(
    connection: &mut PgConnection,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Counter, StoreError> {
    for _ in 0..LOCK_ATTEMPTS {
        sqlx::query!(
            "INSERT INTO throttles (key, failures, last_failure_at, blocked_until)
             VALUES ($1, 0, $2, NULL)
             ON CONFLICT (key) DO NOTHING",
            key,
            now,
        )
        .execute(&mut *connection)
        .await
        .map_err(store_error)?;
        let counter = sqlx::query_as!(
            Counter,
            "SELECT failures, last_failure_at, blocked_until FROM throttles
             WHERE key = $1
             FOR UPDATE",
            key,
        )
        .fetch_optional(&mut *connection)
        .await
        .map_err(store_error)?;
        // Only a `clear` or `prune` between the two statements removes the row: start again.
        if let Some(counter) = counter {
            return Ok(counter);
        }
    }
    Err(StoreError::Other(format!(
        "throttle key {key:?} kept disappearing"
    )))
}

/// A key without failures.
fn empty(now: DateTime<Utc>) -> Counter {
    Counter {
        failures: 0,
        last_failure_at: now,
        blocked_until: None,
    }
}

/// The policy: forget old failures, refuse while blocked, else count the attempt and set the
/// wait once the free attempts are used up.
fn step(current: Counter, policy: &ThrottlePolicy, now: DateTime<Utc>) -> Step {
    let forgotten = now
        .checked_sub_signed(policy.forget_after)
        .is_some_and(|cutoff| current.last_failure_at <= cutoff);
    let current = if forgotten { empty(now) } else { current };
    if let Some(until) = current.blocked_until.filter(|until| *until > now) {
        return Step::Blocked(until);
    }
    let failures = current.failures.saturating_add(1);
    let blocked_until = (failures >= policy.free_attempts).then(|| {
        let delay = delay(failures.saturating_sub(policy.free_attempts), policy);
        now.checked_add_signed(delay)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    });
    Step::Count(Counter {
        failures,
        last_failure_at: now,
        blocked_until,
    })
}

/// `min(base_delay * 2^doublings, max_delay)`, without overflowing.
fn delay(doublings: i32, policy: &ThrottlePolicy) -> Duration {
    let factor = 1_i32 << doublings.clamp(0, MAX_DOUBLINGS);
    policy
        .base_delay
        .checked_mul(factor)
        .map_or(policy.max_delay, |delay| delay.min(policy.max_delay))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            free_attempts: 3,
            base_delay: Duration::seconds(1),
            max_delay: Duration::seconds(60),
            forget_after: Duration::hours(1),
        }
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
    }

    fn counted(step: Step) -> Counter {
        match step {
            Step::Count(counter) => counter,
            Step::Blocked(until) => panic!("blocked until {until}"),
        }
    }

    #[test]
    fn the_attempt_that_uses_up_the_free_ones_sets_the_first_wait() {
        let mut counter = empty(at(0));
        for expected in 1..=2 {
            counter = counted(step(counter, &policy(), at(0)));
            assert_eq!(counter.failures, expected);
            assert_eq!(counter.blocked_until, None);
        }
        counter = counted(step(counter, &policy(), at(0)));
        assert_eq!(counter.failures, 3);
        assert_eq!(counter.blocked_until, Some(at(1)));
        assert_eq!(step(counter, &policy(), at(0)), Step::Blocked(at(1)));
    }

    #[test]
    fn waits_double_up_to_the_maximum() {
        let mut counter = Counter {
            failures: 3,
            last_failure_at: at(0),
            blocked_until: Some(at(1)),
        };
        for (now, wait) in [
            (1, 2),
            (3, 4),
            (7, 8),
            (15, 16),
            (31, 32),
            (63, 60),
            (123, 60),
        ] {
            counter = counted(step(counter, &policy(), at(now)));
            assert_eq!(counter.blocked_until, Some(at(now + wait)), "at {now}");
        }
    }

    #[test]
    fn huge_counts_and_delays_do_not_overflow() {
        let huge = ThrottlePolicy {
            free_attempts: 0,
            base_delay: Duration::days(365),
            max_delay: Duration::days(3650),
            forget_after: Duration::MAX,
        };
        let counter = Counter {
            failures: i32::MAX,
            last_failure_at: at(0),
            blocked_until: None,
        };
        let next = counted(step(counter, &huge, at(0)));
        assert_eq!(next.failures, i32::MAX);
        assert_eq!(next.blocked_until, Some(at(0) + Duration::days(3650)));
        assert_eq!(delay(-5, &policy()), Duration::seconds(1));
    }

    #[test]
    fn old_failures_are_forgotten_even_while_blocked() {
        let counter = Counter {
            failures: 9,
            last_failure_at: at(0),
            blocked_until: Some(at(7200)),
        };
        let next = counted(step(counter, &policy(), at(3600)));
        assert_eq!(next.failures, 1);
        assert_eq!(next.blocked_until, None);
        assert_eq!(step(counter, &policy(), at(3599)), Step::Blocked(at(7200)));
    }
}
