//! The pages themselves: `no-store` and CSP on pages with personal data (SECURITY.md 3.4,
//! 14.3.2), markup that a strict CSP allows (no inline script, handler or style) and that is
//! accessible (every visible input has a label), and the catalogue in the caller's language.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::browser::{Browser, Reply, attribute, tags, verified_user};
use crate::support::TestApp;

const EMAIL: &str = "paula@example.com";

/// Asserts the markup of `what` needs neither `unsafe-inline` nor a label it lacks.
fn assert_clean_markup(what: &str, html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"), "{what} is not a page");
    for script in tags(html, "script") {
        assert!(
            attribute(script, "src").is_some(),
            "{what}: inline {script}"
        );
    }
    assert!(tags(html, "style").is_empty(), "{what}: a <style> element");
    assert!(!html.contains("style="), "{what}: a style attribute");
    assert!(!html.contains("javascript:"), "{what}: a javascript: URL");
    for (index, _) in html.match_indices(" on") {
        let name: String = html[index + 3..]
            .chars()
            .take_while(char::is_ascii_lowercase)
            .collect();
        let after = &html[index + 3 + name.len()..];
        assert!(
            name.is_empty() || !after.starts_with('='),
            "{what}: an inline handler on{name}="
        );
    }
    let fields = [
        tags(html, "input"),
        tags(html, "select"),
        tags(html, "textarea"),
    ]
    .concat();
    for field in fields {
        let kind = attribute(field, "type").unwrap_or_else(|| "text".to_owned());
        if kind == "hidden" || kind == "submit" {
            continue;
        }
        let id = attribute(field, "id").unwrap_or_else(|| panic!("{what}: no id on {field}"));
        let labels = tags(html, "label")
            .into_iter()
            .filter(|label| attribute(label, "for").as_deref() == Some(id.as_str()))
            .count();
        assert_eq!(labels, 1, "{what}: {labels} labels for #{id}");
        let ids = html.matches(&format!(" id=\"{id}\"")).count();
        assert_eq!(ids, 1, "{what}: id {id} is not unique");
    }
}

fn assert_page(what: &str, reply: &Reply, status: StatusCode) {
    assert_eq!(reply.status, status, "{what}: {}", reply.body);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/html"),
        "{what}"
    );
    assert_clean_markup(what, &reply.body);
}

#[tokio::test]
async fn pages_with_personal_data_are_not_stored_and_carry_a_strict_csp() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let mut browser = Browser::new(&app).signed_in(EMAIL).await;
    for path in [
        "/account",
        "/account/sessions",
        "/account/password",
        "/account/email",
    ] {
        let reply = browser.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        if path == "/account" {
            assert!(reply.body.contains(EMAIL), "the page shows personal data");
        }
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{path}");
        let csp = reply.header("content-security-policy").unwrap();
        for directive in [
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(
                csp.contains(directive),
                "{path}: CSP lacks {directive}: {csp}"
            );
        }
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    }
    // The JSON twin's personal data is not stored either.
    let me = browser.get("/account-api/me").await;
    assert_eq!(me.header("cache-control"), Some("no-store"));
    app.stop().await;
}

#[tokio::test]
async fn signed_out_pages_have_no_inline_script_or_style_and_label_every_input() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::new(&app);
    for path in [
        "/sign-in",
        "/sign-in?notice=signed_out",
        "/sign-in?next=%2Faccount%2Fsessions",
        "/sign-up",
        "/verify-email",
        "/verify-email?token=abc",
        "/forgot-password",
        "/reset-password?token=abc",
        "/confirm-email?token=abc",
        "/setup?token=abc",
    ] {
        assert_page(path, &browser.get(path).await, StatusCode::OK);
    }
    let no_token = browser.get("/reset-password").await;
    assert_page("reset without token", &no_token, StatusCode::BAD_REQUEST);
    app.stop().await;
}

#[tokio::test]
async fn signed_in_pages_have_no_inline_script_or_style_and_label_every_input() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let _other = Browser::new(&app).signed_in(EMAIL).await;
    let mut browser = Browser::new(&app).signed_in(EMAIL).await;
    for path in [
        "/account",
        "/account?notice=profile_saved",
        "/account/password",
        "/account/email",
        "/account/sessions",
    ] {
        assert_page(path, &browser.get(path).await, StatusCode::OK);
    }
    let sessions = browser.get("/account/sessions").await;
    assert_eq!(
        sessions.body.matches("/revoke\"").count(),
        1,
        "the other session has a sign-out button"
    );
    app.stop().await;
}

#[tokio::test]
async fn form_errors_and_refusals_are_clean_pages_too() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let mut browser = Browser::new(&app);
    let wrong = [("email", EMAIL), ("password", "wrong wrong wrong wrong")];
    let failed = browser.submit("/sign-in", &wrong).await;
    assert_page("failed sign-in", &failed, StatusCode::UNAUTHORIZED);
    assert!(
        failed
            .body
            .contains("The email address or password is wrong.")
    );
    let short = [("email", "new@example.com"), ("password", "short")];
    let refused = browser.submit("/sign-up", &short).await;
    assert_page("short password", &refused, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains(r#"aria-describedby="password-hint password-error""#),
        "the error is tied to its field"
    );
    let bad = browser
        .submit(
            "/verify-email/resend",
            &[("resend_email", "not-an-address")],
        )
        .await;
    assert_page("bad address", &bad, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains(r##"href="#resend_email""##),
        "{}",
        bad.body
    );
    let forged = browser.post_form("/sign-in", &wrong).await;
    assert_page("CSRF refusal", &forged, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn accept_language_de_serves_the_pages_and_problems_in_german() {
    let app = TestApp::spawn().await;
    verified_user(&app, EMAIL).await;
    let mut browser = Browser::new(&app).with_header("accept-language", "de-DE,de;q=0.9,en;q=0.5");
    let page = browser.get("/sign-in").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"<html lang="de">"#));
    assert!(page.body.contains("Passwort vergessen?"), "{}", page.body);
    assert!(page.body.contains("E-Mail-Adresse"));
    assert!(!page.body.contains("Forgot"));
    let body = json!({ "email": EMAIL, "password": "wrong wrong wrong wrong" });
    let problem = browser.api(Method::POST, "/sign-in", Some(body)).await;
    assert_eq!(
        problem.json()["detail"],
        "E-Mail-Adresse oder Passwort ist falsch."
    );
    let mut english = Browser::new(&app);
    let page = english.get("/sign-in").await;
    assert!(page.body.contains(r#"<html lang="en">"#));
    assert!(!page.body.contains("Passwort vergessen?"));
    app.stop().await;
}
