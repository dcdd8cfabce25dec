//! Signing keys (private, parsed once) and verification keys (from public JWKs).

use std::{fmt, io::Write};

use aws_lc_rs::{
    encoding::AsDer,
    rand::SystemRandom,
    rsa::KeySize,
    signature::{
        ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, ED25519, EcdsaKeyPair,
        Ed25519KeyPair, KeyPair as _, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256,
        RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents,
    },
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, write::EncoderStringWriter};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{Algorithm, JoseError, MAX_TOKEN_LEN, b64_decode, b64_encode, new_kid};
use crate::DomainError;

/// The smallest RSA modulus accepted, in bits.
const RSA_MIN_BITS: usize = 2048;
/// The largest RSA modulus accepted, in bits (the most aws-lc-rs verifies).
const RSA_MAX_BITS: usize = 8192;
/// The longest signature any supported key makes (RSA-8192).
const MAX_SIGNATURE_LEN: usize = RSA_MAX_BITS / 8;
/// What a token's buffer starts with; most tokens fit without growing it.
const INITIAL_TOKEN_CAPACITY: usize = 1024;

fn key_error(what: &str) -> DomainError {
    DomainError::Key(format!("signing key: {what}"))
}

enum Signer {
    Ed25519(Ed25519KeyPair),
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair),
}

/// A private signing key, parsed once and kept in memory. `Debug` shows only its kid and
/// algorithm.
pub struct KeyPair {
    alg: Algorithm,
    kid: String,
    signer: Signer,
    public: PublicKey,
    /// `{"alg":"…","kid":"…"`: the start of every header this key writes.
    header_prefix: Box<[u8]>,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("KeyPair")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// A signature in a buffer on the stack.
pub(super) struct SignatureBytes {
    bytes: [u8; MAX_SIGNATURE_LEN],
    len: usize,
}

impl AsRef<[u8]> for SignatureBytes {
    fn as_ref(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl SignatureBytes {
    fn copy(from: &[u8]) -> Result<Self, DomainError> {
        let mut bytes = [0_u8; MAX_SIGNATURE_LEN];
        bytes
            .get_mut(..from.len())
            .ok_or_else(|| key_error("signature too long"))?
            .copy_from_slice(from);
        Ok(Self {
            bytes,
            len: from.len(),
        })
    }
}

impl KeyPair {
    /// A new key of `alg` (Ed25519; P-256; RSA 2048) with a random kid ([`super::new_kid`]),
    /// and its private half as PKCS#8 DER for sealed storage. RSA generation takes a while:
    /// call it off the async executor's threads.
    pub fn generate(alg: Algorithm) -> Result<(Self, Vec<u8>), DomainError> {
        let rng = SystemRandom::new();
        let der = match alg {
            Algorithm::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng)
                .map_err(|_| key_error("Ed25519 generation failed"))?
                .as_ref()
                .to_vec(),
            Algorithm::Es256 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| key_error("P-256 generation failed"))?
                    .as_ref()
                    .to_vec()
            }
            Algorithm::Rs256 => RsaKeyPair::generate(KeySize::Rsa2048)
                .and_then(|key| key.as_der())
                .map_err(|_| key_error("RSA generation failed"))?
                .as_ref()
                .to_vec(),
        };
        let pair = Self::from_pkcs8(alg, new_kid()?, &der)?;
        Ok((pair, der))
    }

