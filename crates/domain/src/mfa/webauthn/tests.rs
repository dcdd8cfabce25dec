//! Ceremonies against a software authenticator written here (P-256 via aws-lc-rs, CBOR by hand).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::*;
use crate::secrets::sha256;

const ORIGIN: &str = "http://localhost:8080";

fn rp() -> Arc<Webauthn> {
    relying_party(ORIGIN, "Gatehouse").unwrap()
}

/// Minimal CBOR (RFC 8949) for attestation objects and COSE keys.
mod cbor {
    fn head(major: u8, length: usize) -> Vec<u8> {
        let major = major << 5;
        match length {
            0..=23 => vec![major | u8::try_from(length).unwrap()],
            24..=255 => vec![major | 24, u8::try_from(length).unwrap()],
            _ => {
                let mut out = vec![major | 25];
                out.extend_from_slice(&u16::try_from(length).unwrap().to_be_bytes());
                out
            }
        }
    }

    pub fn int(value: i64) -> Vec<u8> {
        if value >= 0 {
            head(0, usize::try_from(value).unwrap())
        } else {
            head(1, usize::try_from(-1 - value).unwrap())
        }
    }

    pub fn bytes(value: &[u8]) -> Vec<u8> {
        [head(2, value.len()), value.to_vec()].concat()
    }

    pub fn text(value: &str) -> Vec<u8> {
        [head(3, value.len()), value.as_bytes().to_vec()].concat()
    }

    pub fn map(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
        let mut out = head(5, pairs.len());
        for (key, value) in pairs {
            out.extend_from_slice(key);
            out.extend_from_slice(value);
        }
        out
    }
}

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A software authenticator: one P-256 credential.
struct Authenticator {
    key: aws_lc_rs::signature::EcdsaKeyPair,
    id: Vec<u8>,
    counter: u32,
    /// Flags beyond user presence (UV, BE, BS).
    flags: u8,
    resident: bool,
    user_handle: Option<Vec<u8>>,
}

impl Authenticator {
    fn new(flags: u8) -> Self {
        let key = aws_lc_rs::signature::EcdsaKeyPair::generate(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        )
        .unwrap();
        let mut id = vec![0_u8; 32];
        crate::secrets::random_bytes(&mut id).unwrap();
        Self {
            key,
            id,
            counter: 0,
            flags,
            resident: true,
            user_handle: None,
        }
    }

    fn client_data(kind: &str, options: &Value) -> Vec<u8> {
        let challenge = options["publicKey"]["challenge"].as_str().unwrap();
        serde_json::json!({
            "type": kind, "challenge": challenge, "origin": ORIGIN, "crossOrigin": false
        })
        .to_string()
        .into_bytes()
    }

    fn auth_data(&self, flags: u8) -> Vec<u8> {
        let mut data = sha256(b"localhost");
        data.push(UP | self.flags | flags);
        data.extend_from_slice(&self.counter.to_be_bytes());
        data
    }

    /// `navigator.credentials.create()` with `options`.
    fn create(&mut self, options: &Value) -> Value {
        use aws_lc_rs::signature::KeyPair;
        self.user_handle = options["publicKey"]["user"]["id"]
            .as_str()
            .map(|id| URL_SAFE_NO_PAD.decode(id).unwrap());
        let point = self.key.public_key().as_ref().to_vec();
        let cose = cbor::map(&[
            (cbor::int(1), cbor::int(2)),
            (cbor::int(3), cbor::int(-7)),
            (cbor::int(-1), cbor::int(1)),
            (cbor::int(-2), cbor::bytes(&point[1..33])),
            (cbor::int(-3), cbor::bytes(&point[33..65])),
        ]);
        let mut auth_data = self.auth_data(AT);
        auth_data.extend_from_slice(&[0; 16]);
        auth_data.extend_from_slice(&u16::try_from(self.id.len()).unwrap().to_be_bytes());
        auth_data.extend_from_slice(&self.id);
        auth_data.extend_from_slice(&cose);
        let attestation = cbor::map(&[
            (cbor::text("fmt"), cbor::text("none")),
            (cbor::text("attStmt"), cbor::map(&[])),
            (cbor::text("authData"), cbor::bytes(&auth_data)),
        ]);
        serde_json::json!({
            "id": b64(&self.id),
            "rawId": b64(&self.id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation),
                "clientDataJSON": b64(&Self::client_data("webauthn.create", options)),
            },
            "clientExtensionResults": { "credProps": { "rk": self.resident } },
        })
    }

    /// `navigator.credentials.get()` with `options`; the counter moves on first.
    fn get(&mut self, options: &Value) -> Value {
        self.counter += 1;
        self.sign(options)
    }

    /// An assertion with the counter as it is.
    fn sign(&self, options: &Value) -> Value {
        let auth_data = self.auth_data(0);
        let client_data = Self::client_data("webauthn.get", options);
        let message = [auth_data.clone(), sha256(&client_data)].concat();
        let signature = self
            .key
            .sign(&aws_lc_rs::rand::SystemRandom::new(), &message)
            .unwrap();
        serde_json::json!({
            "id": b64(&self.id),
            "rawId": b64(&self.id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.as_ref()),
                "userHandle": self.user_handle.as_deref().map(b64),
            },
            "clientExtensionResults": {},
        })
    }
}

