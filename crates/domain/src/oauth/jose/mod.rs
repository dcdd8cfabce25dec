//! A small, strict JSON Web Signature implementation (compact serialization, RFC 7515) on
//! aws-lc-rs, for Gatehouse's access and ID tokens and for clients' `private_key_jwt`
//! assertions.
//!
//! What it accepts, following RFC 8725 (JWT best current practices):
//! - three algorithms only, [`Algorithm::EdDsa`] (Ed25519), [`Algorithm::Es256`] (P-256, fixed
//!   64-byte signatures) and [`Algorithm::Rs256`] (RSA ≥ 2048 bits, PKCS#1 v1.5 with SHA-256);
//!   `none`, HMAC and everything else is refused;
//! - one algorithm per key: the header's `alg` must be the key's algorithm;
//! - keys come from the caller (found by `kid` in a key set the caller trusts), never from the
//!   token: the `jku`, `x5u`, `jwk` and `x5c` headers are never read;
//! - a header with `crit` is refused (no extension is understood);
//! - base64url without padding and with canonical trailing bits, headers and claims that are
//!   JSON objects without duplicate members, tokens of at most [`MAX_TOKEN_LEN`] bytes;
//! - `typ` compared as RFC 8725 §3.11 says, so an ID token never passes as an access token.
//!
//! Key ids ([`new_kid`]) are the base64url form of 16 random bytes: they say nothing about
//! the key and cannot collide in practice.

mod claims;
mod jws;
mod keys;
#[cfg(test)]
mod tests;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

pub use claims::Validation;
pub use jws::{Header, Unverified, decode, typ_matches, verify};
pub use keys::{KeyPair, PublicKey, parse_jwk_set};

use crate::{DomainError, secrets::random_bytes};

/// The longest token accepted, in bytes.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A JWS signature algorithm Gatehouse signs and verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// EdDSA with Ed25519 (RFC 8037); the default.
    EdDsa,
    /// ECDSA with P-256 and SHA-256, 64-byte `r || s` signatures.
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, keys of 2048 bits or more.
    Rs256,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Self; 3] = [Self::EdDsa, Self::Es256, Self::Rs256];

    /// The JWA name (`EdDSA`, `ES256`, `RS256`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EdDsa => "EdDSA",
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
        }
    }

    /// The algorithm with this exact JWA name; `None` for `none` and anything unsupported.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "EdDSA" => Some(Self::EdDsa),
            "ES256" => Some(Self::Es256),
            "RS256" => Some(Self::Rs256),
            _ => None,
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Compares with a JWA name, exactly (`"EdDSA" == Algorithm::EdDsa`).
impl PartialEq<Algorithm> for str {
    fn eq(&self, other: &Algorithm) -> bool {
        self == other.as_str()
    }
}

/// Compares with a JWA name, exactly.
impl PartialEq<Algorithm> for &str {
    fn eq(&self, other: &Algorithm) -> bool {
        *self == other.as_str()
    }
}

impl serde::Serialize for Algorithm {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Why a token or a key was refused. Messages never quote the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    /// Longer than [`MAX_TOKEN_LEN`].
    #[error("token too large")]
    TooLarge,
    /// Not a well-formed compact JWS/JWT; the reason names the part.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// `alg` is `none`, HMAC or otherwise not one of the supported algorithms.
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// The header has `crit`: it names extensions this implementation does not understand.
    #[error("critical header extension not supported")]
    CriticalHeader,
    /// No key was found for the token.
    #[error("unknown key")]
    UnknownKey,
    /// The header's `alg` is not the algorithm of the key found.
    #[error("algorithm does not match the key")]
    AlgorithmMismatch,
    /// The signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// The `typ` header is not the expected one.
    #[error("wrong token type")]
    WrongType,
    /// A JWK is unusable; the reason says why.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// `exp` has passed.
    #[error("token expired")]
    Expired,
    /// `nbf` is still in the future.
    #[error("token not yet valid")]
    NotYetValid,
    /// `iss` is not the expected issuer.
    #[error("wrong issuer")]
    WrongIssuer,
    /// `aud` does not contain the expected audience.
    #[error("wrong audience")]
    WrongAudience,
    /// A required claim is missing.
    #[error("missing claim: {0}")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type.
    #[error("invalid claim: {0}")]
    InvalidClaim(&'static str),
}

impl JoseError {
    /// A stable, neutral error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge => "too_large",
            Self::Malformed(_) => "malformed",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::CriticalHeader => "critical_header",
            Self::UnknownKey => "unknown_key",
            Self::AlgorithmMismatch => "algorithm_mismatch",
            Self::BadSignature => "bad_signature",
            Self::WrongType => "wrong_type",
            Self::InvalidKey(_) => "invalid_key",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::MissingClaim(_) => "missing_claim",
            Self::InvalidClaim(_) => "invalid_claim",
        }
    }
}

/// A new key id: the base64url form (no padding) of 16 bytes from the OS CSPRNG.
pub fn new_kid() -> Result<String, DomainError> {
    let mut bytes = [0_u8; 16];
    random_bytes(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Decodes strict base64url: no padding, only the URL-safe alphabet, canonical trailing bits.
fn b64_decode(part: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(part).ok()
}

/// Encodes base64url without padding.
fn b64_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}