    /// Parses a private key (PKCS#8 DER) of `alg`, named `kid`.
    pub fn from_pkcs8(alg: Algorithm, kid: String, der: &[u8]) -> Result<Self, DomainError> {
        let (signer, material) = match alg {
            Algorithm::EdDsa => {
                let key = Ed25519KeyPair::from_pkcs8(der)
                    .map_err(|_| key_error("not an Ed25519 PKCS#8 key"))?;
                let x = key.public_key().as_ref().to_vec();
                (Signer::Ed25519(key), Material::Okp { x })
            }
            Algorithm::Es256 => {
                let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(|_| key_error("not a P-256 PKCS#8 key"))?;
                let point = key.public_key().as_ref();
                let (x, y) = match point {
                    [0x04, coordinates @ ..] if coordinates.len() == 64 => coordinates.split_at(32),
                    _ => return Err(key_error("unexpected P-256 public key encoding")),
                };
                let material = Material::Ec {
                    x: x.to_vec(),
                    y: y.to_vec(),
                };
                (Signer::Es256(key), material)
            }
            Algorithm::Rs256 => {
                let key =
                    RsaKeyPair::from_pkcs8(der).map_err(|_| key_error("not an RSA PKCS#8 key"))?;
                let public = key.public_key();
                let material = Material::Rsa {
                    n: public.modulus().big_endian_without_leading_zero().to_vec(),
                    e: public.exponent().big_endian_without_leading_zero().to_vec(),
                };
                (Signer::Rs256(key), material)
            }
        };
        let public = PublicKey::from_material(Some(kid.clone()), alg, material)
            .map_err(|error| DomainError::Key(format!("signing key: {error}")))?;
        let kid_json = serde_json::to_string(&kid)
            .map_err(|_| key_error("the kid cannot be written as JSON"))?;
        let header_prefix = format!(r#"{{"alg":"{}","kid":{kid_json}"#, alg.as_str())
            .into_bytes()
            .into_boxed_slice();
        Ok(Self {
            alg,
            kid,
            signer,
            public,
            header_prefix,
        })
    }

    /// The key id, written into every header this key signs.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The one algorithm this key signs with.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The verifying half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The public JWK as published in JWKS: `kty`, the public members, `kid`, `alg`,
    /// `use: "sig"`.
    pub fn public_jwk(&self) -> Value {
        self.public.jwk()
    }

    /// Signs `claims` (which must serialize to a JSON object) as a compact JWS with the header
    /// `{"alg","kid","typ"}`. The header and payload are encoded straight into the token's
    /// buffer: one allocation for a token of up to 1 KiB. A token longer than
    /// [`MAX_TOKEN_LEN`], which [`super::verify`] would refuse, is an error.
    pub fn sign<T: Serialize + ?Sized>(
        &self,
        typ: &str,
        claims: &T,
    ) -> Result<String, DomainError> {
        let mut token = String::with_capacity(INITIAL_TOKEN_CAPACITY);
        self.write_header(&mut token, typ)
            .map_err(|_| key_error("the header cannot be written"))?;
        token.push('.');
        let mut payload = EncoderStringWriter::from_consumer(&mut token, &URL_SAFE_NO_PAD);
        serde_json::to_writer(&mut payload, claims)
            .map_err(|error| DomainError::Invalid(format!("token claims: {error}")))?;
        payload.into_inner();
        let signature = self.signature(token.as_bytes())?;
        token.push('.');
        base64::Engine::encode_string(&URL_SAFE_NO_PAD, signature.as_ref(), &mut token);
        if token.len() > MAX_TOKEN_LEN {
            return Err(DomainError::Invalid(format!(
                "the token would be longer than {MAX_TOKEN_LEN} bytes, more than verifiers accept"
            )));
        }
        Ok(token)
    }

    /// Appends `base64url({"alg":…,"kid":…,"typ":…})` to `token`.
    fn write_header(&self, token: &mut String, typ: &str) -> std::io::Result<()> {
        let mut header = EncoderStringWriter::from_consumer(token, &URL_SAFE_NO_PAD);
        header.write_all(&self.header_prefix)?;
        header.write_all(br#","typ":"#)?;
        serde_json::to_writer(&mut header, typ)?;
        header.write_all(b"}")?;
        header.into_inner();
        Ok(())
    }

    /// The raw signature of `input`.
    pub(super) fn signature(&self, input: &[u8]) -> Result<SignatureBytes, DomainError> {
        match &self.signer {
            Signer::Ed25519(key) => SignatureBytes::copy(key.sign(input).as_ref()),
            Signer::Es256(key) => {
                let signature = key
                    .sign(&SystemRandom::new(), input)
                    .map_err(|_| key_error("ECDSA signing failed"))?;
                SignatureBytes::copy(signature.as_ref())
            }
            Signer::Rs256(key) => {
                let len = key.public_modulus_len();
                let mut signature = SignatureBytes {
                    bytes: [0_u8; MAX_SIGNATURE_LEN],
                    len,
                };
                let buffer = signature
                    .bytes
                    .get_mut(..len)
                    .ok_or_else(|| key_error("RSA modulus too long"))?;
                key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), input, buffer)
                    .map_err(|_| key_error("RSA signing failed"))?;
                Ok(signature)
            }
        }
    }
}