fn user() -> Uuid {
    Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef)
}

fn row(kind: CredentialKind, new: NewCredential) -> WebauthnRow {
    WebauthnRow {
        id: new_id(),
        user_id: user(),
        name: kind.default_name().to_owned(),
        credential_id: new.credential_id,
        credential: new.credential,
        kind: kind.as_str().to_owned(),
        sign_count: new.sign_count,
        backup_eligible: new.backup_eligible,
        backup_state: new.backup_state,
        created_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        last_used_at: None,
    }
}

/// Registers `authenticator` as `kind` under `verification`; the ceremony's state goes
/// through JSON as it does through the sealed challenge.
fn register(
    authenticator: &mut Authenticator,
    kind: CredentialKind,
    verification: UserVerification,
) -> Result<WebauthnRow, AccountError> {
    let webauthn = rp();
    let (options, registration) = start_registration(
        &webauthn,
        kind,
        verification,
        (user(), "ada@example.com", "Ada"),
        Vec::new(),
    )
    .unwrap();
    let ceremony = Ceremony::Register {
        kind,
        name: "key".to_owned(),
        registration,
    };
    let state = ChallengeState {
        ceremony: Some(ceremony.to_value().unwrap()),
        ..ChallengeState::default()
    };
    let state: ChallengeState =
        serde_json::from_slice(&serde_json::to_vec(&state).unwrap()).unwrap();
    let Some(Ceremony::Register { registration, .. }) = Ceremony::from_state(&state) else {
        panic!("the ceremony survives the round trip");
    };
    let response = decode(&authenticator.create(&options))?;
    finish_registration_ceremony(&webauthn, kind, &registration, &response)
        .map(|new| row(kind, new))
}

#[test]
fn the_relying_party_comes_from_a_host_name_only() {
    assert!(relying_party("http://localhost:8080", "Gatehouse").is_some());
    assert!(relying_party("https://id.example.com", "Gatehouse").is_some());
    assert!(relying_party("http://127.0.0.1:8080", "Gatehouse").is_none());
    assert!(relying_party("http://[::1]:8080", "Gatehouse").is_none());
    assert!(relying_party("not a url", "Gatehouse").is_none());
}

#[test]
fn kinds_parse_and_print() {
    for kind in [CredentialKind::Passkey, CredentialKind::SecurityKey] {
        assert_eq!(CredentialKind::parse(kind.as_str()).unwrap(), kind);
    }
    assert!(CredentialKind::parse("fingerprint").is_err());
}

