//! Bad input (issue 3, "Bad input"): malformed or mistyped bodies, invalid UTF-8, over-long
//! fields and the wrong media type are refused with a 4xx that says what is wrong (problem+json
//! on the twin, a page for forms), never a 500, and change nothing.

use std::time::Duration;

use reqwest::{Method, StatusCode, header};
use serde_json::json;

use super::browser::{Browser, PASSWORD, Reply, SESSION, form, user_count, verified_user};
use crate::support::TestApp;

const EMAIL: &str = "kim@example.com";

/// Sends `body` as `content_type` to the twin's `path` with a valid CSRF header.
async fn raw_api(
    browser: &mut Browser<'_>,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Reply {
    let token = browser.csrf_token().await;
    let request = browser
        .request(Method::POST, &format!("/account-api{path}"))
        .header("x-csrf-token", token)
        .header(header::CONTENT_TYPE, content_type)
        .body(body);
    browser.send(request).await
}

/// Sends `body` (already encoded, CSRF token prepended) as a form to page `path`.
async fn raw_form(browser: &mut Browser<'_>, path: &str, body: &[u8]) -> Reply {
    let token = browser.csrf_token().await;
    let mut bytes = format!("csrf_token={token}&").into_bytes();
    bytes.extend_from_slice(body);
    let request = browser
        .request(Method::POST, path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(bytes);
    browser.send(request).await
}

/// An address of 300 characters.
fn long_email() -> String {
    let long = format!("{}@example.com", "a".repeat(288));
    assert_eq!(long.chars().count(), 300);
    long
}

fn assert_problem(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    let problem = reply.json();
    assert_eq!(problem["status"], status.as_u16());
    assert_eq!(problem["code"], code, "{problem}");
    assert!(reply.set_cookies(SESSION).is_empty());
}

/// Nothing happened: still one user, no session, no mail beyond the sign-up's.
async fn assert_unchanged(app: &TestApp, browser: &mut Browser<'_>) {
    assert_eq!(user_count(app).await, 1);
    assert!(!browser.is_signed_in().await);
    let mails = app.mail.wait_for(2, Duration::from_millis(300)).await;
    assert_eq!(mails.len(), 1, "no mail was queued");
}

#[tokio::test]
async fn malformed_json_and_invalid_utf8_are_400_problems() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let mut browser = Browser::new(&app);
    let json = "application/json";
    for (path, body) in [
        ("/sign-up", b"{\"email\":".to_vec()),
        ("/sign-in", b"{\"email\":\"kim@example.com\",".to_vec()),
        (
            "/sign-in",
            b"{\"email\":\"a@b.cd\",\"password\":\"x\"} trailing".to_vec(),
        ),
        ("/forgot-password", b"not json at all".to_vec()),
        ("/sign-up", Vec::new()),
    ] {
        let reply = raw_api(&mut browser, path, json, body).await;
        assert_problem(&reply, StatusCode::BAD_REQUEST, "malformed_json");
    }
    let mut invalid = b"{\"email\":\"new\xff\xfe@example.com\",\"password\":\"".to_vec();
    invalid.extend_from_slice(PASSWORD.as_bytes());
    invalid.extend_from_slice(b"\"}");
    let reply = raw_api(&mut browser, "/sign-up", json, invalid).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    let mut password = format!("{{\"email\":\"{EMAIL}\",\"password\":\"").into_bytes();
    password.extend_from_slice(b"lantern orbit \xc3\x28 pickle\"}");
    let reply = raw_api(&mut browser, "/sign-in", json, password).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_unchanged(&app, &mut browser).await;
    app.stop().await;
}

#[tokio::test]
async fn an_over_long_email_is_422_naming_the_field() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let mut browser = Browser::new(&app);
    let long = long_email();
    let calls = [
        ("/sign-up", json!({ "email": long, "password": PASSWORD })),
        ("/forgot-password", json!({ "email": long })),
        ("/resend-verification", json!({ "email": long })),
        (
            "/verify-email/code",
            json!({ "email": long, "code": "123456" }),
        ),
    ];
    for (path, body) in calls {
        let reply = browser.api(Method::POST, path, Some(body)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            reply.body
        );
        let problem = reply.json();
        assert_eq!(problem["errors"][0]["field"], "email", "{path}: {problem}");
    }
    // Past the edge's own limit the body is refused before any use case runs.
    let longer = format!("{}@example.com", "a".repeat(400));
    let body = json!({ "email": longer, "password": PASSWORD });
    let reply = browser.api(Method::POST, "/sign-in", Some(body)).await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "too_long");
    assert_eq!(reply.json()["errors"][0]["field"], "email");
    assert_unchanged(&app, &mut browser).await;
    app.stop().await;
}

