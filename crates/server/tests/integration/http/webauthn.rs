//! WebAuthn on the wire (`/webauthn/*`): the endpoints refuse requests without a session or
//! CSRF token, registration needs a recent authentication, options name the relying party of
//! the public URL, garbage is refused with problem+json and changes nothing; and whole
//! ceremonies with a software authenticator written here (P-256 with aws-lc-rs, CBOR by hand,
//! independent of the server's WebAuthn library): a passkey registered and then signing in
//! alone, a security key as the second step of a password sign-in, a passkey step-up, and the
//! refusals (a security key alone, a cloned counter, a disabled account, a replayed assertion).
//! The browser side (`webauthn.js` with a real authenticator) is tested in `e2e/`.

use chrono::Duration as Span;
use gatehouse_domain::{
    Clock,
    accounts::{CurrentSession, authenticate},
    secrets::sha256,
    store::WebauthnRow,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::account::browser::{Browser, PASSWORD, Reply, SESSION, audit, verified_user};
use crate::support::TestApp;

const ORIGIN: &str = "http://localhost:8080";
const CEREMONY: &str = "__Host-gatehouse_webauthn";
const CHALLENGE: &str = "__Host-gatehouse_mfa";
const EMAIL: &str = "wren@example.com";

const ENDPOINTS: [&str; 8] = [
    "/webauthn/register/start",
    "/webauthn/register/finish",
    "/webauthn/authenticate/start",
    "/webauthn/authenticate/finish",
    "/webauthn/passkey/start",
    "/webauthn/passkey/finish",
    "/webauthn/step-up/start",
    "/webauthn/step-up/finish",
];

/// Minimal CBOR (RFC 8949): what attestation objects and COSE keys need.
mod cbor {
    fn head(major: u8, length: usize) -> Vec<u8> {
        let major = major << 5;
        match length {
            0..=23 => vec![major | length as u8],
            24..=255 => vec![major | 24, length as u8],
            _ => [vec![major | 25], (length as u16).to_be_bytes().to_vec()].concat(),
        }
    }

    pub fn int(value: i64) -> Vec<u8> {
        if value >= 0 {
            head(0, value as usize)
        } else {
            head(1, (-1 - value) as usize)
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

const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64url without padding (RFC 4648 §5), written here like the rest of the authenticator.
fn b64(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let block = chunk.iter().enumerate().fold(0_u32, |block, (i, byte)| {
            block | u32::from(*byte) << (16 - 8 * i)
        });
        for i in 0..=chunk.len() {
            out.push(char::from(
                BASE64URL[((block >> (18 - 6 * i)) & 0x3f) as usize],
            ));
        }
    }
    out
}

fn unb64(text: &str) -> Vec<u8> {
    let mut bits = 0_u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let value = BASE64URL.iter().position(|a| *a == c).unwrap() as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

/// User present, user verified, attested credential data.
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

/// A software authenticator holding one P-256 credential, as `navigator.credentials` would
/// answer for it (JSON with base64url binary members, like `webauthn.js` sends).
struct Authenticator {
    key: aws_lc_rs::signature::EcdsaKeyPair,
    id: Vec<u8>,
    counter: u32,
    verifies: bool,
    user_handle: Option<Vec<u8>>,
}

impl Authenticator {
    fn new(verifies: bool) -> Self {
        let key = aws_lc_rs::signature::EcdsaKeyPair::generate(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        )
        .unwrap();
        let mut id = vec![0_u8; 32];
        aws_lc_rs::rand::fill(&mut id).unwrap();
        Self {
            key,
            id,
            counter: 0,
            verifies,
            user_handle: None,
        }
    }

    fn flags(&self, extra: u8) -> u8 {
        UP | extra | if self.verifies { UV } else { 0 }
    }

    fn client_data(kind: &str, options: &Value) -> Vec<u8> {
        let challenge = options["publicKey"]["challenge"].as_str().unwrap();
        json!({ "type": kind, "challenge": challenge, "origin": ORIGIN, "crossOrigin": false })
            .to_string()
            .into_bytes()
    }

    fn auth_data(&self, extra: u8) -> Vec<u8> {
        let mut data = sha256(b"localhost");
        data.push(self.flags(extra));
        data.extend_from_slice(&self.counter.to_be_bytes());
        data
    }

    /// `navigator.credentials.create()`: "none" attestation.
    fn create(&mut self, options: &Value) -> Value {
        use aws_lc_rs::signature::KeyPair;
        let user = options["publicKey"]["user"]["id"].as_str().unwrap();
        self.user_handle = Some(unb64(user));
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
        auth_data.extend_from_slice(&(self.id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.id);
        auth_data.extend_from_slice(&cose);
        let attestation = cbor::map(&[
            (cbor::text("fmt"), cbor::text("none")),
            (cbor::text("attStmt"), cbor::map(&[])),
            (cbor::text("authData"), cbor::bytes(&auth_data)),
        ]);
        json!({
            "id": b64(&self.id),
            "rawId": b64(&self.id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation),
                "clientDataJSON": b64(&Self::client_data("webauthn.create", options)),
                "transports": ["internal"],
            },
            "clientExtensionResults": { "credProps": { "rk": true } },
        })
    }

    /// `navigator.credentials.get()`: the counter moves on first.
    fn get(&mut self, options: &Value) -> Value {
        self.counter += 1;
        self.sign(options)
    }

    /// An assertion with the counter as it stands.
    fn sign(&self, options: &Value) -> Value {
        let auth_data = self.auth_data(0);
        let client_data = Self::client_data("webauthn.get", options);
        let message = [auth_data.clone(), sha256(&client_data)].concat();
        let signature = self
            .key
            .sign(&aws_lc_rs::rand::SystemRandom::new(), &message)
            .unwrap();
        json!({
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

/// POSTs `body` as JSON to `path` with this browser's CSRF token (as `webauthn.js` does).
async fn post(browser: &mut Browser<'_>, path: &str, body: Value) -> Reply {
    let token = browser.csrf_token().await;
    let request = browser
        .request(Method::POST, path)
        .header("x-csrf-token", token)
        .json(&body);
    browser.send(request).await
}

/// Asserts `reply` is problem+json with `status` and `code`.
fn assert_problem(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{}",
        reply.body
    );
    assert_eq!(reply.json()["code"], code, "{}", reply.body);
}

/// A verified user signed in through the JSON twin.
async fn signed_in<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    verified_user(app, email).await;
    Browser::new(app).signed_in(email).await
}

/// The session the browser's cookie names.
async fn session(app: &TestApp, browser: &Browser<'_>) -> CurrentSession {
    authenticate(&app.services.accounts, &browser.cookie(SESSION).unwrap())
        .await
        .unwrap()
        .unwrap()
}

async fn credentials(app: &TestApp, email: &str) -> Vec<WebauthnRow> {
    let user = app
        .services
        .store
        .users()
        .by_email(email)
        .await
        .unwrap()
        .unwrap();
    app.services
        .store
        .mfa()
        .webauthn_credentials(user.id)
        .await
        .unwrap()
}

/// Registers `authenticator` as `kind` for the signed-in `browser`; returns the answer.
async fn register(
    browser: &mut Browser<'_>,
    authenticator: &mut Authenticator,
    kind: &str,
) -> Value {
    let start = post(
        browser,
        "/webauthn/register/start",
        json!({ "kind": kind, "name": "Mine" }),
    )
    .await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.body);
    assert_eq!(
        start.set_cookies(CEREMONY).len(),
        1,
        "the ceremony cookie is set"
    );
    let credential = authenticator.create(&start.json());
    let finish = post(
        browser,
        "/webauthn/register/finish",
        json!({ "credential": credential }),
    )
    .await;
    assert_eq!(finish.status, StatusCode::OK, "{}", finish.body);
    assert_eq!(finish.header("cache-control"), Some("no-store"));
    finish.json()
}

/// Signs in with only a passkey in a new browser; returns the browser and the final reply.
async fn passkey_sign_in<'a>(
    app: &'a TestApp,
    authenticator: &mut Authenticator,
) -> (Browser<'a>, Reply) {
    let mut browser = Browser::new(app);
    let start = post(&mut browser, "/webauthn/passkey/start", json!({})).await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.body);
    let credential = authenticator.get(&start.json());
    let finish = post(
        &mut browser,
        "/webauthn/passkey/finish",
        json!({ "credential": credential, "next": "/account/sessions" }),
    )
    .await;
    (browser, finish)
}

#[tokio::test]
async fn the_endpoints_refuse_requests_without_a_csrf_token_or_a_session() {
    let app = TestApp::spawn().await;
    let mut browser = signed_in(&app, EMAIL).await;
    for path in ENDPOINTS {
        let request = browser
            .request(Method::POST, path)
            .json(&json!({ "kind": "passkey", "credential": {} }));
        let reply = browser.send(request).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{path} without X-CSRF-Token: {}",
            reply.body
        );
        assert!(reply.set_cookies(CEREMONY).is_empty(), "{path}");
        assert!(reply.set_cookies(SESSION).is_empty(), "{path}");
    }
    // With a token but no session: the signed-in ceremonies answer 401.
    let mut anonymous = Browser::new(&app);
    for (path, body) in [
        ("/webauthn/register/start", json!({ "kind": "passkey" })),
        ("/webauthn/register/finish", json!({ "credential": {} })),
        ("/webauthn/step-up/start", json!({})),
        ("/webauthn/step-up/finish", json!({ "credential": {} })),
    ] {
        let reply = post(&mut anonymous, path, body).await;
        assert_problem(&reply, StatusCode::UNAUTHORIZED, "not_signed_in");
    }
    // Without the cookie naming a ceremony, there is nothing to finish.
    for path in [
        "/webauthn/authenticate/start",
        "/webauthn/authenticate/finish",
        "/webauthn/passkey/finish",
    ] {
        let reply = post(&mut anonymous, path, json!({ "credential": {} })).await;
        assert_problem(&reply, StatusCode::BAD_REQUEST, "challenge_expired");
    }
    assert!(credentials(&app, EMAIL).await.is_empty());
}

#[tokio::test]
async fn registering_needs_a_recent_authentication_and_options_name_the_relying_party() {
    let app = TestApp::spawn().await;
    let mut browser = signed_in(&app, EMAIL).await;
    app.clock.advance(Span::minutes(11));
    let stale = post(
        &mut browser,
        "/webauthn/register/start",
        json!({ "kind": "passkey" }),
    )
    .await;
    assert_problem(&stale, StatusCode::FORBIDDEN, "step_up_required");
    assert!(stale.set_cookies(CEREMONY).is_empty());
    let finish = post(
        &mut browser,
        "/webauthn/register/finish",
        json!({ "credential": {} }),
    )
    .await;
    assert_problem(&finish, StatusCode::FORBIDDEN, "step_up_required");

    let mut fresh = Browser::new(&app).signed_in(EMAIL).await;
    let current = session(&app, &fresh).await;
    let reply = post(
        &mut fresh,
        "/webauthn/register/start",
        json!({ "kind": "passkey" }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let cookie = &reply.set_cookies(CEREMONY)[0];
    for part in [
        "Secure",
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=300",
    ] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let options = reply.json();
    let public_key = &options["publicKey"];
    assert_eq!(public_key["rp"]["id"], "localhost");
    assert_eq!(public_key["user"]["id"], b64(current.user.id().as_bytes()));
    assert_eq!(public_key["user"]["name"], EMAIL);
    assert_eq!(
        public_key["authenticatorSelection"]["residentKey"],
        "required"
    );
    assert_eq!(
        public_key["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert!(
        !reply.body.contains("\"rs\""),
        "the verifier state stays on the server"
    );

    let unknown = post(
        &mut fresh,
        "/webauthn/register/start",
        json!({ "kind": "fingerprint" }),
    )
    .await;
    assert_problem(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(unknown.json()["errors"][0]["field"], "kind");

    let passkey = post(
        &mut Browser::new(&app),
        "/webauthn/passkey/start",
        json!({}),
    )
    .await;
    assert_eq!(passkey.status, StatusCode::OK, "{}", passkey.body);
    let options = passkey.json();
    assert_eq!(options["publicKey"]["rpId"], "localhost");
    assert_eq!(options["publicKey"]["allowCredentials"], json!([]));
    assert_eq!(options["publicKey"]["userVerification"], "required");
    assert_eq!(options["mediation"], "conditional");
    assert_eq!(passkey.set_cookies(CEREMONY).len(), 1);
}

#[tokio::test]
async fn a_garbage_credential_is_refused_with_a_problem_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let mut browser = signed_in(&app, EMAIL).await;
    let start = post(
        &mut browser,
        "/webauthn/register/start",
        json!({ "kind": "security_key" }),
    )
    .await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.body);
    let forged = json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key",
        "response": { "attestationObject": "AAAA", "clientDataJSON": "AAAA" },
    });
    for credential in [json!("garbage"), json!({ "id": 7 }), forged] {
        let reply = post(
            &mut browser,
            "/webauthn/register/finish",
            json!({ "credential": credential }),
        )
        .await;
        assert_problem(&reply, StatusCode::BAD_REQUEST, "webauthn_failed");
        let problem = reply.json();
        assert_eq!(problem["errors"][0]["field"], "credential", "{problem}");
        assert_eq!(
            problem["errors"][0]["message"],
            "The security key or passkey was not accepted. Try again."
        );
    }
    let not_json = browser
        .request(Method::POST, "/webauthn/register/finish")
        .header("x-csrf-token", browser.csrf_token().await)
        .header("content-type", "application/json")
        .body("{not json");
    let reply = browser.send(not_json).await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, "malformed_json");

    // A made-up assertion signs nobody in.
    let mut anonymous = Browser::new(&app);
    let start = post(&mut anonymous, "/webauthn/passkey/start", json!({})).await;
    let stranger = Authenticator::new(true).sign(&start.json());
    let reply = post(
        &mut anonymous,
        "/webauthn/passkey/finish",
        json!({ "credential": stranger }),
    )
    .await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, "webauthn_failed");
    assert!(reply.set_cookies(SESSION).is_empty());
    assert!(anonymous.cookie(SESSION).is_none());

    assert!(
        credentials(&app, EMAIL).await.is_empty(),
        "no credential was stored"
    );
    assert!(
        audit(&app, "mfa.enrolled").await.is_empty(),
        "nothing was enrolled"
    );
    let user = session(&app, &browser).await.user.id();
    let summary = app.services.store.mfa().factor_summary(user).await.unwrap();
    assert_eq!(summary.recovery_codes, 0, "no recovery codes were made");
    let failures = audit(&app, "user.sign_in").await;
    assert_eq!(failures.len(), 1, "the refused passkey sign-in is audited");
    assert!(failures[0].details.as_deref().unwrap().contains("passkey"));
}

