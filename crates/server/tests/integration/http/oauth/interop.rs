//! An independent relying party: the `openidconnect` crate discovers Gatehouse, builds the
//! authorization request (PKCE S256, state, nonce), redeems the code, validates the ID token
//! (signature from the published JWKS, issuer, audience, nonce, expiry, at_hash), fetches
//! userinfo and refreshes — once for each signing algorithm.

use std::future::Future;
use std::pin::Pin;

use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, RefreshToken, Scope, TokenResponse,
    core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims},
    http,
};
use reqwest::StatusCode;

use super::support::{REDIRECT, param, return_url, web_client};
use crate::{
    http::account::browser::{Browser, verified_user},
    support::TestApp,
};

#[derive(Debug)]
struct HttpError(String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

type Exchange = Pin<Box<dyn Future<Output = Result<http::Response<Vec<u8>>, HttpError>> + Send>>;

/// The relying party's HTTP client: reqwest, without redirects, reaching the public URL (the
/// issuer) at the test server's real address, as a reverse proxy would.
fn http_client(
    client: reqwest::Client,
    public: String,
    actual: String,
) -> impl Fn(http::Request<Vec<u8>>) -> Exchange {
    move |request: http::Request<Vec<u8>>| {
        let client = client.clone();
        let (public, actual) = (public.clone(), actual.clone());
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())
                .map_err(|e| HttpError(e.to_string()))?;
            let url = parts.uri.to_string().replacen(&public, &actual, 1);
            let mut outgoing = client.request(method, url);
            for (name, value) in &parts.headers {
                outgoing = outgoing.header(name.as_str(), value.as_bytes());
            }
            let response = outgoing
                .body(body)
                .send()
                .await
                .map_err(|e| HttpError(e.to_string()))?;
            let mut builder = http::Response::builder().status(response.status().as_u16());
            for (name, value) in response.headers() {
                builder = builder.header(name.as_str(), value.as_bytes());
            }
            let bytes = response
                .bytes()
                .await
                .map_err(|e| HttpError(e.to_string()))?;
            builder
                .body(bytes.to_vec())
                .map_err(|e| HttpError(e.to_string()))
        }) as Exchange
    }
}

async fn full_flow(alg: &str) {
    let app = TestApp::spawn().await;
    let email = format!("rp-{}@example.com", alg.to_lowercase());
    verified_user(&app, &email).await;
    let registered = web_client(&app, "ask", alg).await;
    let issuer = app.services.oauth.settings.issuer.clone();
    let http = http_client(app.client.clone(), issuer.clone(), app.base_url.clone());
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone()).unwrap(), &http)
            .await
            .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(registered.id.clone()),
        registered.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".to_owned()))
        .add_scope(Scope::new("profile".to_owned()))
        .set_pkce_challenge(challenge)
        .url();

    // The user signs in and consents on the hosted pages.
    let mut browser = Browser::new(&app).signed_in(&email).await;
    let path = &url.as_str()[issuer.len()..];
    let consent = browser.get(path).await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
    assert!(consent.body.contains("Example App"), "{}", consent.body);
    let pending = crate::http::account::browser::input_value(&consent.body, "pending").unwrap();
    let back = browser
        .submit(
            "/oauth2/consent",
            &[("pending", &pending), ("decision", "approve")],
        )
        .await;
    let redirect = return_url(&back);
    assert_eq!(
        param(&redirect, "state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(param(&redirect, "iss").as_deref(), Some(issuer.as_str()));
    let code = param(&redirect, "code").unwrap();

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let id_token = tokens.id_token().unwrap();
    // The test server's clock is fixed; the relying party reads the same one.
    let clock = app.clock.clone();
    let verifier = client
        .id_token_verifier()
        .set_time_fn(move || gatehouse_domain::Clock::now(&clock));
    let claims = id_token.claims(&verifier, &nonce).unwrap();
    assert_eq!(claims.email().map(|e| e.as_str()), Some(email.as_str()));
    assert_eq!(claims.email_verified(), Some(true));
    assert!(claims.auth_time().is_some());
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));
    assert_eq!(
        serde_json::to_value(id_token.signing_alg().unwrap()).unwrap(),
        serde_json::json!(alg)
    );

    let userinfo: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(userinfo.subject(), claims.subject());
    assert_eq!(userinfo.email().map(|e| e.as_str()), Some(email.as_str()));

    let refresh = tokens.refresh_token().unwrap().clone();
    let refreshed = client
        .exchange_refresh_token(&refresh)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let rotated = refreshed.refresh_token().unwrap();
    assert_ne!(rotated.secret(), refresh.secret());
    // The old refresh token is used up: presenting it again fails and ends the family.
    let replay = client
        .exchange_refresh_token(&RefreshToken::new(refresh.secret().clone()))
        .unwrap()
        .request_async(&http)
        .await;
    assert!(replay.is_err());
    let after = client
        .exchange_refresh_token(rotated)
        .unwrap()
        .request_async(&http)
        .await;
    assert!(after.is_err(), "the family must be revoked after reuse");
    app.stop().await;
}

#[tokio::test]
async fn an_independent_relying_party_completes_the_code_flow_with_eddsa() {
    full_flow("EdDSA").await;
}

#[tokio::test]
async fn an_independent_relying_party_completes_the_code_flow_with_es256() {
    full_flow("ES256").await;
}

#[tokio::test]
async fn an_independent_relying_party_completes_the_code_flow_with_rs256() {
    full_flow("RS256").await;
}
