//! The node's token-signing keys.
//!
//! Every key lives in the store (`signing_keys`), its private half sealed under the
//! `signing-keys` data key with the kid as context. A key is published in JWKS from
//! `created_at`, signs from `activates_at` until a newer key of its algorithm activates, and is
//! removed after `expires_at`, once every token it signed has expired.
//!
//! Rotation inserts the new key with `activates_at = now + publish_lead` and retires the
//! current ones at that instant, keeping them published for `retain` more. Each node keeps a
//! snapshot of the keys and reloads it when it is older than `reload_interval`, so another
//! node's new key is published here within `reload_interval`; and since the new key signs only
//! after `publish_lead` (which must exceed `reload_interval` plus the JWKS cache lifetime of
//! relying parties), every node and every relying party knows it before any token carries it.
//! The switch itself needs no reload: each node compares `activates_at` with its clock.
//!
//! The only key that signs at once is an algorithm's very first one, created on demand when
//! nothing can have cached a key set without it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError, RwLock},
    time::Duration,
};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::jose::{Algorithm, KeyPair, PublicKey};
use crate::{
    Clock, DomainError,
    audit::{self, Actor, AuditEvent},
    clock::to_micros,
    secrets::{DataKey, Keyring, purpose},
    store::{SigningKeyRow, Store, new_id},
};

/// How often a node may reload its keys because a token named a kid it does not know.
const UNKNOWN_KID_RELOAD_INTERVAL: TimeDelta = TimeDelta::seconds(1);

/// Signing-key publication, retention, rotation and caching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySettings {
    /// A new key is published this long before it signs: at least the JWKS cache lifetime of
    /// relying parties plus `reload_interval`.
    pub publish_lead: Duration,
    /// An old key stays published this long after it stops signing: the longest token
    /// lifetime.
    pub retain: Duration,
    /// Scheduled rotation replaces a key this old.
    pub rotation_period: Duration,
    /// How stale this node's snapshot of the keys may get (e.g. 5 s).
    pub reload_interval: Duration,
}

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// Published, signing later.
    Next,
    /// The key its algorithm signs with now.
    Active,
    /// No longer signs; published until it expires.
    Retired,
}

impl KeyState {
    /// `next`, `active` or `retired`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Active => "active",
            Self::Retired => "retired",
        }
    }
}

/// A signing key as the console and the management API show it (no key material).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// The JWS `kid`.
    pub kid: String,
    /// Its one algorithm.
    pub alg: Algorithm,
    /// Made and published.
    pub created_at: DateTime<Utc>,
    /// Signs from then.
    pub activates_at: DateTime<Utc>,
    /// Stops (or stopped) signing then.
    pub retired_at: Option<DateTime<Utc>>,
    /// Leaves JWKS then.
    pub expires_at: Option<DateTime<Utc>>,
    /// Its state now.
    pub state: KeyState,
}

/// A key's name, algorithm and times: all the selection rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyMeta {
    kid: String,
    alg: Algorithm,
    created_at: DateTime<Utc>,
    activates_at: DateTime<Utc>,
    retired_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
}

impl AsRef<Self> for KeyMeta {
    fn as_ref(&self) -> &Self {
        self
    }
}

impl KeyMeta {
    fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|expires| expires <= now)
    }

    /// In JWKS: made, not yet expired.
    fn published(&self, now: DateTime<Utc>) -> bool {
        self.created_at <= now && !self.expired(now)
    }

    fn info(&self, state: KeyState) -> KeyInfo {
        KeyInfo {
            kid: self.kid.clone(),
            alg: self.alg,
            created_at: self.created_at,
            activates_at: self.activates_at,
            retired_at: self.retired_at,
            expires_at: self.expires_at,
            state,
        }
    }
}

