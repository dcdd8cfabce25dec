//! Secrets at rest: envelope encryption. The master key (configuration or key file) wraps random
//! data keys stored in the database; data keys seal data and compute MACs. Rotating the master
//! key re-wraps the data keys and never touches the data.

mod data_key;
mod keyring;
mod master_key;
mod sealed;
mod subject;

pub use data_key::DataKey;
pub use keyring::{Keyring, RotationReport};
pub use master_key::{MasterKey, MasterKeys};
pub use sealed::{sealed_key_id, sha256};
pub use subject::{destroy_subject_key, subject_key_for_reading, subject_key_for_writing};

/// Data-key purposes. At most one key is active per purpose.
pub mod purpose {
    /// The HMAC key that chains the audit log.
    pub const AUDIT_CHAIN: &str = "audit-chain";
    /// Wraps the per-subject keys.
    pub const SUBJECT_KEK: &str = "subject-kek";
    /// Seals personal data in audit records that belong to nobody in particular.
    pub const AUDIT_ANONYMOUS: &str = "audit-anonymous";
    /// Seals outgoing mail in the job queue (it carries one-time links and codes).
    pub const MAIL: &str = "mail";
    /// The HMAC key for short codes and CSRF tokens.
    pub const TOKENS: &str = "tokens";
    /// Seals TOTP seeds and sign-in challenge state; keys recovery-code digests.
    pub const MFA: &str = "mfa";
    /// The HMAC key for OAuth client-secret digests.
    pub const CLIENT_SECRETS: &str = "client-secrets";
    /// Seals the private halves of token-signing keys.
    pub const SIGNING_KEYS: &str = "signing-keys";
    /// Every purpose Gatehouse uses, created at start-up.
    pub const ALL: &[&str] = &[
        AUDIT_CHAIN,
        SUBJECT_KEK,
        AUDIT_ANONYMOUS,
        MAIL,
        TOKENS,
        MFA,
        CLIENT_SECRETS,
        SIGNING_KEYS,
    ];
}

/// Fills `buffer` from the operating system's CSPRNG.
pub fn random_bytes(buffer: &mut [u8]) -> Result<(), crate::DomainError> {
    aws_lc_rs::rand::fill(buffer)
        .map_err(|_| crate::DomainError::Key("the system random source failed".to_owned()))
}
