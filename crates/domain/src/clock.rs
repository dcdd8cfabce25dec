//! Where time comes from. Use cases ask the `Clock` in their deps, so tests move time instead of
//! sleeping. Every timestamp is truncated to microseconds so it survives both databases exactly.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, DurationRound, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time, truncated to whole microseconds.
    fn now(&self) -> DateTime<Utc>;
}

/// Truncates a time to whole microseconds, the precision both stores keep.
pub fn to_micros(time: DateTime<Utc>) -> DateTime<Utc> {
    time.duration_trunc(Duration::microseconds(1))
        .unwrap_or(time)
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "this is the one place that reads the real clock"
    )]
    fn now(&self) -> DateTime<Utc> {
        to_micros(Utc::now())
    }
}

/// A clock that only moves when told to; shared by clones.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Arc::new(Mutex::new(to_micros(start))),
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now = to_micros(*now + by);
    }

    /// Sets the clock to `time`.
    pub fn set(&self, time: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to_micros(time);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told_and_keeps_microseconds() {
        let start = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = ManualClock::new(start);
        assert_eq!(clock.now().timestamp_subsec_nanos(), 123_456_000);
        clock.advance(Duration::seconds(90));
        assert_eq!(clock.now() - to_micros(start), Duration::seconds(90));
    }
}
