//! CSRF (SECURITY.md 3.5): every state-changing page form and JSON endpoint refuses a request
//! without the token, with another browser's token or with garbage, with 403 and no effect.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::browser::{Browser, NEW_PASSWORD, PASSWORD, Reply, SESSION, user_count, verified_user};
use crate::support::TestApp;

const ALICE: &str = "alice@example.com";

/// Alice signed in twice (the second browser is the session the revocations would end), and
/// the id of that second session.
async fn two_sessions(app: &TestApp) -> (Browser<'_>, Browser<'_>, String) {
    verified_user(app, ALICE).await;
    let mut first = Browser::new(app).signed_in(ALICE).await;
    let second = Browser::new(app).signed_in(ALICE).await;
    let sessions = first.get("/account-api/sessions").await.json();
    let other = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|session| session["current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (first, second, other)
}

/// What must still hold after refused requests: one user, no mail, both sessions alive, the
/// password and profile unchanged.
async fn nothing_changed(app: &TestApp, first: &mut Browser<'_>, second: &mut Browser<'_>) {
    assert_eq!(user_count(app).await, 1, "no user was created");
    // Mail goes out through jobs: give a wrongly queued one time to arrive.
    let mails = app.mail.wait_for(2, Duration::from_millis(500)).await;
    assert_eq!(mails.len(), 1, "only the sign-up mail was sent");
    assert!(first.is_signed_in().await, "the session was not ended");
    assert!(
        second.is_signed_in().await,
        "the other session was not revoked"
    );
    let me = first.get("/account-api/me").await.json();
    assert_eq!(me["email"], ALICE);
    assert_eq!(me["display_name"], Value::Null);
    let mut fresh = Browser::new(app);
    let old_password = fresh.sign_in(ALICE, PASSWORD).await;
    assert_eq!(
        old_password.status,
        StatusCode::OK,
        "the password is unchanged"
    );
}

fn assert_refused(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "{what}: {}",
        reply.body
    );
    assert!(
        reply.set_cookies(SESSION).is_empty(),
        "{what} touched the session cookie"
    );
}