#[tokio::test]
async fn sign_in_with_an_over_long_email_is_422_naming_the_field() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let mut browser = Browser::new(&app);
    // 300 characters: within the edge's 320, longer than any address (254).
    let reply = browser.sign_in(&long_email(), PASSWORD).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert_eq!(reply.json()["errors"][0]["field"], "email");
    assert_unchanged(&app, &mut browser).await;
    app.stop().await;
}

#[tokio::test]
async fn the_twin_refuses_other_media_types_with_415() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let mut browser = Browser::new(&app);
    let body = json!({ "email": "new@example.com", "password": PASSWORD }).to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "",
    ] {
        let reply = raw_api(
            &mut browser,
            "/sign-up",
            content_type,
            body.clone().into_bytes(),
        )
        .await;
        assert_problem(
            &reply,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        );
    }
    let fields = form(&[("email", EMAIL), ("password", PASSWORD)]);
    let form_body = raw_api(
        &mut browser,
        "/sign-in",
        "application/x-www-form-urlencoded",
        fields.into_bytes(),
    )
    .await;
    assert_eq!(form_body.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Unknown and mistyped members are the caller's mistake, named.
    let extra = json!({ "email": "new@example.com", "password": PASSWORD, "is_admin": true });
    let reply = browser.api(Method::POST, "/sign-up", Some(extra)).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    let typed = json!({ "email": 5, "password": PASSWORD });
    let reply = browser.api(Method::POST, "/sign-up", Some(typed)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.json()["errors"][0]["field"], "email");
    assert_unchanged(&app, &mut browser).await;
    app.stop().await;
}

#[tokio::test]
async fn forms_with_invalid_utf8_are_400_and_create_nothing() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let mut browser = Browser::new(&app);
    let password = form(&[("password", PASSWORD)]);
    let mut outcomes = Vec::new();
    for (path, body) in [
        // Percent-encoded bytes that are not UTF-8, in the password of an otherwise good form.
        (
            "/sign-up",
            format!("email=new%40example.com&{password}%FF%FE").into_bytes(),
        ),
        // The same bytes raw.
        (
            "/sign-up",
            [
                b"email=raw%40example.com&".as_slice(),
                password.as_bytes(),
                b"\xff",
            ]
            .concat(),
        ),
        (
            "/sign-in",
            format!("email=kim%40example.com%C3%28&{password}").into_bytes(),
        ),
        ("/forgot-password", b"email=%FF%FE%FD".to_vec()),
    ] {
        let reply = raw_form(&mut browser, path, &body).await;
        assert!(
            reply
                .header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        outcomes.push((path, reply.status));
    }
    let users = user_count(&app).await;
    let expected: Vec<_> = outcomes
        .iter()
        .map(|(path, _)| (*path, StatusCode::BAD_REQUEST))
        .collect();
    assert_eq!(
        outcomes, expected,
        "invalid UTF-8 is refused ({users} users now)"
    );
    assert_unchanged(&app, &mut browser).await;
    app.stop().await;
}

#[tokio::test]
async fn unreadable_forms_are_4xx_pages_never_500() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let mut browser = Browser::new(&app);
    let long = format!("email={}%40example.com&password=x", "a".repeat(400));
    for (path, body, status) in [
        (
            "/sign-in",
            b"email=kim%40example.com".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/sign-in",
            long.into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/sign-up",
            b"%%%&&&==".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/reset-password",
            b"token=&password=".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let reply = raw_form(&mut browser, path, &body).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.body);
        assert!(
            reply
                .header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
    }
    // A page form sent as JSON (with a valid token header) is the wrong media type.
    let token = browser.csrf_token().await;
    let request = browser
        .request(Method::POST, "/sign-in")
        .header("x-csrf-token", token)
        .json(&json!({ "email": EMAIL, "password": PASSWORD }));
    let reply = browser.send(request).await;
    assert_eq!(
        reply.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        reply.body
    );
    assert_unchanged(&app, &mut browser).await;
    app.stop().await;
}
