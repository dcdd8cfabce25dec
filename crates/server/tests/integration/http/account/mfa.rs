//! Two-step sign-in on the wire: adding an authenticator app through the pages (QR code, key,
//! recovery codes shown once), signing in through the second-step page, step-up redirects that
//! come back where the user was, the JSON twin, and the console's MFA page, reset and step-up.

use aws_lc_rs::hmac;
use chrono::Duration as Span;
use gatehouse_domain::Clock;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::browser::{Browser, PASSWORD, SESSION, input_value, verified_user};
use crate::{
    http::console::{administrator, user_id},
    support::TestApp,
};

const CHALLENGE: &str = "__Host-gatehouse_mfa";

fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut count, mut out) = (0_u64, 0, Vec::new());
    for c in text.bytes().filter(|c| c.is_ascii_alphanumeric()) {
        bits = (bits << 5) | ALPHABET.iter().position(|a| *a == c).unwrap() as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

fn code(seed: &[u8], unix_seconds: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, seed);
    let tag = hmac::sign(&key, &((unix_seconds / 30) as u64).to_be_bytes());
    let d = tag.as_ref();
    let o = usize::from(d[19] & 0x0f);
    let value = (u32::from(d[o] & 0x7f) << 24)
        | (u32::from(d[o + 1]) << 16)
        | (u32::from(d[o + 2]) << 8)
        | u32::from(d[o + 3]);
    format!("{:06}", value % 1_000_000)
}

/// The key shown on the setup page (`<code … data-totp-secret>KEY</code>`).
fn shown_secret(html: &str) -> String {
    let start = html.find("data-totp-secret>").unwrap() + "data-totp-secret>".len();
    let end = html[start..].find('<').unwrap();
    html[start..start + end].to_owned()
}