#[tokio::test]
async fn page_forms_without_a_valid_csrf_token_are_refused_with_403_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (mut first, mut second, other) = two_sessions(&app).await;
    let revoke = format!("/account/sessions/{other}/revoke");
    let forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/sign-up",
            vec![("email", "bob@example.com"), ("password", PASSWORD)],
        ),
        ("/sign-in", vec![("email", ALICE), ("password", PASSWORD)]),
        ("/sign-out", vec![]),
        ("/verify-email", vec![("token", "x")]),
        (
            "/verify-email/code",
            vec![("email", ALICE), ("code", "123456")],
        ),
        ("/verify-email/resend", vec![("resend_email", ALICE)]),
        ("/forgot-password", vec![("email", ALICE)]),
        (
            "/reset-password",
            vec![("token", "x"), ("password", NEW_PASSWORD)],
        ),
        ("/account", vec![("display_name", "Mallory was here")]),
        (
            "/account/password",
            vec![("current_password", PASSWORD), ("password", NEW_PASSWORD)],
        ),
        (
            "/account/email",
            vec![
                ("email", "mallory@example.com"),
                ("current_password", PASSWORD),
            ],
        ),
        ("/confirm-email", vec![("token", "x")]),
        ("/account/sessions/revoke-others", vec![]),
        (&revoke, vec![]),
        (
            "/setup",
            vec![
                ("token", "x"),
                ("email", "root@example.com"),
                ("password", PASSWORD),
            ],
        ),
    ];
    // A token the attacker can get: valid, but for the attacker's own CSRF cookie.
    let foreign = Browser::new(&app).csrf_token().await;
    first.csrf_token().await;
    for (path, fields) in &forms {
        let missing = first.post_form(path, fields).await;
        assert_refused(&missing, &format!("{path} without a token"));
        assert!(
            missing
                .header("content-type")
                .unwrap()
                .starts_with("text/html"),
            "{path}: pages answer with a page"
        );
        for token in [foreign.as_str(), "", "not-a-token"] {
            let mut with_token = vec![("csrf_token", token)];
            with_token.extend_from_slice(fields);
            let wrong = first.post_form(path, &with_token).await;
            assert_refused(&wrong, &format!("{path} with token {token:?}"));
        }
    }
    // The victim's own token is useless without the victim's cookie.
    let stolen = first.csrf_token().await;
    let mut no_cookie = Browser::new(&app);
    let fields = [
        ("csrf_token", stolen.as_str()),
        ("email", "bob@example.com"),
        ("password", PASSWORD),
    ];
    assert_refused(&no_cookie.post_form("/sign-up", &fields).await, "no cookie");
    nothing_changed(&app, &mut first, &mut second).await;
    // The control: the same kind of request with the right token does change state.
    let saved = first.submit("/account", &[("display_name", "Alice")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    app.stop().await;
}

#[tokio::test]
async fn json_endpoints_without_a_valid_csrf_header_are_refused_with_403_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (mut first, mut second, other) = two_sessions(&app).await;
    let revoke = format!("/account-api/sessions/{other}");
    let calls: Vec<(Method, &str, Option<Value>)> = vec![
        (
            Method::POST,
            "/account-api/sign-up",
            Some(json!({ "email": "bob@example.com", "password": PASSWORD })),
        ),
        (
            Method::POST,
            "/account-api/sign-in",
            Some(json!({ "email": ALICE, "password": PASSWORD })),
        ),
        (Method::POST, "/account-api/sign-out", None),
        (
            Method::POST,
            "/account-api/verify-email",
            Some(json!({ "token": "x" })),
        ),
        (
            Method::POST,
            "/account-api/verify-email/code",
            Some(json!({ "email": ALICE, "code": "123456" })),
        ),
        (
            Method::POST,
            "/account-api/resend-verification",
            Some(json!({ "email": ALICE })),
        ),
        (
            Method::POST,
            "/account-api/forgot-password",
            Some(json!({ "email": ALICE })),
        ),
        (
            Method::POST,
            "/account-api/reset-password",
            Some(json!({ "token": "x", "password": NEW_PASSWORD })),
        ),
        (
            Method::PATCH,
            "/account-api/me",
            Some(json!({ "display_name": "Mallory" })),
        ),
        (
            Method::POST,
            "/account-api/me/password",
            Some(json!({ "current_password": PASSWORD, "password": NEW_PASSWORD })),
        ),
        (
            Method::POST,
            "/account-api/me/email",
            Some(json!({ "current_password": PASSWORD, "email": "mallory@example.com" })),
        ),
        (
            Method::POST,
            "/account-api/confirm-email",
            Some(json!({ "token": "x" })),
        ),
        (Method::POST, "/account-api/sessions/revoke-others", None),
        (Method::DELETE, &revoke, None),
        (
            Method::POST,
            "/account-api/setup",
            Some(json!({ "token": "x", "email": "root@example.com", "password": PASSWORD })),
        ),
    ];
    let foreign = Browser::new(&app).csrf_token().await;
    first.csrf_token().await;
    for (method, path, body) in &calls {
        for token in [None, Some(foreign.as_str()), Some(""), Some("not-a-token")] {
            let mut request = first.request(method.clone(), path);
            if let Some(token) = token {
                request = request.header("x-csrf-token", token);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let reply = first.send(request).await;
            assert_refused(&reply, &format!("{method} {path} with token {token:?}"));
            assert_eq!(
                reply.header("content-type"),
                Some("application/problem+json")
            );
            assert_eq!(reply.json()["code"], "csrf_failed", "{path}");
        }
    }
    nothing_changed(&app, &mut first, &mut second).await;
    let patched = first
        .api(
            Method::PATCH,
            "/me",
            Some(json!({ "display_name": "Alice" })),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    app.stop().await;
}

#[tokio::test]
async fn sign_up_without_a_token_creates_no_user_and_json_sign_in_without_one_sets_no_session() {
    let app = TestApp::spawn().await;
    verified_user(&app, ALICE).await;
    let mut browser = Browser::new(&app);
    browser.csrf_token().await;
    let fields = [("email", "bob@example.com"), ("password", PASSWORD)];
    let sign_up = browser.post_form("/sign-up", &fields).await;
    assert_eq!(sign_up.status, StatusCode::FORBIDDEN);
    assert_eq!(user_count(&app).await, 1);
    let request = browser
        .request(Method::POST, "/account-api/sign-in")
        .json(&json!({ "email": ALICE, "password": PASSWORD }));
    let sign_in = browser.send(request).await;
    assert_eq!(sign_in.status, StatusCode::FORBIDDEN);
    assert!(sign_in.set_cookies(SESSION).is_empty());
    assert!(browser.cookie(SESSION).is_none());
    assert!(!browser.is_signed_in().await);
    app.stop().await;
}