#[tokio::test]
async fn a_registered_passkey_signs_in_alone_and_counts_as_two_factors() {
    let app = TestApp::spawn().await;
    let mut browser = signed_in(&app, EMAIL).await;
    let mut passkey = Authenticator::new(true);
    let answer = register(&mut browser, &mut passkey, "passkey").await;
    assert_eq!(answer["redirect"], "/account/mfa?notice=factor_added");
    assert_eq!(
        answer["recovery_codes"].as_array().unwrap().len(),
        10,
        "{answer}"
    );
    assert_eq!(answer["text"]["title"], "Your recovery codes");
    let stored = credentials(&app, EMAIL).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].kind, "passkey");
    assert_eq!(stored[0].credential_id, passkey.id);
    assert_eq!(audit(&app, "mfa.enrolled").await.len(), 1);

    // Registering upgraded the session (password recently, the passkey just now); ten minutes
    // later it is no longer fresh enough to change factors.
    app.clock.advance(Span::minutes(11));
    let weak = post(
        &mut browser,
        "/webauthn/register/start",
        json!({ "kind": "passkey" }),
    )
    .await;
    assert_problem(&weak, StatusCode::FORBIDDEN, "step_up_required");

    let (mut alone, reply) = passkey_sign_in(&app, &mut passkey).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["redirect"], "/account/sessions");
    assert_eq!(reply.set_cookies(SESSION).len(), 1);
    assert_eq!(
        reply.set_cookies(CEREMONY).len(),
        1,
        "the ceremony cookie is cleared"
    );
    let current = session(&app, &alone).await;
    assert_eq!(current.session.amr, r#"["hwk","mfa"]"#);
    assert!(alone.is_signed_in().await);
    let signed_in = audit(&app, "user.signed_in").await;
    assert!(
        signed_in[0]
            .details
            .as_deref()
            .unwrap()
            .contains("\"method\":\"passkey\"")
    );
    let row = &credentials(&app, EMAIL).await[0];
    assert_eq!(row.sign_count, 1, "the counter is stored");
    assert!(row.last_used_at.is_some());

    // A passkey session is strong enough for sensitive changes; the same authenticator again
    // is excluded and refused (each credential once).
    let start = post(
        &mut alone,
        "/webauthn/register/start",
        json!({ "kind": "passkey" }),
    )
    .await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.body);
    let excluded = start.json()["publicKey"]["excludeCredentials"].clone();
    assert_eq!(
        excluded[0]["id"],
        b64(&passkey.id),
        "existing credentials are excluded"
    );
    let again = passkey.create(&start.json());
    let reply = post(
        &mut alone,
        "/webauthn/register/finish",
        json!({ "credential": again }),
    )
    .await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, "webauthn_failed");
    assert_eq!(credentials(&app, EMAIL).await.len(), 1);

    // The same assertion again (the challenge is used up) and a cloned authenticator whose
    // counter stands still are both refused.
    let mut browser = Browser::new(&app);
    let start = post(&mut browser, "/webauthn/passkey/start", json!({})).await;
    let options = start.json();
    let stale = passkey.sign(&options);
    let reply = post(
        &mut browser,
        "/webauthn/passkey/finish",
        json!({ "credential": stale }),
    )
    .await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, "webauthn_failed");
    assert!(
        reply.json()["detail"].as_str().unwrap().contains("counter"),
        "{}",
        reply.body
    );
    let fresh = passkey.get(&options);
    let reply = post(
        &mut browser,
        "/webauthn/passkey/finish",
        json!({ "credential": fresh }),
    )
    .await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, "challenge_expired");
}

