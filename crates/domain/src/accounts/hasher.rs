//! argon2id hashing on a bounded pool (ARCHITECTURE.md §5): at most `concurrency` hashes run at
//! once on blocking threads; a request that cannot get a slot within `queue_timeout` is told the
//! server is busy, so a burst can neither exhaust memory nor starve other requests. Unknown users
//! are checked against a dummy hash so timing does not reveal who has an account.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier, Version,
};
use tokio::sync::Semaphore;

use super::Password;
use crate::{DomainError, secrets::random_bytes};

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingCost {
    /// Memory in KiB (OWASP: 19,456 = 19 MiB).
    pub memory_kib: u32,
    /// Passes (OWASP: 2).
    pub iterations: u32,
    /// Lanes (OWASP: 1).
    pub parallelism: u32,
}

impl Default for HashingCost {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// The result of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// It matches; `needs_rehash` when the stored hash used other parameters.
    Match {
        /// The stored hash should be replaced by one with the current parameters.
        needs_rehash: bool,
    },
    /// It does not match (or there was no hash to check).
    Mismatch,
}

/// Hashes and checks passwords.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
    slots: Arc<Semaphore>,
    queue_timeout: Duration,
    dummy_hash: Arc<str>,
    verifications: Arc<AtomicU64>,
}

/// How long to tell a client to wait when every slot is busy.
pub const BUSY_RETRY_AFTER_SECS: u32 = 1;

fn internal(error: impl std::fmt::Display) -> DomainError {
    DomainError::Key(format!("password hashing failed: {error}"))
}

impl PasswordHasher {
    /// A hasher with `cost`, running at most `concurrency` hashes at once.
    pub fn new(
        cost: HashingCost,
        concurrency: usize,
        queue_timeout: Duration,
    ) -> Result<Self, DomainError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| DomainError::Invalid(format!("password hashing parameters: {e}")))?;
        let dummy_hash =
            hash_blocking(&params, "gatehouse dummy password for unknown users")?.into();
        let slots = Arc::new(Semaphore::new(concurrency.max(1)));
        Ok(Self {
            params,
            slots,
            queue_timeout,
            dummy_hash,
            verifications: Arc::new(AtomicU64::new(0)),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(Params) -> T + Send + 'static,
    ) -> Result<T, DomainError> {
        let permit = tokio::time::timeout(self.queue_timeout, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| DomainError::Busy)?
            .map_err(internal)?;
        let params = self.params.clone();
        let result = tokio::task::spawn_blocking(move || work(params))
            .await
            .map_err(internal);
        drop(permit);
        result
    }

    /// Hashes a new password (a PHC string with a random salt and the current parameters).
    pub async fn hash(&self, password: &Password) -> Result<String, DomainError> {
        let password = password.expose().to_owned();
        self.run(move |params| hash_blocking(&params, &password))
            .await?
    }

    /// How many passwords were checked so far (known and unknown users alike), for metrics and
    /// for tests that the dummy hash runs.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Checks `password` against `stored`; with no stored hash, checks against the dummy hash
    /// (same work, always a mismatch).
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<Verification, DomainError> {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let known = stored.is_some();
        let hash = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.expose().to_owned();
        let current = self.params.clone();
        self.run(move |_| {
            let parsed = PasswordHash::new(&hash).map_err(internal)?;
            let matches = argon2_for(&current)
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            let needs_rehash = Params::try_from(&parsed).map_or(true, |used| {
                (used.m_cost(), used.t_cost(), used.p_cost())
                    != (current.m_cost(), current.t_cost(), current.p_cost())
            });
            Ok(if matches && known {
                Verification::Match { needs_rehash }
            } else {
                Verification::Mismatch
            })
        })
        .await?
    }
}

fn argon2_for(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_blocking(params: &Params, password: &str) -> Result<String, DomainError> {
    let mut salt = [0_u8; 16];
    random_bytes(&mut salt)?;
    argon2_for(params)
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> HashingCost {
        HashingCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[tokio::test]
    async fn hashes_verify_and_name_their_parameters() {
        let hasher = PasswordHasher::new(cheap(), 2, Duration::from_secs(5)).unwrap();
        let password = Password::new("correct horse battery staple");
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
        assert_ne!(hash, hasher.hash(&password).await.unwrap(), "salted");
        assert_eq!(
            hasher.verify(&password, Some(&hash)).await.unwrap(),
            Verification::Match {
                needs_rehash: false
            }
        );
        let wrong = Password::new("correct horse battery stable");
        assert_eq!(
            hasher.verify(&wrong, Some(&hash)).await.unwrap(),
            Verification::Mismatch
        );
        assert_eq!(
            hasher.verify(&password, None).await.unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn a_hash_with_other_parameters_asks_for_a_rehash() {
        let old = PasswordHasher::new(cheap(), 1, Duration::from_secs(5)).unwrap();
        let password = Password::new("correct horse battery staple");
        let hash = old.hash(&password).await.unwrap();
        let stronger = HashingCost {
            memory_kib: 128,
            ..cheap()
        };
        let new = PasswordHasher::new(stronger, 1, Duration::from_secs(5)).unwrap();
        assert_eq!(
            new.verify(&password, Some(&hash)).await.unwrap(),
            Verification::Match { needs_rehash: true }
        );
    }

    #[test]
    fn the_default_cost_is_owasps() {
        let cost = HashingCost::default();
        assert_eq!(
            (cost.memory_kib, cost.iterations, cost.parallelism),
            (19_456, 2, 1)
        );
    }

    #[tokio::test]
    async fn a_full_pool_answers_busy_instead_of_queueing_forever() {
        let slow = HashingCost {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        };
        let hasher = PasswordHasher::new(slow, 1, Duration::from_millis(1)).unwrap();
        let password = Password::new("correct horse battery staple");
        let results = futures_join(&hasher, &password).await;
        assert!(
            results
                .iter()
                .any(|result| matches!(result, Err(DomainError::Busy)))
        );
        assert!(results.iter().any(Result::is_ok));
    }

    async fn futures_join(
        hasher: &PasswordHasher,
        password: &Password,
    ) -> Vec<Result<String, DomainError>> {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let hasher = hasher.clone();
                let password = password.clone();
                tokio::spawn(async move { hasher.hash(&password).await })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        results
    }
}
