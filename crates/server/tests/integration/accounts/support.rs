//! Shared steps: signing up and verifying through the real mail.

use std::time::Duration;

use gatehouse_domain::accounts::{
    RequestContext, SignUp, SignedIn, sign_in, sign_up, verify_with_link,
};
use gatehouse_mail::testing::ReceivedMail;

use crate::support::TestApp;

/// A password the policy accepts.
pub const PASSWORD: &str = "lantern orbit pickle marathon";

/// A request from a browser.
pub fn context() -> RequestContext {
    RequestContext {
        ip: None,
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Chrome/130".to_owned()),
        request_id: None,
        locale: None,
    }
}

/// Waits for the `count`th mail and returns it.
pub async fn mail(app: &TestApp, count: usize) -> ReceivedMail {
    let received = app.mail.wait_for(count, Duration::from_secs(10)).await;
    assert!(
        received.len() >= count,
        "expected {count} mails, got {}",
        received.len()
    );
    received[count - 1].clone()
}

/// The token of a `…?token=` link in `mail`.
pub fn token(mail: &ReceivedMail, path: &str) -> String {
    let link = mail
        .find_link(&format!("http://localhost:8080{path}?token="))
        .unwrap_or_else(|| panic!("no {path} link in {:?}", mail.text_body()));
    link.rsplit('=').next().unwrap().to_owned()
}

/// Signs up `email`, verifies it through the mailed link, and signs in.
pub async fn verified_user(app: &TestApp, email: &str) -> SignedIn {
    signed_up(app, email).await;
    sign_in(&app.services.accounts, &context(), email, PASSWORD)
        .await
        .unwrap()
        .signed_in()
        .unwrap()
}

/// Signs up `email` and verifies it through the mailed link.
pub async fn signed_up(app: &TestApp, email: &str) {
    let accounts = &app.services.accounts;
    let before = app.mail.wait_for(0, Duration::ZERO).await.len();
    sign_up(
        accounts,
        &context(),
        SignUp {
            email: email.to_owned(),
            password: PASSWORD.to_owned(),
            display_name: None,
        },
    )
    .await
    .unwrap();
    let verification = mail(app, before + 1).await;
    verify_with_link(accounts, &context(), &token(&verification, "/verify-email"))
        .await
        .unwrap();
}
