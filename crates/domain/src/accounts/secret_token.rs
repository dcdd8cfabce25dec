//! Random secrets for links, cookies and short codes (SECURITY.md "One-time secrets": OS CSPRNG,
//! at least 128 bits; short codes only with an attempt cap and a short life).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::{
    DomainError,
    secrets::{random_bytes, sha256},
};

/// A new 256-bit token (base64url, 43 characters) and the digest to store.
pub fn new_link_token() -> Result<(String, Vec<u8>), DomainError> {
    let mut bytes = [0_u8; 32];
    random_bytes(&mut bytes)?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let digest = digest(&token);
    Ok((token, digest))
}

/// The digest a token is stored and looked up by.
pub fn digest(token: &str) -> Vec<u8> {
    sha256(token.as_bytes())
}

/// A uniformly random six-digit code.
pub fn new_code() -> Result<String, DomainError> {
    loop {
        let mut bytes = [0_u8; 4];
        random_bytes(&mut bytes)?;
        let value = u32::from_be_bytes(bytes);
        // Rejection sampling: values in the last partial block of a million would bias the digits.
        if value < u32::MAX - (u32::MAX % 1_000_000) {
            return Ok(format!("{:06}", value % 1_000_000));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_url_safe_and_distinct() {
        let (first, digest_first) = new_link_token().unwrap();
        let (second, _) = new_link_token().unwrap();
        assert_eq!(first.len(), 43);
        assert!(
            first
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(first, second);
        assert_eq!(digest(&first), digest_first);
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..200 {
            let code = new_code().unwrap();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
