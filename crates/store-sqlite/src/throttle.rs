//! Attempt throttling. Taking an attempt reads and writes a key's counters in one
//! `BEGIN IMMEDIATE` transaction on the single writer: SQLite serialises writers (across
//! processes too), so the read-then-write is atomic and parallel attempts are counted exactly.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{ThrottleDecision, ThrottlePolicy, ThrottleStore};
use sqlx::SqliteConnection;

use crate::convert::{micros, optional_timestamp, timestamp};
use crate::error::store_error;
use crate::pools::Pools;

/// Doublings beyond which any non-zero delay has long passed every `max_delay` chrono can hold
/// (about 2^83 nanoseconds), so the loop in [`delay`] stays short for any failure count.
const MAX_DOUBLINGS: i32 = 128;

/// A key's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counters {
    failures: i32,
    last_failure_at: DateTime<Utc>,
    blocked_until: Option<DateTime<Utc>>,
}

/// What an attempt does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Refused until then; nothing changes.
    Blocked(DateTime<Utc>),
    /// Counted: these are the new counters.
    Counted(Counters),
}

/// The step an attempt at `now` takes from the `stored` counters. Counters whose last failure
/// is `forget_after` or more before `now` count as none.
fn step(stored: Option<Counters>, policy: &ThrottlePolicy, now: DateTime<Utc>) -> Step {
    let forget_up_to = now.checked_sub_signed(policy.forget_after);
    let current = stored
        .filter(|counters| forget_up_to.is_none_or(|cutoff| counters.last_failure_at > cutoff));
    if let Some(until) = current.and_then(|counters| counters.blocked_until)
        && until > now
    {
        return Step::Blocked(until);
    }
    let failures = current
        .map_or(0, |counters| counters.failures)
        .saturating_add(1);
    let blocked_until = (failures >= policy.free_attempts).then(|| {
        now.checked_add_signed(delay(policy, failures))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    });
    Step::Counted(Counters {
        failures,
        last_failure_at: now,
        blocked_until,
    })
}

/// `min(base_delay * 2^(failures - free_attempts), max_delay)`, without overflowing.
fn delay(policy: &ThrottlePolicy, failures: i32) -> Duration {
    let doublings = failures
        .saturating_sub(policy.free_attempts)
        .clamp(0, MAX_DOUBLINGS);
    let mut delay = policy.base_delay;
    for _ in 0..doublings {
        if delay >= policy.max_delay {
            break;
        }
        delay = delay.checked_mul(2).unwrap_or(policy.max_delay);
    }
    delay.min(policy.max_delay)
}

/// The stored counters of `key`.
async fn counters(
    connection: &mut SqliteConnection,
    key: &str,
) -> Result<Option<Counters>, StoreError> {
    let row = sqlx::query!(
        r#"SELECT failures AS "failures: i32", last_failure_at, blocked_until
           FROM throttles WHERE key = ?1"#,
        key,
    )
    .fetch_optional(connection)
    .await
    .map_err(store_error)?;
    row.map(|row| {
        Ok(Counters {
            failures: row.failures,
            last_failure_at: timestamp(row.last_failure_at)?,
            blocked_until: optional_timestamp(row.blocked_until)?,
        })
    })
    .transpose()
}

/// Stores the counters of `key`, inserting or replacing its row.
async fn store_counters(
    connection: &mut SqliteConnection,
    key: &str,
    counters: &Counters,
) -> Result<(), StoreError> {
    let last_failure_at = micros(counters.last_failure_at);
    let blocked_until = counters.blocked_until.map(micros);
    sqlx::query!(
        "INSERT INTO throttles (key, failures, last_failure_at, blocked_until) \
         VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, \
             last_failure_at = excluded.last_failure_at, blocked_until = excluded.blocked_until",
        key,
        counters.failures,
        last_failure_at,
        blocked_until,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// [`ThrottleStore`] on the writer pool.
#[derive(Debug)]
pub(crate) struct SqliteThrottleStore {
    pools: Pools,
}

impl SqliteThrottleStore {
    /// The throttle store of these pools.
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

#[async_trait]
impl ThrottleStore for SqliteThrottleStore {
    async fn take_attempt(
        &self,
        key: &str,
        policy: &ThrottlePolicy,
        now: DateTime<Utc>,
    ) -> Result<ThrottleDecision, StoreError> {
        // At the stored precision, so `now` compares with stored instants as it will be stored.
        let now = timestamp(micros(now))?;
        let mut transaction = self.pools.begin_write().await?;
        let decision = match step(counters(&mut transaction, key).await?, policy, now) {
            Step::Blocked(until) => ThrottleDecision::Blocked { until },
            Step::Counted(counted) => {
                store_counters(&mut transaction, key, &counted).await?;
                ThrottleDecision::Allowed {
                    failures: counted.failures,
                }
            }
        };
        transaction.commit().await.map_err(store_error)?;
        Ok(decision)
    }

    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query!("DELETE FROM throttles WHERE key = ?1", key)
            .execute(&self.pools.writer)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let before = micros(before);
        let deleted = sqlx::query!(
            "DELETE FROM throttles \
             WHERE last_failure_at < ?1 AND (blocked_until IS NULL OR blocked_until <= ?1)",
            before,
        )
        .execute(&self.pools.writer)
        .await
        .map_err(store_error)?;
        Ok(deleted.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(base_seconds: i64, max_seconds: i64) -> ThrottlePolicy {
        ThrottlePolicy {
            free_attempts: 3,
            base_delay: Duration::seconds(base_seconds),
            max_delay: Duration::seconds(max_seconds),
            forget_after: Duration::hours(1),
        }
    }

    #[test]
    fn delay_doubles_from_the_free_attempts_and_caps() {
        let policy = policy(1, 10);
        let delays: Vec<i64> = (3..=8)
            .map(|failures| delay(&policy, failures).num_seconds())
            .collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 10, 10]);
    }

    #[test]
    fn delay_never_overflows() {
        let huge = ThrottlePolicy {
            base_delay: Duration::nanoseconds(1),
            max_delay: Duration::MAX,
            ..policy(1, 1)
        };
        assert_eq!(delay(&huge, i32::MAX), Duration::MAX);
        assert_eq!(delay(&policy(0, 10), i32::MAX), Duration::zero());
        assert_eq!(delay(&policy(20, 10), 3), Duration::seconds(10));
    }

    #[test]
    fn forgotten_counters_start_over_and_block_nothing() {
        let now = DateTime::<Utc>::UNIX_EPOCH + Duration::days(1);
        let stale = Counters {
            failures: 9,
            last_failure_at: now - Duration::hours(1),
            blocked_until: Some(now + Duration::hours(1)),
        };
        assert_eq!(
            step(Some(stale), &policy(1, 10), now),
            Step::Counted(Counters {
                failures: 1,
                last_failure_at: now,
                blocked_until: None,
            })
        );
        let fresh = Counters {
            last_failure_at: now - Duration::minutes(59),
            ..stale
        };
        assert_eq!(
            step(Some(fresh), &policy(1, 10), now),
            Step::Blocked(now + Duration::hours(1))
        );
    }
}