/// The key `alg` signs with at `now`: of the keys of `alg` that have activated and not
/// expired, the one that activated last (ties: the newer, then the greater kid, so every node
/// picks the same one).
fn active_key<K: AsRef<KeyMeta>>(keys: &[K], alg: Algorithm, now: DateTime<Utc>) -> Option<&K> {
    keys.iter()
        .filter(|key| {
            let meta = key.as_ref();
            meta.alg == alg && meta.activates_at <= now && !meta.expired(now)
        })
        .max_by(|a, b| {
            let (a, b) = (a.as_ref(), b.as_ref());
            (a.activates_at, a.created_at, &a.kid).cmp(&(b.activates_at, b.created_at, &b.kid))
        })
}

/// The state of `key` among `keys` at `now`.
fn state_of<K: AsRef<KeyMeta>>(keys: &[K], key: &KeyMeta, now: DateTime<Utc>) -> KeyState {
    if key.activates_at > now && !key.expired(now) {
        KeyState::Next
    } else if active_key(keys, key.alg, now).is_some_and(|active| active.as_ref().kid == key.kid) {
        KeyState::Active
    } else {
        KeyState::Retired
    }
}

/// The algorithms whose newest key was made more than `period` before `now`. Algorithms
/// without keys are not due: their first key is made when first needed.
fn due_algorithms<K: AsRef<KeyMeta>>(
    keys: &[K],
    now: DateTime<Utc>,
    period: TimeDelta,
) -> Vec<Algorithm> {
    Algorithm::ALL
        .into_iter()
        .filter(|alg| {
            keys.iter()
                .map(AsRef::as_ref)
                .filter(|meta| meta.alg == *alg)
                .map(|meta| meta.created_at)
                .max()
                .is_some_and(|newest| now - newest > period)
        })
        .collect()
}

/// Whether a snapshot loaded at `loaded_at` may still be used at `now`.
fn is_fresh(loaded_at: Option<DateTime<Utc>>, now: DateTime<Utc>, interval: TimeDelta) -> bool {
    loaded_at.is_some_and(|loaded| loaded <= now && now - loaded < interval)
}

/// One key, parsed.
#[derive(Debug, Clone)]
struct Entry {
    meta: KeyMeta,
    public: Arc<PublicKey>,
    /// `None` for expired keys, which never sign again.
    private: Option<Arc<KeyPair>>,
}

impl AsRef<KeyMeta> for Entry {
    fn as_ref(&self) -> &KeyMeta {
        &self.meta
    }
}

#[derive(Debug, Default)]
struct Snapshot {
    loaded_at: Option<DateTime<Utc>>,
    /// As the store lists them, oldest first.
    keys: Vec<Entry>,
}

impl Snapshot {
    fn signer(&self, alg: Algorithm, now: DateTime<Utc>) -> Option<Arc<KeyPair>> {
        active_key(&self.keys, alg, now).and_then(|entry| entry.private.clone())
    }

    fn published(&self, kid: &str, now: DateTime<Utc>) -> Option<Arc<PublicKey>> {
        self.keys
            .iter()
            .find(|entry| entry.meta.kid == kid && entry.meta.published(now))
            .map(|entry| entry.public.clone())
    }
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

fn later(time: DateTime<Utc>, by: TimeDelta) -> Result<DateTime<Utc>, DomainError> {
    time.checked_add_signed(by)
        .map(to_micros)
        .ok_or_else(|| DomainError::Invalid("a signing-key duration is out of range".to_owned()))
}

fn corrupt(kid: &str, what: &str) -> DomainError {
    DomainError::Key(format!("signing key {kid}: {what}"))
}

/// This node's view of the signing keys. Cheap to share (`Arc`); the hot path ([`Self::signer`]
/// on a fresh snapshot) takes a read lock and touches nothing else.
#[derive(Debug)]
pub struct SigningKeys {
    store: Arc<dyn Store>,
    keyring: Arc<Keyring>,
    clock: Arc<dyn Clock>,
    settings: KeySettings,
    cache: RwLock<Snapshot>,
    /// One reload at a time; callers that waited reuse its result.
    reload_lock: tokio::sync::Mutex<()>,
    /// One first-key creation at a time.
    create_lock: tokio::sync::Mutex<()>,
    /// When a token's unknown kid last forced a reload.
    last_unknown_kid_reload: Mutex<Option<DateTime<Utc>>>,
}

impl SigningKeys {
    /// The keys of the instance behind `store`; they load on first use.
    pub fn new(
        store: Arc<dyn Store>,
        keyring: Arc<Keyring>,
        clock: Arc<dyn Clock>,
        settings: KeySettings,
    ) -> Self {
        if settings.publish_lead <= settings.reload_interval {
            tracing::warn!(
                "signing keys: publish_lead should exceed reload_interval, or a node may sign \
                 with a key other nodes do not publish yet"
            );
        }
        Self {
            store,
            keyring,
            clock,
            settings,
            cache: RwLock::new(Snapshot::default()),
            reload_lock: tokio::sync::Mutex::new(()),
            create_lock: tokio::sync::Mutex::new(()),
            last_unknown_kid_reload: Mutex::new(None),
        }
    }