/// The public numbers of a key, as its JWK carries them (big-endian, no leading zeros for RSA).
#[derive(Clone, PartialEq, Eq)]
enum Material {
    Okp { x: Vec<u8> },
    Ec { x: Vec<u8>, y: Vec<u8> },
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

/// A verification key with its one algorithm, parsed once. Built from a public JWK; private
/// JWK members (`d`, `p`, `q`…) are ignored and never used.
#[derive(Clone)]
pub struct PublicKey {
    kid: Option<String>,
    alg: Algorithm,
    material: Material,
    parsed: ParsedPublicKey,
    signature_len: usize,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("PublicKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.kid == other.kid && self.alg == other.alg && self.material == other.material
    }
}

impl Eq for PublicKey {}

fn string_member<'a>(
    jwk: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, JoseError> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(JoseError::InvalidKey("a JWK member is not a string")),
    }
}

fn bytes_member(
    jwk: &Map<String, Value>,
    name: &'static str,
    missing: &'static str,
) -> Result<Vec<u8>, JoseError> {
    let text = string_member(jwk, name)?.ok_or(JoseError::InvalidKey(missing))?;
    b64_decode(text).ok_or(JoseError::InvalidKey("a JWK member is not base64url"))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|byte| *byte != 0)
        .unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

fn bit_length(big_endian: &[u8]) -> usize {
    match big_endian.first() {
        None => 0,
        Some(first) => big_endian.len() * 8 - first.leading_zeros() as usize,
    }
}