#[tokio::test]
async fn passkey_sign_in_enforces_what_password_sign_in_does() {
    let app = TestApp::spawn().await;
    let mut browser = signed_in(&app, EMAIL).await;
    let mut passkey = Authenticator::new(true);
    register(&mut browser, &mut passkey, "passkey").await;
    let store = &app.services.store;
    let mut user = store.users().by_email(EMAIL).await.unwrap().unwrap();

    user.email_verified_at = None;
    let mut transaction = store.begin().await.unwrap();
    transaction.update_user(&user).await.unwrap();
    transaction.commit().await.unwrap();
    let (unverified, reply) = passkey_sign_in(&app, &mut passkey).await;
    assert_problem(&reply, StatusCode::FORBIDDEN, "email_not_verified");
    assert!(unverified.cookie(SESSION).is_none());

    user.email_verified_at = Some(app.clock.now());
    user.status = "disabled".to_owned();
    let mut transaction = store.begin().await.unwrap();
    transaction.update_user(&user).await.unwrap();
    transaction.commit().await.unwrap();
    let (disabled, reply) = passkey_sign_in(&app, &mut passkey).await;
    assert_problem(&reply, StatusCode::FORBIDDEN, "account_disabled");
    assert!(disabled.cookie(SESSION).is_none());

    // Without user verification a passkey proves possession only: refused.
    user.status = "active".to_owned();
    let mut transaction = store.begin().await.unwrap();
    transaction.update_user(&user).await.unwrap();
    transaction.commit().await.unwrap();
    passkey.verifies = false;
    let (_, reply) = passkey_sign_in(&app, &mut passkey).await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, "webauthn_failed");
    passkey.verifies = true;
    let (_, reply) = passkey_sign_in(&app, &mut passkey).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn a_security_key_is_the_second_step_of_a_password_sign_in_and_never_the_only_one() {
    let app = TestApp::spawn().await;
    let mut browser = signed_in(&app, EMAIL).await;
    let mut key = Authenticator::new(false);
    let answer = register(&mut browser, &mut key, "security_key").await;
    assert!(
        answer["recovery_codes"].is_array(),
        "the first factor comes with codes"
    );
    assert_eq!(credentials(&app, EMAIL).await[0].kind, "security_key");

    // The password is not enough any more.
    let mut second = Browser::new(&app);
    let reply = second.sign_in(EMAIL, PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["second_factor"]["required"], true);
    assert!(second.cookie(CHALLENGE).is_some());
    assert!(second.cookie(SESSION).is_none());

    let start = post(&mut second, "/webauthn/authenticate/start", json!({})).await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.body);
    let options = start.json();
    assert_eq!(
        options["publicKey"]["allowCredentials"][0]["id"],
        b64(&key.id)
    );
    assert_eq!(options["publicKey"]["rpId"], "localhost");

    // A wrong answer counts and ends the ceremony (even the right key needs a new one); then
    // the key's own answer signs in.
    let stranger = Authenticator::new(false).sign(&options);
    let reply = post(
        &mut second,
        "/webauthn/authenticate/finish",
        json!({ "credential": stranger }),
    )
    .await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, "webauthn_failed");
    let after_failure = key.get(&options);
    let reply = post(
        &mut second,
        "/webauthn/authenticate/finish",
        json!({ "credential": after_failure }),
    )
    .await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, "webauthn_failed");
    assert_eq!(
        audit(&app, "mfa.challenge").await.len(),
        1,
        "the wrong answer is audited"
    );
    let start = post(&mut second, "/webauthn/authenticate/start", json!({})).await;
    let credential = key.get(&start.json());
    let reply = post(
        &mut second,
        "/webauthn/authenticate/finish",
        json!({ "credential": credential, "next": "//evil.example" }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.json()["redirect"],
        "/account",
        "only same-site paths are followed"
    );
    assert_eq!(
        reply.set_cookies(CHALLENGE).len(),
        1,
        "the challenge cookie is cleared"
    );
    assert!(second.cookie(CHALLENGE).is_none());
    let current = session(&app, &second).await;
    assert_eq!(current.session.amr, r#"["pwd","hwk","mfa"]"#);

    // A security key cannot sign in alone.
    let (alone, reply) = passkey_sign_in(&app, &mut key).await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, "webauthn_failed");
    assert!(
        reply.json()["detail"]
            .as_str()
            .unwrap()
            .contains("second step"),
        "{}",
        reply.body
    );
    assert!(alone.cookie(SESSION).is_none());

    // A counter that went backwards (a cloned key) is refused.
    let mut third = Browser::new(&app);
    third.sign_in(EMAIL, PASSWORD).await;
    let start = post(&mut third, "/webauthn/authenticate/start", json!({})).await;
    key.counter -= 1;
    let cloned = key.sign(&start.json());
    let reply = post(
        &mut third,
        "/webauthn/authenticate/finish",
        json!({ "credential": cloned }),
    )
    .await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, "webauthn_failed");
    assert!(third.cookie(SESSION).is_none());
    let refusals = audit(&app, "mfa.challenge").await;
    assert!(
        refusals[0].details.as_deref().unwrap().contains("counter"),
        "{:?}",
        refusals[0].details
    );
}

