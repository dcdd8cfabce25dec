//! Helpers: registering clients through the use case, PKCE pairs, the code flow through the
//! real pages with a signed-in browser, and token requests.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use gatehouse_domain::oauth::{ClientSpec, Operator, create_client, pkce};
use reqwest::{StatusCode, header};
use serde_json::Value;

use crate::{
    http::account::browser::{Browser, attribute, form, tags},
    support::TestApp,
};

/// The redirect URI the test clients register.
pub const REDIRECT: &str = "https://app.example.com/callback";

/// A registered client: id and secret (none for public clients).
#[derive(Debug, Clone)]
pub struct TestClient {
    /// `client_id`.
    pub id: String,
    /// `client_secret`.
    pub secret: Option<String>,
}

/// Registers a client as the system would (the CLI path).
pub async fn register(app: &TestApp, spec: ClientSpec) -> TestClient {
    let created = create_client(&app.services.oauth, &Operator::system(), spec)
        .await
        .unwrap();
    TestClient {
        id: created.client.client_id().to_owned(),
        secret: created.secret,
    }
}

/// A confidential sign-in client with `consent` (`ask` or `skip`) and `alg`.
pub async fn web_client(app: &TestApp, consent: &str, alg: &str) -> TestClient {
    register(
        app,
        ClientSpec {
            name: "Example App".to_owned(),
            redirect_uris: vec![REDIRECT.to_owned()],
            post_logout_redirect_uris: vec!["https://app.example.com/bye".to_owned()],
            consent: Some(consent.to_owned()),
            signing_alg: Some(alg.to_owned()),
            ..ClientSpec::default()
        },
    )
    .await
}

/// A fresh PKCE verifier and its S256 challenge.
pub fn pkce_pair() -> (String, String) {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = pkce::challenge_s256(&verifier);
    (verifier, challenge)
}

/// `/oauth2/authorize?…` for `client` with a PKCE challenge and `extra` parameters.
pub fn authorize_path(client: &str, challenge: &str, extra: &[(&str, &str)]) -> String {
    let mut fields = vec![
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", REDIRECT),
        ("scope", "openid email profile"),
        ("state", "s-123"),
        ("nonce", "n-456"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in extra {
        fields.retain(|(existing, _)| existing != name);
        fields.push((name, value));
    }
    format!("/oauth2/authorize?{}", form(&fields))
}

/// The query parameters of a URL.
pub fn query_of(url: &str) -> Vec<(String, String)> {
    let parsed = reqwest::Url::parse(url).unwrap();
    parsed
        .query_pairs()
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// Parameter `name` of a URL.
pub fn param(url: &str, name: &str) -> Option<String> {
    query_of(url)
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Where the browser goes back to the client: a 303 `Location`, or the link of the return page
/// shown after a form on Gatehouse's pages.
pub fn return_url(reply: &crate::http::account::browser::Reply) -> String {
    if reply.status == StatusCode::SEE_OTHER {
        return reply.location().to_owned();
    }
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let link = tags(&reply.body, "a")
        .into_iter()
        .find(|tag| tag.contains("data-oauth-return"))
        .unwrap_or_else(|| panic!("no return link: {}", reply.body));
    attribute(link, "href")
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// Runs the authorization step for a signed-in browser and returns the code (approving
/// consent when asked).
pub async fn code(browser: &mut Browser<'_>, client: &str, challenge: &str) -> String {
    let reply = browser.get(&authorize_path(client, challenge, &[])).await;
    let reply = if reply.status == StatusCode::OK && reply.body.contains("/oauth2/consent") {
        let pending = crate::http::account::browser::input_value(&reply.body, "pending").unwrap();
        browser
            .submit(
                "/oauth2/consent",
                &[("pending", &pending), ("decision", "approve")],
            )
            .await
    } else {
        reply
    };
    let url = return_url(&reply);
    assert!(url.starts_with(REDIRECT), "{url}");
    param(&url, "code").unwrap_or_else(|| panic!("no code in {url}"))
}

/// POSTs a form to the token endpoint with HTTP Basic for `client`.
pub async fn token(
    app: &TestApp,
    client: &TestClient,
    fields: &[(&str, &str)],
) -> (StatusCode, Value) {
    post(app, "/oauth2/token", client, fields).await
}

/// POSTs a form to `path` with HTTP Basic (confidential) or `client_id` (public).
pub async fn post(
    app: &TestApp,
    path: &str,
    client: &TestClient,
    fields: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut fields = fields.to_vec();
    let mut request = app
        .client
        .post(app.url(path))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    match &client.secret {
        Some(secret) => request = request.basic_auth(&client.id, Some(secret)),
        None => fields.push(("client_id", &client.id)),
    }
    let response = request.body(form(&fields)).send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Exchanges `code` for tokens.
pub async fn redeem(
    app: &TestApp,
    client: &TestClient,
    code: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    token(
        app,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await
}

/// The decoded header and claims of a JWT (not verified).
pub fn jwt_parts(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let decode = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    let header = decode(parts.next().unwrap());
    let claims = decode(parts.next().unwrap());
    (header, claims)
}
