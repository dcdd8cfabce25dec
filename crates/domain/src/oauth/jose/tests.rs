use std::sync::LazyLock;

use aws_lc_rs::signature::Ed25519KeyPair;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;

const ISSUER: &str = "https://id.example.com";

static KEYS: LazyLock<Vec<(KeyPair, Vec<u8>)>> = LazyLock::new(|| {
    Algorithm::ALL
        .iter()
        .map(|alg| KeyPair::generate(*alg).unwrap())
        .collect()
});

/// Keys of an attacker: valid keys, but not the ones the verifier trusts.
static OTHER_KEYS: LazyLock<Vec<KeyPair>> = LazyLock::new(|| {
    Algorithm::ALL
        .iter()
        .map(|alg| KeyPair::generate(*alg).unwrap().0)
        .collect()
});

fn pair(alg: Algorithm) -> &'static KeyPair {
    KEYS.iter()
        .map(|(pair, _)| pair)
        .find(|pair| pair.alg() == alg)
        .unwrap()
}

fn other_pair(alg: Algorithm) -> &'static KeyPair {
    OTHER_KEYS.iter().find(|pair| pair.alg() == alg).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000, 0).unwrap()
}

fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "sub": "user-1",
        "aud": ["api", "other"],
        "iat": 1_700_000_000,
        "nbf": 1_700_000_000,
        "exp": 1_700_000_300,
        "scope": "openid email",
    })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A token with any header and payload, signed by `signer`.
fn forge(signer: &KeyPair, header: &Value, payload: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let signature = signer.signature(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(signature.as_ref()))
}

/// Verifies with the trusted keys, found by kid.
fn verify_trusted(token: &str, typ: Option<&str>) -> Result<Map<String, Value>, JoseError> {
    verify(
        token,
        |header: &Header| {
            let kid = header.kid.as_deref()?;
            KEYS.iter()
                .map(|(pair, _)| pair.public_key())
                .find(|key| key.kid() == Some(kid))
        },
        typ,
    )
}

fn validation(audience: Option<&str>) -> Validation<'_> {
    Validation {
        issuer: ISSUER,
        audience,
        now: now(),
        leeway_secs: 30,
    }
}

#[test]
fn algorithm_names_are_exact() {
    for alg in Algorithm::ALL {
        assert_eq!(Algorithm::parse(alg.as_str()), Some(alg));
    }
    for name in [
        "none", "None", "NONE", "HS256", "eddsa", "EDDSA", "es256", "RS512", "PS256", "",
    ] {
        assert_eq!(Algorithm::parse(name), None, "{name}");
    }
}

#[test]
fn round_trip_for_each_algorithm() {
    for alg in Algorithm::ALL {
        let (pair, der) = KEYS.iter().find(|(pair, _)| pair.alg() == alg).unwrap();
        let token = pair.sign("at+jwt", &claims()).unwrap();
        assert_eq!(token.split('.').count(), 3);
        assert!(!token.contains('='));

        let unverified = decode(&token).unwrap();
        assert_eq!(
            unverified.header,
            Header {
                alg,
                kid: Some(pair.kid().to_owned()),
                typ: Some("at+jwt".to_owned()),
            }
        );
        let header: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(token.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            header,
            json!({"alg": alg.as_str(), "kid": pair.kid(), "typ": "at+jwt"})
        );

        let verified = verify_trusted(&token, Some("at+jwt")).unwrap();
        assert_eq!(Value::Object(verified.clone()), claims());
        validation(Some("api")).validate(&verified).unwrap();

        // The published JWK verifies too, and reloading the PKCS#8 gives the same key.
        let published = PublicKey::from_jwk(&pair.public_jwk()).unwrap();
        assert_eq!(&published, pair.public_key());
        assert_eq!(published.alg(), alg);
        assert_eq!(published.kid(), Some(pair.kid()));
        decode(&token)
            .unwrap()
            .verify(&published, Some("at+jwt"))
            .unwrap();
        let reloaded = KeyPair::from_pkcs8(alg, pair.kid().to_owned(), der).unwrap();
        assert!(reloaded.public_key().same_key(pair.public_key()));
        let again = reloaded.sign("JWT", &claims()).unwrap();
        verify_trusted(&again, Some("JWT")).unwrap();
    }
}

