//! Attempt throttling held in the database, so it is exact under parallel requests and across
//! nodes.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::StoreError;

/// How attempts on one key are limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures allowed without waiting. The attempt that brings the count to this number (and
    /// every later one) also sets a wait before the next attempt.
    pub free_attempts: i32,
    /// The first wait; it doubles with every further failure…
    pub base_delay: Duration,
    /// …up to this.
    pub max_delay: Duration,
    /// Failures older than this (counted from the last one) are forgotten.
    pub forget_after: Duration,
}

/// The answer to an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleDecision {
    /// Go ahead; the attempt is already counted as a failure (clear the key on success).
    /// `failures` includes it.
    Allowed {
        /// Failures counted, including this attempt.
        failures: i32,
    },
    /// Not now; try again at `until`. Nothing was counted.
    Blocked {
        /// When the next attempt is allowed.
        until: DateTime<Utc>,
    },
}

/// Throttle counters.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// Atomically takes one attempt on `key` at `now`. A row whose last failure is older than
    /// `forget_after` counts as empty. Blocked when `blocked_until > now`. Otherwise counts the
    /// attempt (`failures + 1`, `last_failure_at = now`) and, when the new count reaches
    /// `free_attempts`, sets `blocked_until = now + min(base_delay * 2^(failures -
    /// free_attempts), max_delay)`. Of N parallel attempts on a fresh key, exactly
    /// `free_attempts` are allowed.
    async fn take_attempt(
        &self,
        key: &str,
        policy: &ThrottlePolicy,
        now: DateTime<Utc>,
    ) -> Result<ThrottleDecision, StoreError>;

    /// Forgets every failure of `key` (after a success).
    async fn clear(&self, key: &str) -> Result<(), StoreError>;

    /// Deletes rows whose last failure is before `before` and that block nothing at `before`.
    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}