impl PublicKey {
    /// Parses a public JWK (one member of a JWK Set): OKP Ed25519, EC P-256, or RSA of 2048 to
    /// 8192 bits. A JWK without `alg` gets the algorithm its key type implies; one whose `alg`
    /// contradicts its key type, or whose `use` is not `sig`, or whose `key_ops` lacks
    /// `verify`, is refused.
    pub fn from_jwk(jwk: &Value) -> Result<Self, JoseError> {
        let jwk = jwk
            .as_object()
            .ok_or(JoseError::InvalidKey("a JWK must be a JSON object"))?;
        let kid = string_member(jwk, "kid")?.map(str::to_owned);
        if string_member(jwk, "use")?.is_some_and(|usage| usage != "sig") {
            return Err(JoseError::InvalidKey("the JWK is not for signatures"));
        }
        if let Some(ops) = jwk.get("key_ops") {
            let verifies = ops
                .as_array()
                .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("verify")));
            if !verifies {
                return Err(JoseError::InvalidKey("the JWK's key_ops exclude verify"));
            }
        }
        let kty = string_member(jwk, "kty")?.ok_or(JoseError::InvalidKey("kty missing"))?;
        let crv = string_member(jwk, "crv")?;
        let (implied, material) = match kty {
            "OKP" => {
                if crv != Some("Ed25519") {
                    return Err(JoseError::InvalidKey(
                        "only the Ed25519 OKP curve is supported",
                    ));
                }
                let x = bytes_member(jwk, "x", "x missing")?;
                (Algorithm::EdDsa, Material::Okp { x })
            }
            "EC" => {
                if crv != Some("P-256") {
                    return Err(JoseError::InvalidKey(
                        "only the P-256 EC curve is supported",
                    ));
                }
                let x = bytes_member(jwk, "x", "x missing")?;
                let y = bytes_member(jwk, "y", "y missing")?;
                (Algorithm::Es256, Material::Ec { x, y })
            }
            "RSA" => {
                let n = bytes_member(jwk, "n", "n missing")?;
                let e = bytes_member(jwk, "e", "e missing")?;
                let material = Material::Rsa {
                    n: strip_leading_zeros(&n).to_vec(),
                    e: strip_leading_zeros(&e).to_vec(),
                };
                (Algorithm::Rs256, material)
            }
            _ => return Err(JoseError::InvalidKey("unsupported key type")),
        };
        if let Some(alg) = string_member(jwk, "alg")? {
            match Algorithm::parse(alg) {
                Some(alg) if alg == implied => {}
                Some(_) => return Err(JoseError::InvalidKey("alg contradicts the key type")),
                None => return Err(JoseError::InvalidKey("unsupported alg")),
            }
        }
        Self::from_material(kid, implied, material)
    }

    fn from_material(
        kid: Option<String>,
        alg: Algorithm,
        material: Material,
    ) -> Result<Self, JoseError> {
        let (parsed, signature_len) = match &material {
            Material::Okp { x } => {
                if x.len() != 32 {
                    return Err(JoseError::InvalidKey("an Ed25519 key has 32 bytes"));
                }
                let parsed = ParsedPublicKey::new(&ED25519, x)
                    .map_err(|_| JoseError::InvalidKey("not an Ed25519 public key"))?;
                (parsed, 64)
            }
            Material::Ec { x, y } => {
                if x.len() != 32 || y.len() != 32 {
                    return Err(JoseError::InvalidKey("P-256 coordinates have 32 bytes"));
                }
                let point = [[0x04].as_slice(), x, y].concat();
                let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                    .map_err(|_| JoseError::InvalidKey("not a point on P-256"))?;
                (parsed, 64)
            }
            Material::Rsa { n, e } => {
                let bits = bit_length(n);
                if bits < RSA_MIN_BITS {
                    return Err(JoseError::InvalidKey("RSA keys need at least 2048 bits"));
                }
                if bits > RSA_MAX_BITS {
                    return Err(JoseError::InvalidKey("RSA keys have at most 8192 bits"));
                }
                // e must be an odd number from 3 up to 2^64 - 1.
                let odd = e.last().is_some_and(|last| last & 1 == 1);
                if e.is_empty() || e.len() > 8 || !odd || e.as_slice() == [1] {
                    return Err(JoseError::InvalidKey("unacceptable RSA public exponent"));
                }
                let parsed = RsaPublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                }
                .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
                .map_err(|_| JoseError::InvalidKey("not an RSA public key"))?;
                (parsed, n.len())
            }
        };
        Ok(Self {
            kid,
            alg,
            material,
            parsed,
            signature_len,
        })
    }

    /// The key id, when the JWK has one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The one algorithm this key verifies.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// Whether `other` has the same public numbers and algorithm (kids aside).
    pub fn same_key(&self, other: &Self) -> bool {
        self.alg == other.alg && self.material == other.material
    }

    /// The public JWK: `kty`, `crv` where it applies, the public members, `kid` (when known),
    /// `alg` and `use: "sig"`. Never carries private members.
    pub fn jwk(&self) -> Value {
        let mut jwk = Map::new();
        let mut put = |name: &str, value: String| {
            jwk.insert(name.to_owned(), Value::String(value));
        };
        match &self.material {
            Material::Okp { x } => {
                put("kty", "OKP".to_owned());
                put("crv", "Ed25519".to_owned());
                put("x", b64_encode(x));
            }
            Material::Ec { x, y } => {
                put("kty", "EC".to_owned());
                put("crv", "P-256".to_owned());
                put("x", b64_encode(x));
                put("y", b64_encode(y));
            }
            Material::Rsa { n, e } => {
                put("kty", "RSA".to_owned());
                put("n", b64_encode(n));
                put("e", b64_encode(e));
            }
        }
        if let Some(kid) = &self.kid {
            put("kid", kid.clone());
        }
        put("alg", self.alg.as_str().to_owned());
        put("use", "sig".to_owned());
        Value::Object(jwk)
    }

    /// Verifies a raw signature over `message` with this key's algorithm.
    pub fn verify_signature(&self, message: &[u8], signature: &[u8]) -> Result<(), JoseError> {
        if signature.len() != self.signature_len {
            return Err(JoseError::BadSignature);
        }
        self.parsed
            .verify_sig(message, signature)
            .map_err(|_| JoseError::BadSignature)
    }
}

/// Parses a JWK Set (`{"keys":[…]}`, such as a client's registered JWKS). Every member must be
/// an acceptable public signing key ([`PublicKey::from_jwk`]) and kids must be unique.
pub fn parse_jwk_set(jwks: &Value) -> Result<Vec<PublicKey>, JoseError> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(JoseError::InvalidKey("a JWK Set needs a keys array"))?;
    let mut parsed: Vec<PublicKey> = Vec::with_capacity(keys.len());
    for jwk in keys {
        let key = PublicKey::from_jwk(jwk)?;
        if key.kid.is_some() && parsed.iter().any(|other| other.kid == key.kid) {
            return Err(JoseError::InvalidKey("two keys share a kid"));
        }
        parsed.push(key);
    }
    Ok(parsed)
}