    fn snapshot(&self) -> std::sync::RwLockReadGuard<'_, Snapshot> {
        self.cache.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn fresh(&self, now: DateTime<Utc>) -> bool {
        is_fresh(
            self.snapshot().loaded_at,
            now,
            delta(self.settings.reload_interval),
        )
    }

    /// The key that signs `alg` tokens now: the newest activated, unexpired key of `alg`. When
    /// the instance has no key of `alg` at all, one is made that signs at once. On a fresh
    /// snapshot this takes a read lock and nothing else.
    pub async fn signer(&self, alg: Algorithm) -> Result<Arc<KeyPair>, DomainError> {
        let now = self.clock.now();
        {
            let snapshot = self.snapshot();
            if is_fresh(
                snapshot.loaded_at,
                now,
                delta(self.settings.reload_interval),
            ) && let Some(signer) = snapshot.signer(alg, now)
            {
                return Ok(signer);
            }
        }
        self.refresh(false).await?;
        if let Some(signer) = self.snapshot().signer(alg, self.clock.now()) {
            return Ok(signer);
        }
        self.create_first(alg).await
    }

    /// Makes the first key of `alg`, signing at once, unless another caller or node made one
    /// meanwhile.
    async fn create_first(&self, alg: Algorithm) -> Result<Arc<KeyPair>, DomainError> {
        let _creating = self.create_lock.lock().await;
        self.refresh(true).await?;
        let now = self.clock.now();
        {
            let snapshot = self.snapshot();
            if let Some(signer) = snapshot.signer(alg, now) {
                return Ok(signer);
            }
            let live = snapshot
                .keys
                .iter()
                .any(|entry| entry.meta.alg == alg && !entry.meta.expired(now));
            if live {
                return Err(DomainError::Key(format!(
                    "no {alg} signing key is active yet"
                )));
            }
        }
        self.insert_keys(
            &[alg],
            TimeDelta::zero(),
            false,
            "signing_key.created",
            Actor::System,
        )
        .await?;
        self.refresh(true).await?;
        self.snapshot()
            .signer(alg, self.clock.now())
            .ok_or_else(|| DomainError::Key(format!("the new {alg} signing key is not active")))
    }

    /// The published key (in JWKS now) with this kid. An unknown kid forces one reload, at
    /// most once a second per node, so a key another node just made is found.
    pub async fn public_key(&self, kid: &str) -> Result<Option<Arc<PublicKey>>, DomainError> {
        let now = self.clock.now();
        if !self.fresh(now) {
            self.refresh(false).await?;
            return Ok(self.snapshot().published(kid, self.clock.now()));
        }
        if let Some(key) = self.snapshot().published(kid, now) {
            return Ok(Some(key));
        }
        {
            let mut last = self
                .last_unknown_kid_reload
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|last| last <= now && now - last < UNKNOWN_KID_RELOAD_INTERVAL) {
                return Ok(None);
            }
            *last = Some(now);
        }
        self.refresh(true).await?;
        Ok(self.snapshot().published(kid, self.clock.now()))
    }

