//! Per-node caches of the hot paths: clients by `client_id` (with the capabilities of their
//! service account per audience), verified tokens by digest, and grants' revocation state.
//! Each entry lives for the configured TTL (a second by default), so a change made on another
//! node takes effect within it; changes made on this node forget the entry at once.

use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, PoisonError, RwLock},
    time::{Duration, Instant},
};

use uuid::Uuid;

use super::{clients::Client, tokens::VerifiedToken};

/// The most entries a cache holds; beyond it, expired entries are swept and, if still full,
/// everything is dropped (the caches only save work; they are never the truth).
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug)]
struct Timed<T> {
    value: T,
    until: Instant,
}

#[derive(Debug)]
struct Ttl<K, V> {
    ttl: Duration,
    entries: RwLock<HashMap<K, Timed<V>>>,
}

impl<K: std::hash::Hash + Eq + Clone, V: Clone> Ttl<K, V> {
    fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(key)
            .filter(|entry| entry.until > Instant::now())
            .map(|entry| entry.value.clone())
    }

    fn put_for(&self, key: K, value: V, ttl: Duration) {
        if ttl.is_zero() {
            return;
        }
        let now = Instant::now();
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, entry| entry.until > now);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(
            key,
            Timed {
                value,
                until: now + ttl,
            },
        );
    }

    fn put(&self, key: K, value: V) {
        self.put_for(key, value, self.ttl);
    }

    fn forget(&self, key: &K) {
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }

    fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// A cached client and the capabilities its service account holds, per audience.
#[derive(Debug, Clone)]
pub(super) struct CachedClient {
    pub client: Arc<Client>,
    pub capabilities: Arc<RwLock<HashMap<String, Arc<BTreeSet<String>>>>>,
}

/// This node's clients.
#[derive(Debug)]
pub(super) struct ClientCache {
    clients: Ttl<String, Option<CachedClient>>,
}

impl ClientCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            clients: Ttl::new(ttl),
        }
    }

    /// `Some(None)`: known not to exist; `None`: not cached.
    pub fn get(&self, client_id: &str) -> Option<Option<CachedClient>> {
        self.clients.get(&client_id.to_owned())
    }

    pub fn put(&self, client_id: &str, client: Option<CachedClient>) {
        self.clients.put(client_id.to_owned(), client);
    }

    pub fn forget(&self, client_id: &str) {
        self.clients.forget(&client_id.to_owned());
    }
}

/// This node's verified access tokens (by SHA-256 of the token, until their expiry) and the
/// revocation state of grants (for the TTL).
#[derive(Debug)]
pub struct TokenCache {
    verified: Ttl<[u8; 32], Arc<VerifiedToken>>,
    grants: Ttl<Uuid, bool>,
}

impl TokenCache {
    /// Caches whose liveness entries last `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            verified: Ttl::new(ttl),
            grants: Ttl::new(ttl),
        }
    }

    pub(super) fn verified(&self, digest: &[u8; 32]) -> Option<Arc<VerifiedToken>> {
        self.verified.get(digest)
    }

    pub(super) fn remember_verified(
        &self,
        digest: [u8; 32],
        token: Arc<VerifiedToken>,
        lifetime: Duration,
    ) {
        self.verified.put_for(digest, token, lifetime);
    }

    /// Whether a grant is live: `None` when not cached.
    pub(super) fn grant_live(&self, grant: Uuid) -> Option<bool> {
        self.grants.get(&grant)
    }

    pub(super) fn remember_grant(&self, grant: Uuid, live: bool) {
        self.grants.put(grant, live);
    }

    /// Forgets a grant's state (it was revoked on this node).
    pub fn forget_grant(&self, grant: Uuid) {
        self.grants.forget(&grant);
    }

    /// Forgets everything (a user was disabled or signed out everywhere on this node).
    pub fn clear(&self) {
        self.verified.clear();
        self.grants.clear();
    }
}
