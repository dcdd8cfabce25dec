//! A data key: 32 random bytes that seal data or compute MACs for one purpose.

use std::fmt;

use aws_lc_rs::hmac;
use uuid::Uuid;

use super::sealed;
use crate::DomainError;

/// An unwrapped data key. `Debug` never shows the key.
pub struct DataKey {
    id: Uuid,
    purpose: String,
    material: [u8; 32],
}

impl fmt::Debug for DataKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("DataKey")
            .field("id", &self.id)
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

impl DataKey {
    pub(crate) fn new(id: Uuid, purpose: &str, material: [u8; 32]) -> Self {
        Self {
            id,
            purpose: purpose.to_owned(),
            material,
        }
    }

    pub(crate) fn from_bytes(id: Uuid, purpose: &str, bytes: Vec<u8>) -> Result<Self, DomainError> {
        let material: [u8; 32] = bytes
            .try_into()
            .map_err(|_| DomainError::Key(format!("data key {id} has the wrong length")))?;
        Ok(Self::new(id, purpose, material))
    }

    pub(crate) fn material(&self) -> &[u8; 32] {
        &self.material
    }

    /// The id sealed values name.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// What the key is for.
    pub fn purpose(&self) -> &str {
        &self.purpose
    }

    /// Seals `plaintext`, authenticating `context` (which must be given again to open it).
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, DomainError> {
        sealed::seal(self.id, &self.material, plaintext, context)
    }

    /// Opens a value this key sealed.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, DomainError> {
        sealed::open(self.id, &self.material, sealed, context)
    }

    /// HMAC-SHA-256 over the concatenation of `parts`.
    pub fn mac(&self, parts: &[&[u8]]) -> Vec<u8> {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.material);
        let mut context = hmac::Context::with_key(&key);
        for part in parts {
            context.update(part);
        }
        context.sign().as_ref().to_vec()
    }

    /// Checks an HMAC made by [`DataKey::mac`], in constant time.
    pub fn verify_mac(&self, parts: &[&[u8]], mac: &[u8]) -> bool {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.material);
        hmac::verify(&key, &parts.concat(), mac).is_ok()
    }
}
