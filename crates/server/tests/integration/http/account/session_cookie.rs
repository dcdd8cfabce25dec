//! The session cookie (SECURITY.md 3.3, 7.2.4): `__Host-` rules, a new value at every sign-in
//! and password change with the old one dead server-side, sign-out that ends the session; and
//! `next=` after sign-in limited to same-site paths (3.7.2).

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::browser::{Browser, CSRF, NEW_PASSWORD, PASSWORD, SESSION, input_value, verified_user};
use crate::support::TestApp;

const EMAIL: &str = "sam@example.com";

/// Asserts a `Set-Cookie` value follows the `__Host-` rules and is HttpOnly and Lax.
fn assert_host_cookie(set_cookie: &str) {
    let mut parts = set_cookie.split(';').map(str::trim);
    let (name, value) = parts.next().unwrap().split_once('=').unwrap();
    assert!(name.starts_with("__Host-"), "{set_cookie}");
    assert!(!value.is_empty(), "{set_cookie}");
    let attributes: Vec<String> = parts.map(str::to_ascii_lowercase).collect();
    for required in ["secure", "httponly", "samesite=lax", "path=/"] {
        assert!(
            attributes.iter().any(|part| part == required),
            "{set_cookie} lacks {required}"
        );
    }
    assert!(
        !attributes.iter().any(|part| part.starts_with("domain")),
        "{set_cookie} has a Domain"
    );
}

/// A browser holding only session cookie `value`.
fn holding<'a>(app: &'a TestApp, value: &str) -> Browser<'a> {
    let mut browser = Browser::new(app);
    browser.set_cookie(SESSION, value);
    browser
}

#[tokio::test]
async fn session_and_csrf_cookies_are_host_prefixed_secure_http_only_and_lax() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let mut browser = Browser::new(&app);
    let page = browser.get("/sign-in").await;
    let csrf = page.set_cookies(CSRF);
    assert_eq!(csrf.len(), 1, "the first page sets the CSRF cookie");
    assert_host_cookie(&csrf[0]);
    let json = browser.sign_in(EMAIL, PASSWORD).await;
    let sessions = json.set_cookies(SESSION);
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        sessions[0].split(';').next().unwrap(),
        format!("{SESSION}={}", browser.cookie(SESSION).unwrap()),
        "the cookie is called {SESSION}"
    );
    assert_host_cookie(&sessions[0]);
    let mut page_browser = Browser::new(&app);
    let fields = [("email", EMAIL), ("password", PASSWORD)];
    let form = page_browser.submit("/sign-in", &fields).await;
    assert_eq!(form.status, StatusCode::SEE_OTHER);
    assert_host_cookie(&form.set_cookies(SESSION)[0]);
    app.stop().await;
}

#[tokio::test]
async fn signing_in_replaces_a_session_cookie_the_browser_already_had() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    // A value planted before sign-in is never adopted.
    let planted = "planted-by-an-attacker-0123456789abcdefghij";
    let mut browser = holding(&app, planted);
    let reply = browser.sign_in(EMAIL, PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK);
    let first = browser.cookie(SESSION).unwrap();
    assert_ne!(first, planted);
    // A live session (the attacker's own, say) is replaced too, and ends.
    let fields = [("email", EMAIL), ("password", PASSWORD)];
    let again = browser.submit("/sign-in", &fields).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let second = browser.cookie(SESSION).unwrap();
    assert_ne!(second, first, "the page sign-in set a new value");
    assert!(
        !holding(&app, &first).is_signed_in().await,
        "the old value is dead"
    );
    browser.sign_in(EMAIL, PASSWORD).await;
    let third = browser.cookie(SESSION).unwrap();
    assert_ne!(third, second, "the JSON sign-in set a new value");
    assert!(!holding(&app, &second).is_signed_in().await);
    assert!(holding(&app, &third).is_signed_in().await);
    app.stop().await;
}

