//! A node's short-lived cache of authenticated sessions, so most requests of a busy browser or
//! API caller do not read the database. An entry lives `ttl` (one second by default, measured on
//! the Clock); anything this node changes about a user's sessions or account forgets that
//! user's entries at once, and another node's change is seen within `ttl`, the same bound as
//! authorization-model changes (ARCHITECTURE.md §5).

use std::{
    collections::HashMap,
    sync::{PoisonError, RwLock},
};

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::CurrentSession;

/// Entries kept before expired ones are swept.
const SWEEP_AT: usize = 10_000;
/// Entries kept at most; beyond this nothing new is cached until a sweep frees room.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone)]
struct Entry {
    current: CurrentSession,
    fetched_at: DateTime<Utc>,
}

/// Authenticated sessions by token digest.
#[derive(Debug)]
pub struct SessionCache {
    ttl: Duration,
    entries: RwLock<HashMap<Vec<u8>, Entry>>,
}

impl SessionCache {
    /// A cache whose entries live `ttl`; zero turns caching off.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The cached session for `digest`, if fetched less than `ttl` before `now`.
    pub fn get(&self, digest: &[u8], now: DateTime<Utc>) -> Option<CurrentSession> {
        if self.ttl <= Duration::zero() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(digest)?;
        (now >= entry.fetched_at && now - entry.fetched_at < self.ttl)
            .then(|| entry.current.clone())
    }

    /// Remembers `current` for `digest` as fetched at `now`.
    pub fn put(&self, digest: Vec<u8>, current: &CurrentSession, now: DateTime<Utc>) {
        if self.ttl <= Duration::zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= SWEEP_AT {
            let ttl = self.ttl;
            entries.retain(|_, entry| now - entry.fetched_at < ttl);
        }
        if entries.len() < MAX_ENTRIES {
            entries.insert(
                digest,
                Entry {
                    current: current.clone(),
                    fetched_at: now,
                },
            );
        }
    }

    /// Forgets every cached session of `user` (after a sign-out, revocation, step-up, password
    /// or account change made on this node).
    pub fn forget_user(&self, user: Uuid) {
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, entry| entry.current.user.id() != user);
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl Default for SessionCache {
    fn default() -> Self {
        Self::new(Duration::seconds(1))
    }
}
