//! GET never changes state (SECURITY.md 3.5): opening a mailed link shows a page whose button
//! POSTs the token, so link scanners and prefetchers neither verify nor consume anything.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::browser::{
    Browser, NEW_PASSWORD, PASSWORD, input_value, link_path, mail, mail_count, unverified_user,
    verified_user,
};
use crate::support::TestApp;

#[tokio::test]
async fn opening_the_verification_link_shows_a_form_and_does_not_verify() {
    let app = TestApp::spawn().await;
    let verification = unverified_user(&app, "carol@example.com").await;
    let link = link_path(&verification, "/verify-email");
    let mut browser = Browser::new(&app);
    for _ in 0..3 {
        let page = browser.get(&link).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body
                .contains(r#"<form method="post" action="/verify-email">"#)
        );
    }
    let refused = browser.sign_in("carol@example.com", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(refused.json()["code"], "email_not_verified");
    // The button on the page is what verifies.
    let page = browser.get(&link).await;
    let fields = [
        ("csrf_token", input_value(&page.body, "csrf_token").unwrap()),
        ("token", input_value(&page.body, "token").unwrap()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let confirmed = browser.post_form("/verify-email", &fields).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    let signed_in = browser.sign_in("carol@example.com", PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    app.stop().await;
}

#[tokio::test]
async fn opening_the_reset_link_does_not_consume_the_token() {
    let app = TestApp::spawn().await;
    verified_user(&app, "dan@example.com").await;
    let mut browser = Browser::new(&app);
    let before = mail_count(&app);
    let requested = browser
        .api(
            Method::POST,
            "/forgot-password",
            Some(json!({ "email": "dan@example.com" })),
        )
        .await;
    assert_eq!(requested.status, StatusCode::ACCEPTED);
    let link = link_path(&mail(&app, before + 1).await, "/reset-password");
    for _ in 0..3 {
        let page = browser.get(&link).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(r#"action="/reset-password""#));
    }
    let page = browser.get(&link).await;
    let token = input_value(&page.body, "token").unwrap();
    let csrf = input_value(&page.body, "csrf_token").unwrap();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("password", NEW_PASSWORD),
    ];
    let reset = browser.post_form("/reset-password", &fields).await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let new = browser.sign_in("dan@example.com", NEW_PASSWORD).await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.body);
    let replayed = browser.post_form("/reset-password", &fields).await;
    assert_eq!(
        replayed.status,
        StatusCode::BAD_REQUEST,
        "a used link is dead"
    );
    app.stop().await;
}

#[tokio::test]
async fn get_on_state_changing_routes_is_refused_and_the_session_lives_on() {
    let app = TestApp::spawn().await;
    verified_user(&app, "erin@example.com").await;
    let mut browser = Browser::new(&app).signed_in("erin@example.com").await;
    for path in [
        "/sign-out",
        "/account/sessions/revoke-others",
        "/verify-email/resend",
        "/account-api/sign-out",
        "/account-api/sessions/revoke-others",
    ] {
        let reply = browser.get(path).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "GET {path}");
        assert!(browser.is_signed_in().await, "GET {path} ended the session");
    }
    app.stop().await;
}