#[test]
fn public_jwks_have_the_expected_members() {
    let jwk = pair(Algorithm::EdDsa).public_jwk();
    assert_eq!(jwk["kty"], "OKP");
    assert_eq!(jwk["crv"], "Ed25519");
    assert_eq!(jwk["alg"], "EdDSA");
    assert_eq!(jwk["use"], "sig");
    assert_eq!(jwk["kid"], pair(Algorithm::EdDsa).kid());
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(jwk["x"].as_str().unwrap())
            .unwrap()
            .len(),
        32
    );

    let jwk = pair(Algorithm::Es256).public_jwk();
    assert_eq!(jwk["kty"], "EC");
    assert_eq!(jwk["crv"], "P-256");
    assert_eq!(jwk["alg"], "ES256");
    assert!(jwk["x"].is_string() && jwk["y"].is_string());

    let jwk = pair(Algorithm::Rs256).public_jwk();
    assert_eq!(jwk["kty"], "RSA");
    assert_eq!(jwk["alg"], "RS256");
    assert_eq!(jwk["e"], "AQAB");
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(jwk["n"].as_str().unwrap())
            .unwrap()
            .len(),
        256
    );

    for (pair, _) in KEYS.iter() {
        let jwk = pair.public_jwk();
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(jwk.get(private).is_none());
        }
    }
}

#[test]
fn kids_are_random_base64url_of_16_bytes() {
    let first = new_kid().unwrap();
    let second = new_kid().unwrap();
    assert_ne!(first, second);
    assert_eq!(URL_SAFE_NO_PAD.decode(&first).unwrap().len(), 16);
    assert_ne!(pair(Algorithm::EdDsa).kid(), pair(Algorithm::Es256).kid());
}

#[test]
fn debug_output_hides_key_material() {
    let text = format!("{:?}", pair(Algorithm::EdDsa));
    assert!(text.contains(pair(Algorithm::EdDsa).kid()));
    assert!(!text.contains("Ed25519KeyPair"));
}

#[test]
fn tampered_payload_or_signature_is_refused() {
    for alg in Algorithm::ALL {
        let token = pair(alg).sign("at+jwt", &claims()).unwrap();
        let parts: Vec<&str> = token.split('.').collect();

        let mut changed = claims();
        changed["sub"] = json!("admin");
        let swapped = format!(
            "{}.{}.{}",
            parts[0],
            b64(changed.to_string().as_bytes()),
            parts[2]
        );
        assert_eq!(verify_trusted(&swapped, None), Err(JoseError::BadSignature));

        let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        signature[0] ^= 1;
        let flipped = format!("{}.{}.{}", parts[0], parts[1], b64(&signature));
        assert_eq!(verify_trusted(&flipped, None), Err(JoseError::BadSignature));

        let truncated = format!("{}.{}.{}", parts[0], parts[1], b64(&signature[1..]));
        assert_eq!(
            verify_trusted(&truncated, None),
            Err(JoseError::BadSignature)
        );

        let empty = format!("{}.{}.", parts[0], parts[1]);
        assert_eq!(verify_trusted(&empty, None), Err(JoseError::BadSignature));

        // Signed by another key of the same algorithm under the trusted kid.
        let header = json!({"alg": alg.as_str(), "kid": pair(alg).kid(), "typ": "at+jwt"});
        let forged = forge(other_pair(alg), &header, &claims());
        assert_eq!(verify_trusted(&forged, None), Err(JoseError::BadSignature));
    }
}

#[test]
fn alg_none_and_unsupported_algorithms_are_refused() {
    let kid = pair(Algorithm::EdDsa).kid();
    let payload = b64(claims().to_string().as_bytes());
    for alg in [
        json!("none"),
        json!("None"),
        json!("NONE"),
        json!("HS256"),
        json!("RS512"),
        json!("PS256"),
        json!("ES384"),
        json!(""),
        json!(null),
        json!(["EdDSA"]),
    ] {
        let header = b64(json!({"alg": alg, "kid": kid}).to_string().as_bytes());
        for signature in ["", "c2ln"] {
            let token = format!("{header}.{payload}.{signature}");
            assert_eq!(
                verify_trusted(&token, None),
                Err(JoseError::UnsupportedAlgorithm),
                "{alg}"
            );
        }
    }
    let header = b64(json!({"kid": kid}).to_string().as_bytes());
    let token = format!("{header}.{payload}.c2ln");
    assert_eq!(
        verify_trusted(&token, None),
        Err(JoseError::Malformed("alg missing"))
    );
}

