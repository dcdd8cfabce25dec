//! AES-256-GCM sealing. A sealed value is `1 | key id (16 bytes) | nonce (12) | ciphertext+tag`,
//! so every ciphertext names the data key that opens it.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use uuid::Uuid;

use super::random_bytes;
use crate::DomainError;

const VERSION: u8 = 1;
const HEADER: usize = 1 + 16;

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// The id of the data key that sealed `sealed`, if it is a sealed value at all.
pub fn sealed_key_id(sealed: &[u8]) -> Option<Uuid> {
    match sealed {
        [VERSION, rest @ ..] if rest.len() >= 16 => Uuid::from_slice(&rest[..16]).ok(),
        _ => None,
    }
}

fn cipher(key: &[u8; 32]) -> Result<LessSafeKey, DomainError> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| DomainError::Key("invalid AES-256-GCM key".to_owned()))
}

/// Seals `plaintext` as `nonce | ciphertext+tag` under `key`, authenticating `context`.
pub(crate) fn seal_raw(
    key: &[u8; 32],
    plaintext: &[u8],
    context: &[u8],
) -> Result<Vec<u8>, DomainError> {
    let mut nonce = [0_u8; NONCE_LEN];
    random_bytes(&mut nonce)?;
    let mut in_out = plaintext.to_vec();
    cipher(key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(context),
            &mut in_out,
        )
        .map_err(|_| DomainError::Key("sealing failed".to_owned()))?;
    let mut sealed = nonce.to_vec();
    sealed.extend_from_slice(&in_out);
    Ok(sealed)
}

/// Opens what [`seal_raw`] sealed.
pub(crate) fn open_raw(
    key: &[u8; 32],
    sealed: &[u8],
    context: &[u8],
) -> Result<Vec<u8>, DomainError> {
    let unreadable = || DomainError::Key("ciphertext does not authenticate".to_owned());
    if sealed.len() < NONCE_LEN {
        return Err(unreadable());
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| unreadable())?;
    let mut in_out = ciphertext.to_vec();
    let plaintext = cipher(key)?
        .open_in_place(nonce, Aad::from(context), &mut in_out)
        .map_err(|_| unreadable())?;
    Ok(plaintext.to_vec())
}

/// Seals under a named key: the output starts with the version and `key_id`.
pub(crate) fn seal(
    key_id: Uuid,
    key: &[u8; 32],
    plaintext: &[u8],
    context: &[u8],
) -> Result<Vec<u8>, DomainError> {
    let mut sealed = vec![VERSION];
    sealed.extend_from_slice(key_id.as_bytes());
    sealed.extend_from_slice(&seal_raw(
        key,
        plaintext,
        &[key_id.as_bytes(), context].concat(),
    )?);
    Ok(sealed)
}

/// Opens what [`seal`] sealed, checking it names `key_id`.
pub(crate) fn open(
    key_id: Uuid,
    key: &[u8; 32],
    sealed: &[u8],
    context: &[u8],
) -> Result<Vec<u8>, DomainError> {
    if sealed_key_id(sealed) != Some(key_id) {
        return Err(DomainError::Key(format!(
            "ciphertext was not sealed by key {key_id}"
        )));
    }
    open_raw(
        key,
        &sealed[HEADER..],
        &[key_id.as_bytes(), context].concat(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_name_their_key_and_resist_tampering() {
        let key_id = Uuid::now_v7();
        let key = [5_u8; 32];
        let mut sealed = seal(key_id, &key, b"ip=192.0.2.1", b"row-1").unwrap();
        assert_eq!(sealed_key_id(&sealed), Some(key_id));
        assert_eq!(
            open(key_id, &key, &sealed, b"row-1").unwrap(),
            b"ip=192.0.2.1"
        );
        assert!(
            open(key_id, &key, &sealed, b"row-2").is_err(),
            "bound to its context"
        );
        assert!(
            open(Uuid::now_v7(), &key, &sealed, b"row-1").is_err(),
            "bound to its key id"
        );
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(
            open(key_id, &key, &sealed, b"row-1").is_err(),
            "tag checked"
        );
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let key_id = Uuid::now_v7();
        let a = seal(key_id, &[1; 32], b"same", b"").unwrap();
        let b = seal(key_id, &[1; 32], b"same", b"").unwrap();
        assert_ne!(a, b);
    }
}