#[tokio::test]
async fn page_sign_out_clears_the_cookie_and_ends_the_session_server_side() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let mut browser = Browser::new(&app).signed_in(EMAIL).await;
    let old = browser.cookie(SESSION).unwrap();
    let account = browser.get("/account").await;
    let csrf = input_value(&account.body, "csrf_token").unwrap();
    let reply = browser
        .post_form("/sign-out", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location(), "/sign-in?notice=signed_out");
    let cleared = &reply.set_cookies(SESSION)[0];
    assert!(cleared.starts_with(&format!("{SESSION}=;")), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    // A copy of the old value (kept by an attacker, or a browser ignoring the clear) is dead.
    let mut replay = holding(&app, &old);
    let page = replay.get("/account").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/sign-in?next=%2Faccount");
    assert!(!replay.is_signed_in().await);
    app.stop().await;
}

#[tokio::test]
async fn json_sign_out_clears_the_cookie_and_ends_the_session_server_side() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let mut browser = Browser::new(&app).signed_in(EMAIL).await;
    let old = browser.cookie(SESSION).unwrap();
    let reply = browser.api(Method::POST, "/sign-out", None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.set_cookies(SESSION)[0].contains("Max-Age=0"));
    assert!(browser.cookie(SESSION).is_none());
    let mut replay = holding(&app, &old);
    assert!(!replay.is_signed_in().await);
    let sessions = replay.get("/account-api/sessions").await;
    assert_eq!(sessions.status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn changing_the_password_renews_the_cookie_and_kills_the_old_value() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let mut browser = Browser::new(&app).signed_in(EMAIL).await;
    let old = browser.cookie(SESSION).unwrap();
    let fields = [("current_password", PASSWORD), ("password", NEW_PASSWORD)];
    let reply = browser.submit("/account/password", &fields).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), "/account?notice=password_changed");
    let renewed = browser.cookie(SESSION).unwrap();
    assert_ne!(renewed, old);
    assert_host_cookie(&reply.set_cookies(SESSION)[0]);
    assert!(browser.is_signed_in().await, "the new value works");
    assert!(
        !holding(&app, &old).is_signed_in().await,
        "the old one does not"
    );
    // The twin does the same.
    let body = json!({ "current_password": NEW_PASSWORD, "password": PASSWORD });
    let reply = browser.api(Method::POST, "/me/password", Some(body)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    let third = browser.cookie(SESSION).unwrap();
    assert_ne!(third, renewed);
    assert!(browser.is_signed_in().await);
    assert!(!holding(&app, &renewed).is_signed_in().await);
    app.stop().await;
}

#[tokio::test]
async fn next_after_sign_in_is_honoured_only_for_same_site_paths() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let cases = [
        ("/account/sessions", "/account/sessions"),
        ("//evil.example", "/account"),
        ("https://evil.example/x", "/account"),
        ("/\\evil.example", "/account"),
        ("javascript:alert(1)", "/account"),
        ("http:/evil", "/account"),
        ("/%5Cevil.example", "/account"),
        ("/\t/evil.example", "/account"),
    ];
    for (next, expected) in cases {
        let mut browser = Browser::new(&app);
        let fields = [("email", EMAIL), ("password", PASSWORD), ("next", next)];
        let reply = browser.submit("/sign-in", &fields).await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{next:?}: {}",
            reply.body
        );
        assert_eq!(reply.location(), expected, "next={next:?}");
        // Already signed in, the sign-in page sends the browser on the same way.
        let query: String = super::browser::form(&[("next", next)]);
        let page = browser.get(&format!("/sign-in?{query}")).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location(), expected, "GET next={next:?}");
    }
    // Signed out, a refused `next` is not carried into the form.
    let mut browser = Browser::new(&app);
    let page = browser.get("/sign-in?next=%2F%2Fevil.example").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(input_value(&page.body, "next"), None);
    let page = browser.get("/sign-in?next=%2Faccount%2Fsessions").await;
    assert_eq!(
        input_value(&page.body, "next").as_deref(),
        Some("/account/sessions")
    );
    app.stop().await;
}
