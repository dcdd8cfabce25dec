//! The master key: 32 random bytes, written as base64url without padding, named by an id derived
//! from a hash of the key so stored wrappings can say which master key made them.

use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::{random_bytes, sealed};
use crate::DomainError;

/// A master key. `Debug` never shows the key.
#[derive(Clone)]
pub struct MasterKey {
    id: String,
    material: [u8; 32],
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("MasterKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl MasterKey {
    /// A new random key.
    pub fn generate() -> Result<Self, DomainError> {
        let mut material = [0_u8; 32];
        random_bytes(&mut material)?;
        Ok(Self::from_material(material))
    }

    /// Parses the base64url (no padding) form of 32 bytes.
    pub fn parse(encoded: &str) -> Result<Self, DomainError> {
        let bytes = URL_SAFE_NO_PAD.decode(encoded.trim()).map_err(|_| {
            DomainError::Invalid("a master key is base64url without padding".to_owned())
        })?;
        let material: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            DomainError::Invalid(format!(
                "a master key is 32 bytes, this one is {}",
                bytes.len()
            ))
        })?;
        Ok(Self::from_material(material))
    }

    fn from_material(material: [u8; 32]) -> Self {
        let mut input = b"gatehouse master key id\0".to_vec();
        input.extend_from_slice(&material);
        let digest = sealed::sha256(&input);
        let id = digest[..8]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Self { id, material }
    }

    /// The base64url (no padding) form, as `keys generate-master` prints it.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.material)
    }

    /// The key's public name (16 hex digits).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Seals a data key's material; `context` binds the wrapping to the key's id and purpose.
    pub(crate) fn wrap(&self, material: &[u8], context: &[u8]) -> Result<Vec<u8>, DomainError> {
        sealed::seal_raw(&self.material, material, context)
    }

    /// Opens what [`MasterKey::wrap`] sealed.
    pub(crate) fn unwrap_key(
        &self,
        wrapped: &[u8],
        context: &[u8],
    ) -> Result<Vec<u8>, DomainError> {
        sealed::open_raw(&self.material, wrapped, context)
    }
}

/// The configured master key and the previous ones still accepted for unwrapping.
#[derive(Debug, Clone)]
pub struct MasterKeys {
    /// Wraps new data keys; `keys rotate-master` re-wraps everything under it.
    pub current: MasterKey,
    /// Keys that may still have wrapped some data keys.
    pub previous: Vec<MasterKey>,
}

impl MasterKeys {
    /// Only one key.
    pub fn single(current: MasterKey) -> Self {
        Self {
            current,
            previous: Vec::new(),
        }
    }

    /// The key with this id, current or previous.
    pub fn find(&self, id: &str) -> Option<&MasterKey> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|key| key.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_round_trips_through_its_text_form() {
        let key = MasterKey::generate().unwrap();
        let text = key.encode();
        assert_eq!(text.len(), 43);
        assert!(
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        let parsed = MasterKey::parse(&text).unwrap();
        assert_eq!(parsed.id(), key.id());
        assert_ne!(MasterKey::generate().unwrap().id(), key.id());
    }

    #[test]
    fn malformed_keys_are_refused_with_a_reason() {
        let short = URL_SAFE_NO_PAD.encode([1_u8; 16]);
        assert!(
            MasterKey::parse(&short)
                .unwrap_err()
                .to_string()
                .contains("32 bytes")
        );
        assert!(MasterKey::parse("not base64!").is_err());
        assert!(!format!("{:?}", MasterKey::generate().unwrap()).contains("material"));
    }

    #[test]
    fn wrapping_is_bound_to_key_and_context() {
        let key = MasterKey::generate().unwrap();
        let wrapped = key.wrap(b"secret", b"ctx").unwrap();
        assert_eq!(key.unwrap_key(&wrapped, b"ctx").unwrap(), b"secret");
        assert!(key.unwrap_key(&wrapped, b"other").is_err());
        assert!(
            MasterKey::generate()
                .unwrap()
                .unwrap_key(&wrapped, b"ctx")
                .is_err()
        );
    }
}