/// Adds an app through the pages; returns its seed.
async fn add_app(app: &TestApp, browser: &mut Browser<'_>) -> Vec<u8> {
    let page = browser.get("/account/mfa").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let started = browser
        .submit("/account/mfa/totp", &[("name", "Phone")])
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let setup_path = started.location().to_owned();
    assert!(setup_path.starts_with("/account/mfa/totp/"), "{setup_path}");
    let setup = browser.get(&setup_path).await;
    assert_eq!(setup.status, StatusCode::OK);
    assert!(setup.body.contains("<svg"), "a server-side QR code");
    assert!(!setup.body.contains("<script"));
    let seed = base32_decode(&shown_secret(&setup.body));
    assert_eq!(seed.len(), 20);
    let wrong = browser.submit(&setup_path, &[("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let now = app.clock.now().timestamp();
    let confirmed = browser
        .submit(&setup_path, &[("code", &code(&seed, now))])
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert_eq!(confirmed.header("cache-control"), Some("no-store"));
    assert_eq!(
        confirmed.body.matches("<li><code>").count(),
        10,
        "ten recovery codes"
    );
    app.clock.advance(Span::seconds(30));
    seed
}

#[tokio::test]
async fn an_app_added_through_the_pages_is_asked_for_at_the_next_sign_in() {
    let app = TestApp::spawn().await;
    verified_user(&app, "page@example.com").await;
    let mut browser = Browser::new(&app).signed_in("page@example.com").await;
    let seed = add_app(&app, &mut browser).await;

    let mut fresh = Browser::new(&app);
    let form = fresh
        .submit(
            "/sign-in",
            &[
                ("email", "page@example.com"),
                ("password", PASSWORD),
                ("next", "/account/sessions"),
            ],
        )
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER, "{}", form.body);
    assert_eq!(
        form.location(),
        "/sign-in/second-factor?next=%2Faccount%2Fsessions"
    );
    assert!(
        fresh.cookie(SESSION).is_none(),
        "no session before the second step"
    );
    let challenge = form.set_cookies(CHALLENGE);
    assert!(
        challenge[0].contains("HttpOnly") && challenge[0].contains("Secure"),
        "{challenge:?}"
    );
    let page = fresh.get(form.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        input_value(&page.body, "next").as_deref(),
        Some("/account/sessions")
    );
    let wrong = fresh
        .submit("/sign-in/second-factor", &[("code", "123456")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(fresh.cookie(SESSION).is_none());
    let right = fresh
        .submit(
            "/sign-in/second-factor",
            &[
                ("code", &code(&seed, app.clock.now().timestamp())),
                ("next", "/account/sessions"),
            ],
        )
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.body);
    assert_eq!(right.location(), "/account/sessions");
    assert!(fresh.cookie(SESSION).is_some());
    assert!(
        fresh.cookie(CHALLENGE).is_none(),
        "the challenge cookie is cleared"
    );
    assert!(fresh.is_signed_in().await);
    app.stop().await;
}

#[tokio::test]
async fn an_old_authentication_is_sent_to_confirm_identity_and_back() {
    let app = TestApp::spawn().await;
    verified_user(&app, "step@example.com").await;
    let mut browser = Browser::new(&app).signed_in("step@example.com").await;
    let seed = add_app(&app, &mut browser).await;
    // Adding the app upgraded this session (password, then the app's first code) …
    assert_eq!(
        browser.get("/account/password").await.status,
        StatusCode::OK
    );
    // … for ten minutes; then a step-up, with both factors.
    app.clock.advance(Span::minutes(11));
    let page = browser.get("/account/password").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location(),
        "/confirm-identity?next=%2Faccount%2Fpassword"
    );
    let prompt = browser.get(page.location()).await;
    assert_eq!(prompt.status, StatusCode::OK);
    let wrong = browser
        .submit(
            "/confirm-identity",
            &[
                ("current_password", "wrong wrong wrong"),
                ("next", "/account/password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let before = browser.cookie(SESSION).unwrap();
    let password = browser
        .submit(
            "/confirm-identity",
            &[
                ("current_password", PASSWORD),
                ("next", "/account/password"),
            ],
        )
        .await;
    assert_eq!(password.status, StatusCode::SEE_OTHER, "{}", password.body);
    assert_eq!(
        password.location(),
        "/sign-in/second-factor?next=%2Faccount%2Fpassword"
    );
    let second = browser
        .submit(
            "/sign-in/second-factor",
            &[
                ("code", &code(&seed, app.clock.now().timestamp())),
                ("next", "/account/password"),
            ],
        )
        .await;
    assert_eq!(second.status, StatusCode::SEE_OTHER, "{}", second.body);
    assert_eq!(second.location(), "/account/password");
    assert_eq!(
        browser.get("/account/password").await.status,
        StatusCode::OK
    );
    // The step-up gave the session a new cookie value; the old one is signed out.
    let after = browser.cookie(SESSION).unwrap();
    assert_ne!(before, after);
    let mut old = Browser::new(&app);
    old.set_cookie(SESSION, &before);
    assert!(!old.is_signed_in().await, "the pre-step-up cookie is dead");
    // Ten minutes later it is stale again.
    app.clock.advance(Span::minutes(11));
    assert_eq!(
        browser.get("/account/mfa").await.status,
        StatusCode::SEE_OTHER
    );
    let refused = browser.submit("/account/mfa/recovery-codes", &[]).await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(
        refused.location(),
        "/confirm-identity?next=%2Faccount%2Fmfa"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_json_twin_signs_in_with_a_second_step_and_guards_factor_changes() {
    let app = TestApp::spawn().await;
    verified_user(&app, "json@example.com").await;
    let mut browser = Browser::new(&app).signed_in("json@example.com").await;
    let started = browser
        .api(Method::POST, "/mfa/totp", Some(json!({ "name": "Watch" })))
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let body = started.json();
    let seed = base32_decode(body["secret"].as_str().unwrap());
    let id = body["id"].as_str().unwrap().to_owned();
    let confirm = browser
        .api(
            Method::POST,
            &format!("/mfa/totp/{id}/confirm"),
            Some(json!({ "code": code(&seed, app.clock.now().timestamp()) })),
        )
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert_eq!(
        confirm.json()["recovery_codes"].as_array().unwrap().len(),
        10
    );
    // Confirming the app upgraded the session; ten minutes on it may not change factors.
    let recent = browser.api(Method::POST, "/mfa/recovery-codes", None).await;
    assert_eq!(recent.status, StatusCode::OK, "{}", recent.body);
    app.clock.advance(Span::minutes(11));
    let stale = browser.api(Method::POST, "/mfa/recovery-codes", None).await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    assert_eq!(stale.json()["code"], "step_up_required");

    let mut other = Browser::new(&app);
    let first = other.sign_in("json@example.com", PASSWORD).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.json()["second_factor"]["required"], true);
    assert!(other.cookie(SESSION).is_none());
    let answered = other
        .api(
            Method::POST,
            "/sign-in/totp",
            Some(json!({ "code": code(&seed, app.clock.now().timestamp()) })),
        )
        .await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
    assert_eq!(
        answered.json()["session"]["amr"],
        json!(["pwd", "otp", "mfa"])
    );
    let factors = other.get("/account-api/mfa").await.json();
    assert_eq!(factors["totp"][0]["name"], "Watch");
    assert!(
        factors.to_string().find("secret").is_none(),
        "never the secret"
    );
    let fresh = other.api(Method::POST, "/mfa/recovery-codes", None).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
    app.stop().await;
}

#[tokio::test]
async fn the_console_shows_factors_resets_them_and_wants_a_recent_authentication() {
    let app = TestApp::spawn().await;
    administrator(&app, "root@example.com").await;
    verified_user(&app, "member@example.com").await;
    let member = user_id(&app, "member@example.com").await;
    let mut user = Browser::new(&app).signed_in("member@example.com").await;
    add_app(&app, &mut user).await;
    let mut admin = Browser::new(&app).signed_in("root@example.com").await;
    let page = admin.get(&format!("/console/users/{member}/mfa")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Phone"));
    assert!(!page.body.contains("data-totp-secret"));
    app.clock.advance(Span::minutes(11));
    let stale = admin
        .submit(&format!("/console/users/{member}/mfa/reset"), &[])
        .await;
    assert_eq!(stale.status, StatusCode::SEE_OTHER);
    assert_eq!(
        stale.location(),
        format!("/confirm-identity?next=%2Fconsole%2Fusers%2F{member}%2Fmfa")
    );
    let confirmed = admin
        .submit("/confirm-identity", &[("current_password", PASSWORD)])
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );
    let reset = admin
        .submit(&format!("/console/users/{member}/mfa/reset"), &[])
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER, "{}", reset.body);
    assert!(reset.location().ends_with("?notice=mfa_reset"));
    let factors = gatehouse_domain::mfa::factors(&app.services.accounts, member)
        .await
        .unwrap();
    assert!(!factors.has_second_factor());
    // Someone without the capability cannot.
    let denied = user
        .submit(&format!("/console/users/{member}/mfa/reset"), &[])
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    app.stop().await;
}
