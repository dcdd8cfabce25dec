//! What the server takes from a request and what it ignores: mailed links come from the
//! configured public URL, never the Host header (SECURITY.md 6.4); the client IP comes from
//! `X-Forwarded-For` only behind a trusted proxy; audit records carry the request id (16.3).

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::browser::{Browser, PASSWORD, audit, mail, mail_count, verified_user};
use crate::support::TestApp;

const EMAIL: &str = "ivy@example.com";
const FORWARDED: &str = "203.0.113.9";

/// A browser that claims to be somewhere else.
fn spoofing(app: &TestApp) -> Browser<'_> {
    Browser::new(app)
        .with_header("host", "evil.example")
        .with_header("x-forwarded-host", "evil.example")
        .with_header("x-forwarded-proto", "https")
        .with_header("forwarded", "host=evil.example;proto=https")
}

fn assert_public_link(text: &str, path: &str) {
    assert!(!text.contains("evil.example"), "{text}");
    assert!(
        text.contains(&format!("http://localhost:8080{path}?token=")),
        "{text}"
    );
}

#[tokio::test]
async fn reset_links_come_from_the_public_url_whatever_the_host_header_says() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let mut browser = spoofing(&app);
    let before = mail_count(&app);
    let body = json!({ "email": EMAIL });
    let reply = browser
        .api(Method::POST, "/forgot-password", Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
    let sent = mail(&app, before + 1).await;
    assert_public_link(&sent.text_body().unwrap(), "/reset-password");
    assert!(
        !sent
            .html_body()
            .unwrap_or_default()
            .contains("evil.example")
    );
    let page = browser
        .submit("/forgot-password", &[("email", EMAIL)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let sent = mail(&app, before + 2).await;
    assert_public_link(&sent.text_body().unwrap(), "/reset-password");
    app.stop().await;
}

#[tokio::test]
async fn verification_links_come_from_the_public_url_whatever_the_host_header_says() {
    let app = TestApp::spawn().await;
    let mut browser = spoofing(&app);
    let fields = [("email", "new@example.com"), ("password", PASSWORD)];
    let reply = browser.submit("/sign-up", &fields).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let sent = mail(&app, 1).await;
    assert_public_link(&sent.text_body().unwrap(), "/verify-email");
    app.stop().await;
}

/// The IP the session list shows for a sign-in that claimed `X-Forwarded-For: 203.0.113.9`.
async fn recorded_ip(app: &TestApp) -> (String, String) {
    verified_user(app, EMAIL).await;
    let mut browser = Browser::new(app)
        .with_header("x-forwarded-for", FORWARDED)
        .signed_in(EMAIL)
        .await;
    let list = browser.get("/account-api/sessions").await.json();
    let ip = list["sessions"][0]["ip"].as_str().unwrap().to_owned();
    let page = browser.get("/account/sessions").await;
    assert_eq!(page.status, StatusCode::OK);
    (ip, page.body)
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = TestApp::spawn().await;
    let (ip, page) = recorded_ip(&app).await;
    assert_eq!(ip, "127.0.0.1");
    assert!(page.contains("<dd>127.0.0.1</dd>"), "{page}");
    assert!(!page.contains(FORWARDED));
    app.stop().await;
}

#[tokio::test]
async fn forwarded_for_from_a_trusted_proxy_names_the_client() {
    let app = TestApp::spawn_with(|config| {
        config.http.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let (ip, page) = recorded_ip(&app).await;
    assert_eq!(ip, FORWARDED);
    assert!(page.contains(&format!("<dd>{FORWARDED}</dd>")), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn sign_ins_through_the_twin_are_audited_with_their_request_id() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let mut browser = Browser::new(&app);
    let failed = browser.sign_in(EMAIL, "wrong wrong wrong wrong").await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    let succeeded = browser.sign_in(EMAIL, PASSWORD).await;
    assert_eq!(succeeded.status, StatusCode::OK);
    let user_id = succeeded.json()["user"]["id"].as_str().unwrap().to_owned();
    let (failed_id, succeeded_id) = (failed.request_id(), succeeded.request_id());
    assert_ne!(failed_id, succeeded_id);

    let failures = audit(&app, "user.sign_in").await;
    let failure = failures
        .iter()
        .find(|row| row.request_id.as_deref() == Some(failed_id.as_str()))
        .unwrap_or_else(|| panic!("no user.sign_in with request id {failed_id}: {failures:?}"));
    assert_eq!(failure.outcome, "failure");
    assert_eq!(
        failure.subject_id.map(|id| id.to_string()),
        Some(user_id.clone())
    );
    assert!(
        failure
            .details
            .as_deref()
            .unwrap()
            .contains("invalid_credentials")
    );

    let successes = audit(&app, "user.signed_in").await;
    let success = successes
        .iter()
        .find(|row| row.request_id.as_deref() == Some(succeeded_id.as_str()))
        .unwrap_or_else(|| panic!("no user.signed_in with request id {succeeded_id}"));
    assert_eq!(success.outcome, "success");
    assert_eq!(success.actor_id.as_deref(), Some(user_id.as_str()));
    // Neither record keeps the password.
    for row in [failure, success] {
        let stored = format!("{row:?}");
        assert!(!stored.contains("wrong wrong") && !stored.contains(PASSWORD));
    }
    app.stop().await;
}