    /// The JWK Set to publish: every key made and not yet expired, newest first.
    pub async fn jwks(&self) -> Result<serde_json::Value, DomainError> {
        self.refresh(false).await?;
        let now = self.clock.now();
        let snapshot = self.snapshot();
        let keys: Vec<serde_json::Value> = snapshot
            .keys
            .iter()
            .rev()
            .filter(|entry| entry.meta.published(now))
            .map(|entry| entry.public.jwk())
            .collect();
        Ok(serde_json::json!({ "keys": keys }))
    }

    /// Every stored key with its state, oldest first, read afresh from the store.
    pub async fn list(&self) -> Result<Vec<KeyInfo>, DomainError> {
        self.refresh(true).await?;
        let now = self.clock.now();
        let snapshot = self.snapshot();
        Ok(snapshot
            .keys
            .iter()
            .map(|entry| entry.meta.info(state_of(&snapshot.keys, &entry.meta, now)))
            .collect())
    }

    /// Rotates each algorithm of `algs` in one transaction: a new key that signs from
    /// `now + publish_lead`, the current keys retired at that instant and expiring `retain`
    /// later, and a `signing_key.rotated` audit event per key. Returns the new keys.
    pub async fn rotate(
        &self,
        algs: &[Algorithm],
        actor: Actor,
    ) -> Result<Vec<KeyInfo>, DomainError> {
        let mut algs = algs.to_vec();
        algs.sort_unstable();
        algs.dedup();
        if algs.is_empty() {
            return Ok(Vec::new());
        }
        let lead = delta(self.settings.publish_lead);
        let created = self
            .insert_keys(&algs, lead, true, "signing_key.rotated", actor)
            .await?;
        if let Err(error) = self.refresh(true).await {
            // The rotation committed; the next reload picks it up well before it signs.
            tracing::warn!(error = %error, "reloading signing keys after a rotation failed");
        }
        let now = self.clock.now();
        Ok(created
            .iter()
            .map(|meta| meta.info(state_of(&created, meta, now)))
            .collect())
    }

    /// The scheduled job: rotates (as [`Actor::System`]) every algorithm whose newest key was
    /// made more than `rotation_period` ago.
    pub async fn rotate_due(&self) -> Result<Vec<KeyInfo>, DomainError> {
        self.refresh(true).await?;
        let due = due_algorithms(
            &self.snapshot().keys,
            self.clock.now(),
            delta(self.settings.rotation_period),
        );
        self.rotate(&due, Actor::System).await
    }

    /// Deletes keys that have expired. Returns how many.
    pub async fn prune(&self) -> Result<u64, DomainError> {
        Ok(self
            .store
            .oauth()
            .prune_signing_keys(self.clock.now())
            .await?)
    }

    /// Generates, seals and stores a key per algorithm in one transaction, with an audit event
    /// each; with `retire`, the other unretired keys of each algorithm retire when the new one
    /// activates (`lead` from now).
    async fn insert_keys(
        &self,
        algs: &[Algorithm],
        lead: TimeDelta,
        retire: bool,
        action: &str,
        actor: Actor,
    ) -> Result<Vec<KeyMeta>, DomainError> {
        // Made before the transaction: SQLite has one writer, and RSA generation is slow.
        let data_key = self.keyring.key(purpose::SIGNING_KEYS).await?;
        let pairs = generate(algs).await?;
        let now = self.clock.now();
        let activates_at = later(now, lead)?;
        let expires_at = later(activates_at, delta(self.settings.retain))?;
        let mut rows = Vec::with_capacity(pairs.len());
        for (pair, der) in pairs {
            rows.push(SigningKeyRow {
                id: new_id(),
                kid: pair.kid().to_owned(),
                alg: pair.alg().as_str().to_owned(),
                private_key: data_key.seal(&der, pair.kid().as_bytes())?,
                public_jwk: pair.public_jwk().to_string(),
                created_at: now,
                activates_at,
                retired_at: None,
                expires_at: None,
            });
        }
        let mut transaction = self.store.begin().await?;
        let mut created = Vec::with_capacity(rows.len());
        for (row, alg) in rows.iter().zip(algs) {
            transaction.insert_signing_key(row).await?;
            let retired = if retire {
                transaction
                    .retire_signing_keys(&row.alg, row.id, activates_at, expires_at)
                    .await?
            } else {
                0
            };
            let mut event = AuditEvent::new(actor.clone(), action);
            event.target = Some(format!("signing_key:{}", row.kid));
            event.details = Some(serde_json::json!({
                "kid": row.kid,
                "alg": row.alg,
                "activates_at": activates_at.to_rfc3339(),
                "retired_keys": retired,
            }));
            audit::record(&mut *transaction, &self.keyring, now, event).await?;
            created.push(KeyMeta {
                kid: row.kid.clone(),
                alg: *alg,
                created_at: now,
                activates_at,
                retired_at: None,
                expires_at: None,
            });
        }
        transaction.commit().await?;
        Ok(created)
    }

