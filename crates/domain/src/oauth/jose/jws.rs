//! Decoding and verifying compact JWS tokens.

use std::{borrow::Borrow, fmt};

use serde::{
    Deserialize, Deserializer,
    de::{Error as _, MapAccess, Visitor},
};
use serde_json::{Map, Value};

use super::{Algorithm, JoseError, MAX_TOKEN_LEN, PublicKey, b64_decode};

/// The protected header members Gatehouse reads. Every other member (`jku`, `x5u`, `jwk`,
/// `x5c`, …) is ignored: keys never come from the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The signature algorithm (only supported ones get this far).
    pub alg: Algorithm,
    /// The key id, when given.
    pub kid: Option<String>,
    /// The media type (`JWT`, `at+jwt`…), when given, as written.
    pub typ: Option<String>,
}

/// A decoded token whose signature is not checked yet. Nothing in it may be trusted before
/// [`Unverified::verify`] succeeds.
#[derive(Debug, Clone)]
pub struct Unverified<'a> {
    /// The protected header.
    pub header: Header,
    /// The claims (the payload, a JSON object without duplicate members).
    pub claims: Map<String, Value>,
    /// `base64url(header) "." base64url(payload)`, what the signature covers.
    pub signing_input: &'a str,
    /// The raw signature.
    pub signature: Vec<u8>,
}

/// A JSON object that refuses duplicate member names (RFC 7515 §5.2 allows refusing them; a
/// parser that kept the first where another keeps the last would be a way in).
struct UniqueObject(Map<String, Value>);

impl<'de> Deserialize<'de> for UniqueObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = UniqueObject;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<UniqueObject, A::Error> {
                let mut object = Map::new();
                while let Some(name) = access.next_key::<String>()? {
                    if object.contains_key(&name) {
                        return Err(A::Error::custom("duplicate member"));
                    }
                    let value: Value = access.next_value()?;
                    object.insert(name, value);
                }
                Ok(UniqueObject(object))
            }
        }

        deserializer.deserialize_map(ObjectVisitor)
    }
}

fn object(
    part: &str,
    not_base64: &'static str,
    not_object: &'static str,
) -> Result<Map<String, Value>, JoseError> {
    let bytes = b64_decode(part).ok_or(JoseError::Malformed(not_base64))?;
    serde_json::from_slice::<UniqueObject>(&bytes)
        .map(|object| object.0)
        .map_err(|_| JoseError::Malformed(not_object))
}

fn optional_string(header: &Map<String, Value>, name: &str) -> Result<Option<String>, JoseError> {
    match header.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(JoseError::Malformed("a header member is not a string")),
    }
}

fn parse_header(part: &str) -> Result<Header, JoseError> {
    let header = object(
        part,
        "header is not base64url",
        "header is not a JSON object",
    )?;
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => Algorithm::parse(alg).ok_or(JoseError::UnsupportedAlgorithm)?,
        Some(_) => return Err(JoseError::UnsupportedAlgorithm),
        None => return Err(JoseError::Malformed("alg missing")),
    };
    if header.contains_key("crit") {
        return Err(JoseError::CriticalHeader);
    }
    Ok(Header {
        alg,
        kid: optional_string(&header, "kid")?,
        typ: optional_string(&header, "typ")?,
    })
}

/// Splits and decodes a compact JWS whose payload is a JSON object (a JWT), checking its form
/// but not its signature: exactly three base64url parts, a supported `alg`, no `crit`.
pub fn decode(token: &str) -> Result<Unverified<'_>, JoseError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JoseError::TooLarge);
    }
    let (header_part, rest) = token
        .split_once('.')
        .ok_or(JoseError::Malformed("not three parts"))?;
    let (payload_part, signature_part) = rest
        .split_once('.')
        .ok_or(JoseError::Malformed("not three parts"))?;
    if signature_part.contains('.') {
        return Err(JoseError::Malformed("not three parts"));
    }
    let signing_input = token
        .get(..header_part.len() + 1 + payload_part.len())
        .ok_or(JoseError::Malformed("not three parts"))?;
    let header = parse_header(header_part)?;
    let claims = object(
        payload_part,
        "payload is not base64url",
        "claims are not a JSON object",
    )?;
    let signature =
        b64_decode(signature_part).ok_or(JoseError::Malformed("signature is not base64url"))?;
    Ok(Unverified {
        header,
        claims,
        signing_input,
        signature,
    })
}

/// Strips an `application/` prefix (any case), as RFC 7515 §4.1.9 lets a `typ` omit it.
fn media_subtype(typ: &str) -> &str {
    const PREFIX: &str = "application/";
    match typ.get(..PREFIX.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(PREFIX) => {
            typ.get(PREFIX.len()..).unwrap_or(typ)
        }
        _ => typ,
    }
}

/// Whether a token's `typ` (`None` when absent) is `expected` (RFC 8725 §3.11): compared
/// ASCII-case-insensitively, with or without the `application/` prefix. An absent `typ` passes
/// only when `JWT` is expected (a plain JWT, such as an ID token, need not say so); `at+jwt`
/// never passes for `JWT` and the other way round.
pub fn typ_matches(typ: Option<&str>, expected: &str) -> bool {
    let expected = media_subtype(expected);
    match typ {
        Some(typ) => media_subtype(typ).eq_ignore_ascii_case(expected),
        None => expected.eq_ignore_ascii_case("JWT"),
    }
}

impl Unverified<'_> {
    /// Verifies the token with `key`: the header's `alg` must be the key's algorithm, `typ`
    /// must match `expected_typ` when one is given ([`typ_matches`]), and the signature must
    /// verify. Returns the claims, which the caller then validates ([`super::Validation`]).
    pub fn verify(
        self,
        key: &PublicKey,
        expected_typ: Option<&str>,
    ) -> Result<Map<String, Value>, JoseError> {
        if self.header.alg != key.alg() {
            return Err(JoseError::AlgorithmMismatch);
        }
        if let Some(expected) = expected_typ
            && !typ_matches(self.header.typ.as_deref(), expected)
        {
            return Err(JoseError::WrongType);
        }
        key.verify_signature(self.signing_input.as_bytes(), &self.signature)?;
        Ok(self.claims)
    }
}

/// Decodes and verifies `token`, asking `find_key` for the key (normally by `header.kid` in a
/// key set the caller trusts; never from the token itself). See [`decode`] and
/// [`Unverified::verify`] for the rules. Returns the claims, not yet validated.
pub fn verify<K, F>(
    token: &str,
    find_key: F,
    expected_typ: Option<&str>,
) -> Result<Map<String, Value>, JoseError>
where
    F: FnOnce(&Header) -> Option<K>,
    K: Borrow<PublicKey>,
{
    let unverified = decode(token)?;
    let key = find_key(&unverified.header).ok_or(JoseError::UnknownKey)?;
    unverified.verify(key.borrow(), expected_typ)
}