#[test]
fn alg_swapped_is_refused() {
    let ed = pair(Algorithm::EdDsa);
    // The header claims RS256 (validly signed by an RSA key) but names the Ed25519 key.
    let header = json!({"alg": "RS256", "kid": ed.kid(), "typ": "at+jwt"});
    let token = forge(pair(Algorithm::Rs256), &header, &claims());
    assert_eq!(
        verify_trusted(&token, None),
        Err(JoseError::AlgorithmMismatch)
    );

    let header = json!({"alg": "ES256", "kid": pair(Algorithm::Rs256).kid()});
    let token = forge(pair(Algorithm::Es256), &header, &claims());
    assert_eq!(
        verify_trusted(&token, None),
        Err(JoseError::AlgorithmMismatch)
    );

    // HS256 keyed with the public key's bytes (the classic confusion) never gets to a key.
    let rsa_jwk = pair(Algorithm::Rs256).public_jwk().to_string();
    let input = format!(
        "{}.{}",
        b64(json!({"alg": "HS256", "kid": pair(Algorithm::Rs256).kid()})
            .to_string()
            .as_bytes()),
        b64(claims().to_string().as_bytes())
    );
    let mac = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, rsa_jwk.as_bytes()),
        input.as_bytes(),
    );
    let token = format!("{input}.{}", b64(mac.as_ref()));
    assert_eq!(
        verify_trusted(&token, None),
        Err(JoseError::UnsupportedAlgorithm)
    );
}

#[test]
fn key_headers_in_the_token_are_ignored() {
    let ed = pair(Algorithm::EdDsa);
    let attacker = other_pair(Algorithm::EdDsa);
    let embedded = json!({
        "alg": "EdDSA",
        "kid": ed.kid(),
        "typ": "at+jwt",
        "jku": "https://evil.example/jwks.json",
        "x5u": "https://evil.example/cert.pem",
        "jwk": attacker.public_jwk(),
        "x5c": ["MIIBfake"],
    });
    // Signed by the attacker, who also put their key in the header: refused, because the key
    // comes from the trusted set by kid.
    let token = forge(attacker, &embedded, &claims());
    assert_eq!(
        verify_trusted(&token, Some("at+jwt")),
        Err(JoseError::BadSignature)
    );
    // Signed by the real key: the extra headers change nothing.
    let token = forge(ed, &embedded, &claims());
    assert_eq!(
        Value::Object(verify_trusted(&token, Some("at+jwt")).unwrap()),
        claims()
    );
    // Without a kid the trusted lookup finds nothing, whatever the header carries.
    let mut no_kid = embedded;
    no_kid.as_object_mut().unwrap().remove("kid");
    let token = forge(attacker, &no_kid, &claims());
    assert_eq!(verify_trusted(&token, None), Err(JoseError::UnknownKey));
}

#[test]
fn unknown_kid_is_refused() {
    let header = json!({"alg": "EdDSA", "kid": "nope"});
    let token = forge(pair(Algorithm::EdDsa), &header, &claims());
    assert_eq!(verify_trusted(&token, None), Err(JoseError::UnknownKey));
    assert_eq!(JoseError::UnknownKey.code(), "unknown_key");
}

#[test]
fn crit_header_is_refused() {
    let ed = pair(Algorithm::EdDsa);
    for crit in [json!(["exp"]), json!([]), json!(null), json!("b64")] {
        let header = json!({"alg": "EdDSA", "kid": ed.kid(), "crit": crit, "b64": false});
        let token = forge(ed, &header, &claims());
        assert_eq!(verify_trusted(&token, None), Err(JoseError::CriticalHeader));
    }
}

#[test]
fn typ_is_checked_when_expected() {
    let ed = pair(Algorithm::EdDsa);
    let id_token = ed.sign("JWT", &claims()).unwrap();
    assert_eq!(
        verify_trusted(&id_token, Some("at+jwt")),
        Err(JoseError::WrongType)
    );
    verify_trusted(&id_token, Some("JWT")).unwrap();
    verify_trusted(&id_token, None).unwrap();

    let no_typ = forge(ed, &json!({"alg": "EdDSA", "kid": ed.kid()}), &claims());
    assert_eq!(
        verify_trusted(&no_typ, Some("at+jwt")),
        Err(JoseError::WrongType)
    );
    verify_trusted(&no_typ, Some("JWT")).unwrap();

    let access = ed.sign("at+jwt", &claims()).unwrap();
    assert_eq!(
        verify_trusted(&access, Some("JWT")),
        Err(JoseError::WrongType)
    );
    for typ in ["application/at+jwt", "AT+JWT", "Application/At+Jwt"] {
        let token = ed.sign(typ, &claims()).unwrap();
        verify_trusted(&token, Some("at+jwt")).unwrap();
        verify_trusted(&token, Some("application/at+jwt")).unwrap();
    }
    for typ in [
        "at+jwt ",
        "atjwt",
        "application/",
        "jwt",
        "at+jwt/application",
        "x/at+jwt",
    ] {
        let token = ed.sign(typ, &claims()).unwrap();
        assert_eq!(
            verify_trusted(&token, Some("at+jwt")),
            Err(JoseError::WrongType),
            "{typ}"
        );
    }
    let numeric = forge(
        ed,
        &json!({"alg": "EdDSA", "kid": ed.kid(), "typ": 1}),
        &claims(),
    );
    assert!(matches!(
        verify_trusted(&numeric, None),
        Err(JoseError::Malformed(_))
    ));

    assert!(typ_matches(None, "JWT"));
    assert!(typ_matches(None, "application/jwt"));
    assert!(!typ_matches(None, "at+jwt"));
    assert!(typ_matches(Some("application/JWT"), "jwt"));
    assert!(!typ_matches(
        Some("\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}x"),
        "at+jwt"
    ));
}