    /// Reloads the snapshot unless (without `force`) it is fresh. One reload runs at a time;
    /// callers that waited for it use its result.
    async fn refresh(&self, force: bool) -> Result<(), DomainError> {
        if !force && self.fresh(self.clock.now()) {
            return Ok(());
        }
        let _reloading = self.reload_lock.lock().await;
        if !force && self.fresh(self.clock.now()) {
            return Ok(());
        }
        self.reload().await
    }

    /// Reads every key from the store. Keys already parsed are reused (their rows never change
    /// except for `retired_at` and `expires_at`); new ones are unsealed and parsed once.
    async fn reload(&self) -> Result<(), DomainError> {
        let loaded_at = self.clock.now();
        let rows = self.store.oauth().signing_keys().await?;
        let previous: HashMap<String, Entry> = self
            .snapshot()
            .keys
            .iter()
            .map(|entry| (entry.meta.kid.clone(), entry.clone()))
            .collect();
        let mut data_key: Option<Arc<DataKey>> = None;
        let mut keys = Vec::with_capacity(rows.len());
        for row in &rows {
            let alg = Algorithm::parse(&row.alg)
                .ok_or_else(|| corrupt(&row.kid, "unsupported algorithm"))?;
            let meta = KeyMeta {
                kid: row.kid.clone(),
                alg,
                created_at: row.created_at,
                activates_at: row.activates_at,
                retired_at: row.retired_at,
                expires_at: row.expires_at,
            };
            let reused = previous.get(&row.kid).filter(|entry| entry.meta.alg == alg);
            let public = match reused {
                Some(entry) => entry.public.clone(),
                None => Arc::new(parse_public(row, alg)?),
            };
            let private = if meta.expired(loaded_at) {
                None
            } else if let Some(private) = reused.and_then(|entry| entry.private.clone()) {
                Some(private)
            } else {
                let key = match &data_key {
                    Some(key) => key.clone(),
                    None => data_key
                        .insert(self.keyring.key(purpose::SIGNING_KEYS).await?)
                        .clone(),
                };
                let der = key.open(&row.private_key, row.kid.as_bytes())?;
                let pair = KeyPair::from_pkcs8(alg, row.kid.clone(), &der)?;
                if !pair.public_key().same_key(&public) {
                    return Err(corrupt(
                        &row.kid,
                        "the private key does not match the public JWK",
                    ));
                }
                Some(Arc::new(pair))
            };
            keys.push(Entry {
                meta,
                public,
                private,
            });
        }
        *self.cache.write().unwrap_or_else(PoisonError::into_inner) = Snapshot {
            loaded_at: Some(loaded_at),
            keys,
        };
        Ok(())
    }
}

fn parse_public(row: &SigningKeyRow, alg: Algorithm) -> Result<PublicKey, DomainError> {
    let jwk: serde_json::Value = serde_json::from_str(&row.public_jwk)
        .map_err(|_| corrupt(&row.kid, "the public JWK is not JSON"))?;
    let public = PublicKey::from_jwk(&jwk)
        .map_err(|error| corrupt(&row.kid, &format!("public JWK: {error}")))?;
    if public.alg() != alg || public.kid() != Some(row.kid.as_str()) {
        return Err(corrupt(
            &row.kid,
            "the public JWK names another kid or algorithm",
        ));
    }
    Ok(public)
}