#[test]
fn passkey_options_ask_for_a_discoverable_verified_credential_and_exclude_existing_ones() {
    let (options, _) = start_registration(
        &rp(),
        CredentialKind::Passkey,
        UserVerification::Discouraged,
        (user(), "ada@example.com", "Ada"),
        vec![vec![1, 2, 3]],
    )
    .unwrap();
    let public_key = &options["publicKey"];
    assert_eq!(public_key["rp"]["id"], "localhost");
    assert_eq!(public_key["user"]["id"], b64(user().as_bytes()));
    let selection = &public_key["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "required");
    assert_eq!(selection["requireResidentKey"], true);
    assert_eq!(selection["userVerification"], "required");
    assert_eq!(public_key["excludeCredentials"][0]["id"], b64(&[1, 2, 3]));
}

#[test]
fn a_passkey_registers_with_user_verification_and_a_resident_credential_only() {
    let mut good = Authenticator::new(UV);
    let row = register(
        &mut good,
        CredentialKind::Passkey,
        UserVerification::Preferred,
    )
    .unwrap();
    assert_eq!(row.credential_id, good.id);
    assert_eq!(
        (row.sign_count, row.backup_eligible, row.backup_state),
        (0, false, false)
    );
    let _: Passkey = stored(&row).unwrap();
    let _: SecurityKey = stored(&row).unwrap();

    let mut unverified = Authenticator::new(0);
    let error = register(
        &mut unverified,
        CredentialKind::Passkey,
        UserVerification::Preferred,
    )
    .unwrap_err();
    assert_eq!(error.code(), "webauthn_failed");

    let mut not_resident = Authenticator::new(UV);
    not_resident.resident = false;
    let error = register(
        &mut not_resident,
        CredentialKind::Passkey,
        UserVerification::Preferred,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("cannot keep a passkey"),
        "{error}"
    );
}

#[test]
fn security_keys_follow_the_configured_user_verification() {
    let mut touch_only = Authenticator::new(0);
    register(
        &mut touch_only,
        CredentialKind::SecurityKey,
        UserVerification::Preferred,
    )
    .unwrap();
    let mut touch_only = Authenticator::new(0);
    assert!(
        register(
            &mut touch_only,
            CredentialKind::SecurityKey,
            UserVerification::Required
        )
        .is_err(),
        "user verification required: a touch is not enough"
    );
    let mut verifying = Authenticator::new(UV);
    register(
        &mut verifying,
        CredentialKind::SecurityKey,
        UserVerification::Required,
    )
    .unwrap();

    let (required, _) = start_registration(
        &rp(),
        CredentialKind::SecurityKey,
        UserVerification::Required,
        (user(), "ada@example.com", "Ada"),
        Vec::new(),
    )
    .unwrap();
    assert_eq!(
        required["publicKey"]["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert_eq!(
        required["publicKey"]["authenticatorSelection"]["residentKey"],
        "discouraged"
    );
    assert_eq!(required["publicKey"]["hints"][0], "security-key");
    let (discouraged, _) = start_registration(
        &rp(),
        CredentialKind::SecurityKey,
        UserVerification::Discouraged,
        (user(), "ada@example.com", "Ada"),
        Vec::new(),
    )
    .unwrap();
    let public_key = &discouraged["publicKey"];
    assert_eq!(
        public_key["authenticatorSelection"]["userVerification"],
        "discouraged"
    );
    assert!(
        public_key["extensions"]
            .get("credentialProtectionPolicy")
            .is_none()
    );
    let (preferred, _) = start_registration(
        &rp(),
        CredentialKind::SecurityKey,
        UserVerification::Preferred,
        (user(), "ada@example.com", "Ada"),
        Vec::new(),
    )
    .unwrap();
    let public_key = &preferred["publicKey"];
    assert_eq!(
        public_key["authenticatorSelection"]["userVerification"],
        "preferred"
    );
    assert_eq!(public_key["hints"][0], "security-key");
    assert!(
        public_key["extensions"]
            .get("credentialProtectionPolicy")
            .is_none(),
        "browsers refuse credential protection without required verification"
    );
    assert_eq!(
        required["publicKey"]["extensions"]["credentialProtectionPolicy"],
        "userVerificationRequired"
    );
}

#[test]
fn a_second_factor_may_be_any_of_the_users_credentials_and_each_assertion_counts_once() {
    let webauthn = rp();
    let mut key = Authenticator::new(0);
    let key_row = register(
        &mut key,
        CredentialKind::SecurityKey,
        UserVerification::Preferred,
    )
    .unwrap();
    let mut synced = Authenticator::new(UV | BE | BS);
    let passkey_row = register(
        &mut synced,
        CredentialKind::Passkey,
        UserVerification::Preferred,
    )
    .unwrap();
    assert_eq!(
        (passkey_row.backup_eligible, passkey_row.backup_state),
        (true, true)
    );
    let rows = [key_row.clone(), passkey_row.clone()];

    let (options, authentication) =
        start_second_factor(&webauthn, UserVerification::Preferred, &rows).unwrap();
    let allowed: Vec<&str> = options["publicKey"]["allowCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|credential| credential["id"].as_str().unwrap())
        .collect();
    assert_eq!(allowed, [b64(&key.id), b64(&synced.id)]);
    assert!(
        options["publicKey"].get("hints").is_none(),
        "passkeys are not only on keys"
    );

    let response = decode(&key.get(&options)).unwrap();
    let verified = verify_assertion(&webauthn, &authentication, &response, &key_row).unwrap();
    assert_eq!(
        (verified.method, verified.sign_count),
        (amr::HARDWARE_KEY, 1)
    );
    assert!(
        verified.credential.contains("\"counter\":1"),
        "{}",
        verified.credential
    );

    let response = decode(&synced.get(&options)).unwrap();
    let verified = verify_assertion(&webauthn, &authentication, &response, &passkey_row).unwrap();
    assert_eq!(
        verified.method,
        amr::SOFTWARE_KEY,
        "a synced passkey is a software key"
    );

    // The stored counter is 1 now: an assertion that does not move past it is refused.
    let mut used = key_row.clone();
    used.sign_count = 1;
    let (options, authentication) =
        start_second_factor(&webauthn, UserVerification::Preferred, &[used.clone()]).unwrap();
    let replayed = decode(&key.sign(&options)).unwrap();
    used.sign_count = i64::from(key.counter);
    let refusal = verify_assertion(&webauthn, &authentication, &replayed, &used).unwrap_err();
    assert_eq!(refusal.reason, "counter");
    let fresh = decode(&key.get(&options)).unwrap();
    verify_assertion(&webauthn, &authentication, &fresh, &used).unwrap();

    // An assertion for another ceremony's challenge is refused.
    let (other, _) = start_second_factor(&webauthn, UserVerification::Preferred, &rows).unwrap();
    let stale = decode(&key.get(&other)).unwrap();
    let refusal = verify_assertion(&webauthn, &authentication, &stale, &key_row).unwrap_err();
    assert_eq!(refusal.reason, "wrong_challenge");
}

#[test]
fn required_user_verification_refuses_a_touch_only_assertion() {
    let webauthn = rp();
    let mut key = Authenticator::new(0);
    let key_row = register(
        &mut key,
        CredentialKind::SecurityKey,
        UserVerification::Preferred,
    )
    .unwrap();
    let (options, authentication) = start_second_factor(
        &webauthn,
        UserVerification::Required,
        std::slice::from_ref(&key_row),
    )
    .unwrap();
    assert_eq!(options["publicKey"]["userVerification"], "required");
    let response = decode(&key.get(&options)).unwrap();
    let refusal = verify_assertion(&webauthn, &authentication, &response, &key_row).unwrap_err();
    assert_eq!(refusal.reason, "user_not_verified");
    assert!(start_second_factor(&webauthn, UserVerification::Preferred, &[]).is_err());
}

#[test]
fn a_passkey_signs_in_by_its_user_handle() {
    let webauthn = rp();
    let mut passkey = Authenticator::new(UV);
    let passkey_row = register(
        &mut passkey,
        CredentialKind::Passkey,
        UserVerification::Preferred,
    )
    .unwrap();
    let (options, state) = webauthn.start_discoverable_authentication().unwrap();
    let options = to_json(&options).unwrap();
    assert_eq!(options["mediation"], "conditional");
    assert_eq!(
        options["publicKey"]["allowCredentials"],
        serde_json::json!([])
    );
    let authentication = Authentication::Discoverable(state);
    let response: PublicKeyCredential = decode(&passkey.get(&options)).unwrap();
    let (named, credential_id) = webauthn
        .identify_discoverable_authentication(&response)
        .unwrap();
    assert_eq!((named, credential_id), (user(), passkey.id.as_slice()));
    let verified = verify_assertion(&webauthn, &authentication, &response, &passkey_row).unwrap();
    assert_eq!(verified.method, amr::HARDWARE_KEY);

    // Without user verification a passkey proves nothing.
    passkey.flags = 0;
    let unverified: PublicKeyCredential = decode(&passkey.get(&options)).unwrap();
    let refusal =
        verify_assertion(&webauthn, &authentication, &unverified, &passkey_row).unwrap_err();
    assert_eq!(refusal.reason, "user_not_verified");
}

#[test]
fn garbage_is_a_refused_credential() {
    let error = decode::<PublicKeyCredential>(&serde_json::json!({ "id": 1 })).unwrap_err();
    assert_eq!(error.code(), "webauthn_failed");
    let error =
        decode::<RegisterPublicKeyCredential>(&serde_json::json!("not a credential")).unwrap_err();
    assert_eq!(error.code(), "webauthn_failed");
}

#[test]
fn the_counter_must_move_on_unless_both_are_zero() {
    assert!(counter_advanced(0, 0));
    assert!(counter_advanced(0, 1));
    assert!(counter_advanced(41, 42));
    assert!(!counter_advanced(42, 42));
    assert!(!counter_advanced(42, 7));
    assert!(!counter_advanced(42, 0));
}