#[test]
fn structure_is_strict() {
    let token = pair(Algorithm::EdDsa).sign("at+jwt", &claims()).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let malformed = [
        String::new(),
        ".".to_owned(),
        "..".to_owned(),
        "...".to_owned(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{token}."),
        format!("{token}.{}", parts[2]),
        format!(".{token}"),
        format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
        format!("{}.{}=.{}", parts[0], parts[1], parts[2]),
        format!("{}.{}.{}==", parts[0], parts[1], parts[2]),
        format!(" {token}"),
        format!("{token}\n"),
        format!("{}+.{}.{}", parts[0], parts[1], parts[2]),
        format!("{}.{}/.{}", parts[0], parts[1], parts[2]),
        format!("{}.{} .{}", parts[0], parts[1], parts[2]),
    ];
    for token in malformed {
        let result = verify_trusted(&token, None);
        assert!(
            matches!(
                result,
                Err(JoseError::Malformed(_) | JoseError::BadSignature)
            ),
            "{token:?}: {result:?}"
        );
    }
    // Non-canonical trailing bits in the signature are refused rather than decoded to the same
    // bytes.
    let last = parts[2].chars().last().unwrap();
    let index = URL_SAFE_NO_PAD_ALPHABET.find(last).unwrap();
    let sibling = URL_SAFE_NO_PAD_ALPHABET.chars().nth(index ^ 1).unwrap();
    let retailed = format!("{}{sibling}", &token[..token.len() - 1]);
    assert_eq!(
        verify_trusted(&retailed, None),
        Err(JoseError::Malformed("signature is not base64url"))
    );
}

const URL_SAFE_NO_PAD_ALPHABET: &str =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[test]
fn header_and_claims_must_be_objects_without_duplicates() {
    let ed = pair(Algorithm::EdDsa);
    let payload = b64(claims().to_string().as_bytes());
    let duplicate_header = format!(r#"{{"alg":"EdDSA","kid":"{}","alg":"EdDSA"}}"#, ed.kid());
    let input = format!("{}.{payload}", b64(duplicate_header.as_bytes()));
    let token = format!(
        "{input}.{}",
        b64(ed.signature(input.as_bytes()).unwrap().as_ref())
    );
    assert_eq!(
        verify_trusted(&token, None),
        Err(JoseError::Malformed("header is not a JSON object"))
    );

    let header = b64(format!(r#"{{"alg":"EdDSA","kid":"{}"}}"#, ed.kid()).as_bytes());
    for payload in [
        r#"{"sub":"a","sub":"b"}"#,
        r#"["not", "an", "object"]"#,
        r#""text""#,
        "null",
        r#"{"sub":"a"} trailing"#,
        "",
    ] {
        let input = format!("{header}.{}", b64(payload.as_bytes()));
        let token = format!(
            "{input}.{}",
            b64(ed.signature(input.as_bytes()).unwrap().as_ref())
        );
        assert_eq!(
            verify_trusted(&token, None),
            Err(JoseError::Malformed("claims are not a JSON object")),
            "{payload}"
        );
    }
}

#[test]
fn oversized_tokens_are_refused() {
    let mut big = claims();
    big["padding"] = json!("x".repeat(MAX_TOKEN_LEN));
    assert!(matches!(
        pair(Algorithm::EdDsa).sign("at+jwt", &big),
        Err(DomainError::Invalid(_))
    ));
    let header = json!({"alg": "EdDSA", "kid": pair(Algorithm::EdDsa).kid()});
    let token = forge(pair(Algorithm::EdDsa), &header, &big);
    assert_eq!(verify_trusted(&token, None), Err(JoseError::TooLarge));
    assert_eq!(
        decode(&"a".repeat(MAX_TOKEN_LEN + 1)).unwrap_err(),
        JoseError::TooLarge
    );
}

#[test]
fn claims_validation() {
    let mut claims = claims().as_object().unwrap().clone();
    validation(Some("api")).validate(&claims).unwrap();
    validation(Some("other")).validate(&claims).unwrap();
    validation(None).validate(&claims).unwrap();

    let check = |claims: &Map<String, Value>, at: i64| {
        Validation {
            now: Utc.timestamp_opt(at, 0).unwrap(),
            ..validation(Some("api"))
        }
        .validate(claims)
    };
    // exp = 1_700_000_300, leeway 30.
    check(&claims, 1_700_000_329).unwrap();
    assert_eq!(check(&claims, 1_700_000_330), Err(JoseError::Expired));
    assert_eq!(check(&claims, 1_800_000_000), Err(JoseError::Expired));
    // nbf = 1_700_000_000.
    check(&claims, 1_699_999_970).unwrap();
    assert_eq!(check(&claims, 1_699_999_969), Err(JoseError::NotYetValid));
    let no_leeway = Validation {
        leeway_secs: 0,
        now: Utc.timestamp_opt(1_700_000_300, 0).unwrap(),
        ..validation(None)
    };
    assert_eq!(no_leeway.validate(&claims), Err(JoseError::Expired));

    assert_eq!(
        validation(Some("nope")).validate(&claims),
        Err(JoseError::WrongAudience)
    );
    let wrong_issuer = Validation {
        issuer: "https://id.example.com/",
        ..validation(None)
    };
    assert_eq!(wrong_issuer.validate(&claims), Err(JoseError::WrongIssuer));

    claims.insert("aud".to_owned(), json!("api"));
    validation(Some("api")).validate(&claims).unwrap();
    assert_eq!(
        validation(Some("ap")).validate(&claims),
        Err(JoseError::WrongAudience)
    );
    claims.insert("aud".to_owned(), json!(["API"]));
    assert_eq!(
        validation(Some("api")).validate(&claims),
        Err(JoseError::WrongAudience)
    );
    claims.insert("aud".to_owned(), json!(7));
    assert_eq!(
        validation(Some("api")).validate(&claims),
        Err(JoseError::InvalidClaim("aud"))
    );
    claims.remove("aud");
    assert_eq!(
        validation(Some("api")).validate(&claims),
        Err(JoseError::MissingClaim("aud"))
    );
    validation(None).validate(&claims).unwrap();

    claims.insert("iss".to_owned(), json!(["https://id.example.com"]));
    assert_eq!(
        validation(None).validate(&claims),
        Err(JoseError::WrongIssuer)
    );
    claims.remove("iss");
    assert_eq!(
        validation(None).validate(&claims),
        Err(JoseError::MissingClaim("iss"))
    );
    claims.insert("iss".to_owned(), json!(ISSUER));

    claims.insert("iat".to_owned(), json!("yesterday"));
    assert_eq!(
        validation(None).validate(&claims),
        Err(JoseError::InvalidClaim("iat"))
    );
    claims.insert("iat".to_owned(), json!(1_700_000_000.5));
    validation(None).validate(&claims).unwrap();

    claims.insert("nbf".to_owned(), json!("later"));
    assert_eq!(
        validation(None).validate(&claims),
        Err(JoseError::InvalidClaim("nbf"))
    );
    claims.remove("nbf");

    claims.insert("exp".to_owned(), json!("1700000300"));
    assert_eq!(
        validation(None).validate(&claims),
        Err(JoseError::InvalidClaim("exp"))
    );
    claims.remove("exp");
    assert_eq!(
        validation(None).validate(&claims),
        Err(JoseError::MissingClaim("exp"))
    );
    assert_eq!(JoseError::MissingClaim("exp").code(), "missing_claim");
}

fn rsa_jwk(bits: usize) -> Value {
    let mut n = vec![0xC3_u8; bits.div_ceil(8)];
    let spare = n.len() * 8 - bits;
    n[0] = 0xFF >> spare;
    *n.last_mut().unwrap() |= 1;
    json!({"kty": "RSA", "n": b64(&n), "e": "AQAB"})
}

#[test]
fn weak_or_contradictory_jwks_are_refused() {
    for bits in [512, 1024, 2047] {
        assert_eq!(
            PublicKey::from_jwk(&rsa_jwk(bits)).unwrap_err(),
            JoseError::InvalidKey("RSA keys need at least 2048 bits"),
            "{bits}"
        );
    }
    // A 2048-bit modulus with a leading zero byte is still 2048 bits.
    let mut jwk = pair(Algorithm::Rs256).public_jwk();
    let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
    jwk["n"] = json!(b64(&[[0_u8].as_slice(), &n].concat()));
    assert!(
        PublicKey::from_jwk(&jwk)
            .unwrap()
            .same_key(pair(Algorithm::Rs256).public_key())
    );

    let contradictions = [
        ("RSA", "ES256"),
        ("RSA", "EdDSA"),
        ("EC", "RS256"),
        ("OKP", "ES256"),
        ("OKP", "RS256"),
    ];
    for (kty, alg) in contradictions {
        let source = KEYS
            .iter()
            .map(|(pair, _)| pair.public_jwk())
            .find(|jwk| jwk["kty"] == kty)
            .unwrap();
        let mut jwk = source.clone();
        jwk["alg"] = json!(alg);
        assert_eq!(
            PublicKey::from_jwk(&jwk).unwrap_err(),
            JoseError::InvalidKey("alg contradicts the key type"),
            "{kty} {alg}"
        );
        let mut jwk = source;
        jwk["alg"] = json!("HS256");
        assert_eq!(
            PublicKey::from_jwk(&jwk).unwrap_err(),
            JoseError::InvalidKey("unsupported alg")
        );
    }

    let mut jwk = pair(Algorithm::Es256).public_jwk();
    jwk["crv"] = json!("P-384");
    assert!(PublicKey::from_jwk(&jwk).is_err());
    let mut jwk = pair(Algorithm::Es256).public_jwk();
    jwk["y"] = jwk["x"].clone();
    assert_eq!(
        PublicKey::from_jwk(&jwk).unwrap_err(),
        JoseError::InvalidKey("not a point on P-256")
    );
    let mut jwk = pair(Algorithm::EdDsa).public_jwk();
    jwk["crv"] = json!("Ed448");
    assert!(PublicKey::from_jwk(&jwk).is_err());
    let mut jwk = pair(Algorithm::EdDsa).public_jwk();
    jwk["use"] = json!("enc");
    assert!(PublicKey::from_jwk(&jwk).is_err());
    let mut jwk = pair(Algorithm::EdDsa).public_jwk();
    jwk["key_ops"] = json!(["encrypt"]);
    assert!(PublicKey::from_jwk(&jwk).is_err());
    jwk["key_ops"] = json!(["verify"]);
    PublicKey::from_jwk(&jwk).unwrap();
    let mut jwk = pair(Algorithm::EdDsa).public_jwk();
    jwk["x"] = json!(format!("{}=", jwk["x"].as_str().unwrap()));
    assert!(PublicKey::from_jwk(&jwk).is_err());

    for jwk in [
        json!({"kty": "oct", "k": "c2VjcmV0"}),
        json!({"kty": "RSA", "n": b64(&[0xFF; 256]), "e": "AQ"}),
        json!({"kty": "RSA", "n": b64(&[0xFF; 256]), "e": "Ag"}),
        json!({"kty": "RSA", "n": b64(&[0xFF; 256])}),
        json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&[1; 31])}),
        json!({"kty": "OKP", "crv": "Ed25519", "x": 5}),
        json!({"crv": "Ed25519", "x": b64(&[1; 32])}),
        json!("not an object"),
    ] {
        assert!(
            matches!(PublicKey::from_jwk(&jwk), Err(JoseError::InvalidKey(_))),
            "{jwk}"
        );
    }
    assert_eq!(
        PublicKey::from_jwk(&rsa_jwk(9000)).unwrap_err(),
        JoseError::InvalidKey("RSA keys have at most 8192 bits")
    );
}

#[test]
fn private_jwk_members_are_ignored() {
    let mut jwk = pair(Algorithm::EdDsa).public_jwk();
    jwk["d"] = json!(b64(&[7; 32]));
    let key = PublicKey::from_jwk(&jwk).unwrap();
    assert!(key.same_key(pair(Algorithm::EdDsa).public_key()));
    assert!(key.jwk().get("d").is_none());
}

#[test]
fn jwk_without_alg_gets_the_implied_one() {
    for (pair, _) in KEYS.iter() {
        let mut jwk = pair.public_jwk();
        let object = jwk.as_object_mut().unwrap();
        object.remove("alg");
        object.remove("use");
        object.remove("kid");
        let key = PublicKey::from_jwk(&jwk).unwrap();
        assert_eq!(key.alg(), pair.alg());
        assert_eq!(key.kid(), None);
        let token = pair.sign("JWT", &claims()).unwrap();
        decode(&token).unwrap().verify(&key, None).unwrap();
    }
}

#[test]
fn jwk_sets() {
    let set = json!({"keys": KEYS.iter().map(|(pair, _)| pair.public_jwk()).collect::<Vec<_>>()});
    let keys = parse_jwk_set(&set).unwrap();
    assert_eq!(keys.len(), 3);
    let duplicate =
        json!({"keys": [pair(Algorithm::EdDsa).public_jwk(), pair(Algorithm::EdDsa).public_jwk()]});
    assert_eq!(
        parse_jwk_set(&duplicate).unwrap_err(),
        JoseError::InvalidKey("two keys share a kid")
    );
    assert!(parse_jwk_set(&json!({"keys": [rsa_jwk(1024)]})).is_err());
    assert!(parse_jwk_set(&json!([pair(Algorithm::EdDsa).public_jwk()])).is_err());
}

/// RFC 8037 Appendix A.1, A.2 and A.4: Ed25519 key and JWS (its payload is text, not claims).
const RFC8037_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const RFC8037_JWS: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

#[test]
fn rfc_8037_ed25519_known_answer() {
    let key =
        PublicKey::from_jwk(&json!({"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X})).unwrap();
    assert_eq!(key.alg(), Algorithm::EdDsa);
    let (input, signature) = RFC8037_JWS.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let (header, payload) = input.split_once('.').unwrap();
    assert_eq!(
        URL_SAFE_NO_PAD.decode(header).unwrap(),
        br#"{"alg":"EdDSA"}"#
    );
    assert_eq!(
        URL_SAFE_NO_PAD.decode(payload).unwrap(),
        b"Example of Ed25519 signing"
    );
    key.verify_signature(input.as_bytes(), &signature).unwrap();
    assert_eq!(
        key.verify_signature(b"Example of Ed25519 signinG", &signature),
        Err(JoseError::BadSignature)
    );

    // Our signer, loaded with the RFC's private key, makes the RFC's signature.
    let seed = URL_SAFE_NO_PAD.decode(RFC8037_D).unwrap();
    let public = URL_SAFE_NO_PAD.decode(RFC8037_X).unwrap();
    let pkcs8 = Ed25519KeyPair::from_seed_and_public_key(&seed, &public)
        .unwrap()
        .to_pkcs8()
        .unwrap();
    let signer = KeyPair::from_pkcs8(Algorithm::EdDsa, "rfc".to_owned(), pkcs8.as_ref()).unwrap();
    assert_eq!(
        signer.signature(input.as_bytes()).unwrap().as_ref(),
        signature.as_slice()
    );
    assert!(signer.public_key().same_key(&key));

    // The full path refuses it as a JWT: the payload is not a claims object.
    assert_eq!(
        verify(RFC8037_JWS, |_: &Header| Some(&key), None),
        Err(JoseError::Malformed("claims are not a JSON object"))
    );
    // The same key and header over a claims payload goes through the full path.
    let token = forge(&signer, &json!({"alg": "EdDSA"}), &claims());
    verify(&token, |_: &Header| Some(&key), None).unwrap();
}

#[test]
fn wrong_pkcs8_for_the_algorithm_is_refused() {
    let (_, ed_der) = &KEYS[0];
    assert!(KeyPair::from_pkcs8(Algorithm::Es256, "k".to_owned(), ed_der).is_err());
    assert!(KeyPair::from_pkcs8(Algorithm::Rs256, "k".to_owned(), ed_der).is_err());
    assert!(KeyPair::from_pkcs8(Algorithm::EdDsa, "k".to_owned(), b"junk").is_err());
}

#[test]
fn kids_needing_json_escapes_are_written_correctly() {
    let (_, der) = &KEYS[0];
    let kid = "a\"b\\c</script>\u{1}".to_owned();
    let signer = KeyPair::from_pkcs8(Algorithm::EdDsa, kid.clone(), der).unwrap();
    let token = signer.sign("at+jwt", &claims()).unwrap();
    let unverified = decode(&token).unwrap();
    assert_eq!(unverified.header.kid.as_deref(), Some(kid.as_str()));
    unverified
        .verify(signer.public_key(), Some("at+jwt"))
        .unwrap();
}

/// Tokens of each algorithm, made once for the property tests.
static TOKENS: LazyLock<Vec<String>> = LazyLock::new(|| {
    Algorithm::ALL
        .iter()
        .map(|alg| pair(*alg).sign("at+jwt", &claims()).unwrap())
        .collect()
});

fn b64_part() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_-]{0,120}",
        prop::collection::vec(any::<u8>(), 0..300).prop_map(|bytes| b64(&bytes)),
    ]
}

fn header_part() -> impl Strategy<Value = String> {
    let alg = prop_oneof![
        Just(json!("EdDSA")),
        Just(json!("ES256")),
        Just(json!("RS256")),
        Just(json!("none")),
        Just(json!("HS256")),
        any::<String>().prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
    ];
    let kid = prop_oneof![
        Just(None),
        Just(Some(json!(pair(Algorithm::EdDsa).kid()))),
        Just(Some(json!(pair(Algorithm::Es256).kid()))),
        Just(Some(json!(pair(Algorithm::Rs256).kid()))),
        any::<String>().prop_map(|kid| Some(Value::String(kid))),
    ];
    let typ = prop_oneof![Just(None), Just(Some("at+jwt")), Just(Some("JWT"))];
    (alg, kid, typ, any::<bool>()).prop_map(|(alg, kid, typ, crit)| {
        let mut header = Map::new();
        header.insert("alg".to_owned(), alg);
        if let Some(kid) = kid {
            header.insert("kid".to_owned(), kid);
        }
        if let Some(typ) = typ {
            header.insert("typ".to_owned(), json!(typ));
        }
        if crit {
            header.insert("crit".to_owned(), json!(["exp"]));
        }
        b64(Value::Object(header).to_string().as_bytes())
    })
}

proptest! {
    #[test]
    fn decode_and_verify_never_panic_on_strings(token in any::<String>()) {
        let _ = decode(&token);
        prop_assert!(verify_trusted(&token, Some("at+jwt")).is_err());
    }

    #[test]
    fn decode_and_verify_never_panic_on_dotted_base64url(
        parts in prop::collection::vec(b64_part(), 0..6)
    ) {
        let token = parts.join(".");
        let _ = decode(&token);
        prop_assert!(verify_trusted(&token, None).is_err());
    }

    #[test]
    fn forged_headers_with_random_payloads_and_signatures_never_verify(
        header in header_part(),
        payload in prop_oneof![
            b64_part(),
            Just(b64(claims().to_string().as_bytes())),
        ],
        signature in b64_part(),
        typ in prop_oneof![Just(None), Just(Some("at+jwt")), Just(Some("JWT"))],
    ) {
        let token = format!("{header}.{payload}.{signature}");
        prop_assert!(verify_trusted(&token, typ).is_err());
    }

    #[test]
    fn any_single_byte_change_never_verifies(
        which in 0_usize..3,
        position in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let token = &TOKENS[which];
        let mut bytes = token.as_bytes().to_vec();
        let at = position.index(bytes.len());
        prop_assume!(bytes[at] != byte);
        bytes[at] = byte;
        if let Ok(changed) = String::from_utf8(bytes) {
            prop_assert!(verify_trusted(&changed, Some("at+jwt")).is_err());
            prop_assert!(verify_trusted(&changed, None).is_err());
        }
    }

    #[test]
    fn typ_matching_never_panics(typ in any::<Option<String>>(), expected in any::<String>()) {
        let _ = typ_matches(typ.as_deref(), &expected);
    }
}

#[test]
fn the_unmodified_property_tokens_verify() {
    for token in TOKENS.iter() {
        verify_trusted(token, Some("at+jwt")).unwrap();
    }
}

#[test]
#[ignore = "timing, run by hand"]
fn signing_throughput() {
    for alg in Algorithm::ALL {
        let signer = pair(alg);
        let count = if alg == Algorithm::Rs256 { 500 } else { 20_000 };
        let claims = claims();
        let start = std::time::Instant::now();
        for _ in 0..count {
            std::hint::black_box(signer.sign("at+jwt", &claims).unwrap());
        }
        let elapsed = start.elapsed();
        let token = signer.sign("at+jwt", &claims).unwrap();
        let key = signer.public_key();
        let vstart = std::time::Instant::now();
        for _ in 0..count {
            std::hint::black_box(decode(&token).unwrap().verify(key, Some("at+jwt")).unwrap());
        }
        let velapsed = vstart.elapsed();
        println!(
            "{alg}: sign {:.0}/s, verify {:.0}/s",
            count as f64 / elapsed.as_secs_f64(),
            count as f64 / velapsed.as_secs_f64()
        );
    }
}