/// Generates a key per algorithm on a blocking thread (RSA takes a while).
async fn generate(algs: &[Algorithm]) -> Result<Vec<(KeyPair, Vec<u8>)>, DomainError> {
    let algs = algs.to_vec();
    tokio::task::spawn_blocking(move || algs.into_iter().map(KeyPair::generate).collect())
        .await
        .map_err(|_| DomainError::Key("signing-key generation failed".to_owned()))?
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
    }

    fn key(kid: &str, alg: Algorithm, created: i64, activates: i64) -> KeyMeta {
        KeyMeta {
            kid: kid.to_owned(),
            alg,
            created_at: at(created),
            activates_at: at(activates),
            retired_at: None,
            expires_at: None,
        }
    }

    fn retired(mut meta: KeyMeta, retired: i64, expires: i64) -> KeyMeta {
        meta.retired_at = Some(at(retired));
        meta.expires_at = Some(at(expires));
        meta
    }

    fn kid<K: AsRef<KeyMeta>>(key: Option<&K>) -> Option<&str> {
        key.map(|key| key.as_ref().kid.as_str())
    }

    /// `old` signed from 0; a rotation at 1000 made `new` (lead 600, retain 3600).
    fn rotated() -> Vec<KeyMeta> {
        vec![
            retired(key("old", Algorithm::EdDsa, 0, 0), 1600, 5200),
            key("new", Algorithm::EdDsa, 1000, 1600),
            key("rsa", Algorithm::Rs256, 0, 0),
        ]
    }

    #[test]
    fn newest_activated_key_signs() {
        let keys = rotated();
        assert_eq!(
            kid(active_key(&keys, Algorithm::EdDsa, at(500))),
            Some("old")
        );
        // Published but not yet active: the old key still signs.
        assert_eq!(
            kid(active_key(&keys, Algorithm::EdDsa, at(1599))),
            Some("old")
        );
        assert_eq!(
            kid(active_key(&keys, Algorithm::EdDsa, at(1600))),
            Some("new")
        );
        assert_eq!(
            kid(active_key(&keys, Algorithm::EdDsa, at(9000))),
            Some("new")
        );
        assert_eq!(
            kid(active_key(&keys, Algorithm::Rs256, at(9000))),
            Some("rsa")
        );
        assert_eq!(kid(active_key(&keys, Algorithm::Es256, at(9000))), None);
        // Before anything activated.
        assert_eq!(kid(active_key(&keys, Algorithm::EdDsa, at(-1))), None);
    }

    #[test]
    fn expired_keys_never_sign_and_ties_are_deterministic() {
        let keys = vec![retired(key("gone", Algorithm::Es256, 0, 0), 10, 20)];
        assert_eq!(
            kid(active_key(&keys, Algorithm::Es256, at(19))),
            Some("gone")
        );
        assert_eq!(kid(active_key(&keys, Algorithm::Es256, at(20))), None);

        // Two first keys made by racing nodes: every node picks the same one.
        let keys = vec![
            key("b", Algorithm::EdDsa, 5, 5),
            key("a", Algorithm::EdDsa, 5, 5),
            key("c", Algorithm::EdDsa, 4, 5),
        ];
        assert_eq!(kid(active_key(&keys, Algorithm::EdDsa, at(6))), Some("b"));
        let reversed: Vec<KeyMeta> = keys.into_iter().rev().collect();
        assert_eq!(
            kid(active_key(&reversed, Algorithm::EdDsa, at(6))),
            Some("b")
        );
    }

    #[test]
    fn publication_window() {
        let keys = rotated();
        let published = |now: i64| -> Vec<&str> {
            keys.iter()
                .filter(|meta| meta.published(at(now)))
                .map(|meta| meta.kid.as_str())
                .collect()
        };
        assert_eq!(published(999), ["old", "rsa"]);
        // The next key is published from its creation, before it signs.
        assert_eq!(published(1000), ["old", "new", "rsa"]);
        assert_eq!(published(5199), ["old", "new", "rsa"]);
        // The retired key leaves JWKS when it expires.
        assert_eq!(published(5200), ["new", "rsa"]);
        // A key from the future (another node's clock ahead) is not published yet.
        assert!(!key("x", Algorithm::EdDsa, 10, 10).published(at(9)));
    }

    #[test]
    fn states() {
        let keys = rotated();
        let states = |now: i64| -> Vec<KeyState> {
            keys.iter()
                .map(|meta| state_of(&keys, meta, at(now)))
                .collect()
        };
        use KeyState::{Active, Next, Retired};
        assert_eq!(states(1000), [Active, Next, Active]);
        assert_eq!(states(1600), [Retired, Active, Active]);
        assert_eq!(states(6000), [Retired, Active, Active]);
        assert_eq!(KeyState::Next.as_str(), "next");
        assert_eq!(serde_json::to_value(KeyState::Retired).unwrap(), "retired");

        // The loser of a first-key race is retired in all but name until the next rotation.
        let raced = vec![
            key("a", Algorithm::EdDsa, 5, 5),
            key("b", Algorithm::EdDsa, 6, 6),
        ];
        let states: Vec<KeyState> = raced
            .iter()
            .map(|meta| state_of(&raced, meta, at(7)))
            .collect();
        assert_eq!(states, [Retired, Active]);
    }

    #[test]
    fn rotation_is_due_by_the_newest_key_of_each_algorithm() {
        let period = TimeDelta::seconds(100);
        let keys = rotated();
        // Newest EdDSA key made at 1000, RSA at 0; no ES256 key at all.
        assert_eq!(
            due_algorithms(&keys, at(100), period),
            Vec::<Algorithm>::new()
        );
        assert_eq!(due_algorithms(&keys, at(101), period), [Algorithm::Rs256]);
        assert_eq!(
            due_algorithms(&keys, at(1101), period),
            [Algorithm::EdDsa, Algorithm::Rs256]
        );
        assert!(due_algorithms::<KeyMeta>(&[], at(1_000_000), period).is_empty());
    }

    #[test]
    fn freshness() {
        let interval = TimeDelta::seconds(5);
        assert!(!is_fresh(None, at(0), interval));
        assert!(is_fresh(Some(at(0)), at(0), interval));
        assert!(is_fresh(Some(at(0)), at(4), interval));
        assert!(!is_fresh(Some(at(0)), at(5), interval));
        // A clock that went back makes the snapshot stale rather than fresh for long.
        assert!(!is_fresh(Some(at(10)), at(0), interval));
    }

    /// Every future can move between threads: no lock guard is held across an await.
    fn futures_are_send(keys: &SigningKeys) {
        fn send<T: Send>(_: T) {}
        send(keys.signer(Algorithm::EdDsa));
        send(keys.public_key("kid"));
        send(keys.jwks());
        send(keys.list());
        send(keys.rotate(&[Algorithm::EdDsa], Actor::System));
        send(keys.rotate_due());
        send(keys.prune());
    }

    #[test]
    fn signing_keys_are_shareable() {
        fn shared<T: Send + Sync>() {}
        shared::<SigningKeys>();
        shared::<KeyPair>();
        shared::<PublicKey>();
        let _ = futures_are_send as fn(&SigningKeys);
    }

    #[test]
    fn durations_saturate_and_overflow_is_an_error() {
        assert_eq!(delta(Duration::from_secs(5)), TimeDelta::seconds(5));
        assert_eq!(delta(Duration::MAX), TimeDelta::MAX);
        assert!(later(at(0), TimeDelta::MAX).is_err());
        assert_eq!(later(at(0), TimeDelta::seconds(1)).unwrap(), at(1));
    }
}
