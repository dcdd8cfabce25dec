//! Enumeration on the wire (SECURITY.md 6.3.8): sign-in, forgot-password, resend-verification
//! and sign-up answer a known address exactly as an unknown one, in status, headers and body
//! (pages echo the typed address back into the form; that is the only difference allowed).

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::browser::{Browser, PASSWORD, Reply, unverified_user, verified_user};
use crate::support::TestApp;

const KNOWN: &str = "known@example.com";
const UNVERIFIED: &str = "pending@example.com";
const UNKNOWN: &str = "nobody@example.com";

/// Asserts `known` and `unknown` are the same answer, the typed addresses aside.
fn assert_same(what: &str, known: &Reply, known_email: &str, unknown: &Reply, unknown_email: &str) {
    assert_eq!(known.status, unknown.status, "{what}: status");
    for header in ["content-type", "retry-after", "location", "set-cookie"] {
        assert_eq!(
            known.header(header),
            unknown.header(header),
            "{what}: {header}"
        );
    }
    assert_eq!(
        known.body.replace(known_email, "EMAIL"),
        unknown.body.replace(unknown_email, "EMAIL"),
        "{what}: body"
    );
}

async fn app_with_users() -> TestApp {
    let app = TestApp::spawn().await;
    verified_user(&app, KNOWN).await;
    unverified_user(&app, UNVERIFIED).await;
    app
}

#[tokio::test]
async fn json_sign_in_with_a_wrong_password_answers_like_an_unknown_address() {
    let app = app_with_users().await;
    let mut browser = Browser::new(&app);
    let known = browser.sign_in(KNOWN, "wrong wrong wrong wrong").await;
    let unknown = browser.sign_in(UNKNOWN, "wrong wrong wrong wrong").await;
    assert_eq!(known.status, StatusCode::UNAUTHORIZED, "{}", known.body);
    assert_eq!(known.json()["code"], "invalid_credentials");
    assert_same("JSON sign-in", &known, KNOWN, &unknown, UNKNOWN);
    app.stop().await;
}

#[tokio::test]
async fn page_sign_in_with_a_wrong_password_answers_like_an_unknown_address() {
    let app = app_with_users().await;
    let mut browser = Browser::new(&app);
    let mut attempt = async |email| {
        let fields = [("email", email), ("password", "wrong wrong wrong wrong")];
        browser.submit("/sign-in", &fields).await
    };
    let known = attempt(KNOWN).await;
    let unknown = attempt(UNKNOWN).await;
    assert_eq!(known.status, StatusCode::UNAUTHORIZED, "{}", known.body);
    assert_same("page sign-in", &known, KNOWN, &unknown, UNKNOWN);
    app.stop().await;
}

#[tokio::test]
async fn forgot_password_answers_the_same_for_every_address() {
    let app = app_with_users().await;
    let mut browser = Browser::new(&app);
    let mut api = async |email| {
        let body = json!({ "email": email });
        browser
            .api(Method::POST, "/forgot-password", Some(body))
            .await
    };
    let known = api(KNOWN).await;
    let unverified = api(UNVERIFIED).await;
    let unknown = api(UNKNOWN).await;
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_same("JSON forgot", &known, KNOWN, &unknown, UNKNOWN);
    assert_same("JSON forgot", &unverified, UNVERIFIED, &unknown, UNKNOWN);
    let mut browser = Browser::new(&app);
    let known = browser
        .submit("/forgot-password", &[("email", KNOWN)])
        .await;
    let unknown = browser
        .submit("/forgot-password", &[("email", UNKNOWN)])
        .await;
    assert_eq!(known.status, StatusCode::OK);
    assert_same("page forgot", &known, KNOWN, &unknown, UNKNOWN);
    app.stop().await;
}

#[tokio::test]
async fn resend_verification_answers_the_same_for_every_address() {
    let app = app_with_users().await;
    let mut browser = Browser::new(&app);
    let mut api = async |email| {
        let body = json!({ "email": email });
        browser
            .api(Method::POST, "/resend-verification", Some(body))
            .await
    };
    let unverified = api(UNVERIFIED).await;
    let verified = api(KNOWN).await;
    let unknown = api(UNKNOWN).await;
    assert_eq!(unverified.status, StatusCode::ACCEPTED);
    assert_same("JSON resend", &unverified, UNVERIFIED, &unknown, UNKNOWN);
    assert_same("JSON resend", &verified, KNOWN, &unknown, UNKNOWN);
    let mut browser = Browser::new(&app);
    let mut page = async |email| {
        let fields = [("resend_email", email)];
        browser.submit("/verify-email/resend", &fields).await
    };
    let unverified = page(UNVERIFIED).await;
    let unknown = page(UNKNOWN).await;
    assert_eq!(unverified.status, StatusCode::OK);
    assert_same("page resend", &unverified, UNVERIFIED, &unknown, UNKNOWN);
    app.stop().await;
}

#[tokio::test]
async fn sign_up_with_a_taken_address_answers_like_a_new_one() {
    let app = app_with_users().await;
    let mut browser = Browser::new(&app);
    let mut api = async |email| {
        let body = json!({ "email": email, "password": PASSWORD });
        browser.api(Method::POST, "/sign-up", Some(body)).await
    };
    let taken = api(KNOWN).await;
    let new = api("newcomer@example.com").await;
    assert_eq!(taken.status, StatusCode::ACCEPTED, "{}", taken.body);
    assert_same("JSON sign-up", &taken, KNOWN, &new, "newcomer@example.com");
    let mut browser = Browser::new(&app);
    let mut page = async |email| {
        let fields = [("email", email), ("password", PASSWORD)];
        browser.submit("/sign-up", &fields).await
    };
    let taken = page(UNVERIFIED).await;
    let new = page("second@example.com").await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.body);
    assert_same(
        "page sign-up",
        &taken,
        UNVERIFIED,
        &new,
        "second@example.com",
    );
    app.stop().await;
}