#[tokio::test]
async fn a_passkey_alone_confirms_it_is_you() {
    let app = TestApp::spawn().await;
    let mut browser = signed_in(&app, EMAIL).await;
    let mut passkey = Authenticator::new(true);
    register(&mut browser, &mut passkey, "passkey").await;
    app.clock.advance(Span::minutes(11));
    let stale = post(
        &mut browser,
        "/webauthn/register/start",
        json!({ "kind": "passkey" }),
    )
    .await;
    assert_problem(&stale, StatusCode::FORBIDDEN, "step_up_required");

    let start = post(&mut browser, "/webauthn/step-up/start", json!({})).await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.body);
    let options = start.json();
    assert_eq!(options["publicKey"]["userVerification"], "required");
    let credential = passkey.get(&options);
    let reply = post(
        &mut browser,
        "/webauthn/step-up/finish",
        json!({ "credential": credential, "next": "/account/mfa" }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["redirect"], "/account/mfa");
    let current = session(&app, &browser).await;
    assert_eq!(current.session.amr, r#"["hwk","mfa"]"#);
    assert_eq!(current.session.authenticated_at, app.clock.now());
    let fresh = post(
        &mut browser,
        "/webauthn/register/start",
        json!({ "kind": "passkey" }),
    )
    .await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
    assert_eq!(audit(&app, "user.stepped_up").await.len(), 1);

    // Another user's browser cannot finish this user's ceremony.
    let start = post(&mut browser, "/webauthn/step-up/start", json!({})).await;
    let ceremony = browser.cookie(CEREMONY).unwrap();
    let mut other = signed_in(&app, "otto@example.com").await;
    other.set_cookie(CEREMONY, &ceremony);
    let credential = passkey.get(&start.json());
    let reply = post(
        &mut other,
        "/webauthn/step-up/finish",
        json!({ "credential": credential }),
    )
    .await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, "challenge_expired");
}
