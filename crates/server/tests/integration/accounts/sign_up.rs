//! Sign-up and email verification.

use gatehouse_domain::accounts::{
    AccountError, SignUp, resend_verification, sign_in, sign_up, verify_with_code, verify_with_link,
};

use super::support::{PASSWORD, context, mail, token, verified_user};
use crate::support::TestApp;

fn form(email: &str, password: &str) -> SignUp {
    SignUp {
        email: email.to_owned(),
        password: password.to_owned(),
        display_name: Some("Ada".to_owned()),
    }
}

#[tokio::test]
async fn sign_up_mails_a_link_and_a_code_and_sign_in_waits_for_verification() {
    let app = TestApp::spawn().await;
    let accounts = &app.services.accounts;
    sign_up(accounts, &context(), form("ada@example.com", PASSWORD))
        .await
        .unwrap();
    let verification = mail(&app, 1).await;
    assert_eq!(verification.recipients, vec!["ada@example.com".to_owned()]);
    let unverified = sign_in(accounts, &context(), "ada@example.com", PASSWORD)
        .await
        .unwrap_err();
    assert!(
        matches!(unverified, AccountError::EmailNotVerified),
        "{unverified:?}"
    );

    let link = token(&verification, "/verify-email");
    verify_with_link(accounts, &context(), &link).await.unwrap();
    let replayed = verify_with_link(accounts, &context(), &link)
        .await
        .unwrap_err();
    assert!(matches!(replayed, AccountError::InvalidLink));
    let signed_in = sign_in(accounts, &context(), "ADA@example.com", PASSWORD)
        .await
        .unwrap()
        .signed_in()
        .unwrap();
    assert_eq!(signed_in.user.email(), "ada@example.com");
    assert_eq!(signed_in.token.len(), 43);
    app.stop().await;
}

#[tokio::test]
async fn the_code_works_once_and_wrong_codes_are_capped() {
    let app = TestApp::spawn().await;
    let accounts = &app.services.accounts;
    sign_up(accounts, &context(), form("bo@example.com", PASSWORD))
        .await
        .unwrap();
    let code = mail(&app, 1).await.find_code().unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let error = verify_with_code(accounts, &context(), "bo@example.com", wrong)
            .await
            .unwrap_err();
        assert!(matches!(error, AccountError::InvalidCode), "{error:?}");
    }
    let capped = verify_with_code(accounts, &context(), "bo@example.com", &code)
        .await
        .unwrap_err();
    assert!(
        matches!(capped, AccountError::InvalidCode),
        "five wrong codes use the code up"
    );

    resend_verification(accounts, &context(), "bo@example.com")
        .await
        .unwrap();
    let fresh = mail(&app, 2).await.find_code().unwrap();
    verify_with_code(accounts, &context(), "bo@example.com", &fresh)
        .await
        .unwrap();
    let again = verify_with_code(accounts, &context(), "bo@example.com", &fresh)
        .await
        .unwrap_err();
    assert!(matches!(again, AccountError::InvalidCode));
    app.stop().await;
}

#[tokio::test]
async fn a_verification_link_expires_after_a_day_and_a_code_after_ten_minutes() {
    let app = TestApp::spawn().await;
    let accounts = &app.services.accounts;
    sign_up(accounts, &context(), form("cy@example.com", PASSWORD))
        .await
        .unwrap();
    let verification = mail(&app, 1).await;
    app.clock.advance(chrono::Duration::minutes(11));
    let code = verify_with_code(
        accounts,
        &context(),
        "cy@example.com",
        &verification.find_code().unwrap(),
    )
    .await
    .unwrap_err();
    assert!(matches!(code, AccountError::InvalidCode));
    app.clock.advance(chrono::Duration::hours(24));
    let link = verify_with_link(accounts, &context(), &token(&verification, "/verify-email"))
        .await
        .unwrap_err();
    assert!(matches!(link, AccountError::InvalidLink));
    app.stop().await;
}

#[tokio::test]
async fn signing_up_with_a_taken_address_answers_the_same_and_tells_the_owner() {
    let app = TestApp::spawn().await;
    let accounts = &app.services.accounts;
    verified_user(&app, "dee@example.com").await;
    let answer = sign_up(
        accounts,
        &context(),
        form("Dee@Example.com", "quiet harbour violin seventeen"),
    )
    .await;
    assert!(answer.is_ok(), "{answer:?}");
    let notice = mail(&app, 2).await;
    assert_eq!(notice.recipients, vec!["dee@example.com".to_owned()]);
    assert!(
        notice
            .find_link("http://localhost:8080/forgot-password")
            .is_some()
    );
    let still = sign_in(accounts, &context(), "dee@example.com", PASSWORD).await;
    assert!(still.is_ok(), "the original password still works");
    app.stop().await;
}

#[tokio::test]
async fn weak_passwords_and_bad_addresses_are_refused_with_reasons_and_change_nothing() {
    let app = TestApp::spawn().await;
    let accounts = &app.services.accounts;
    let cases = [
        ("ed@example.com", "short", "password_too_short"),
        ("ed@example.com", "passwordpassword", "password_weak"),
        ("ed@example.com", "ed@example.com1234", "password_weak"),
        ("not an address", PASSWORD, "invalid"),
    ];
    for (email, password, code) in cases {
        let error = sign_up(accounts, &context(), form(email, password))
            .await
            .unwrap_err();
        assert_eq!(error.code(), code, "{email} / {password}");
    }
    assert!(
        accounts
            .store
            .users()
            .by_email("ed@example.com")
            .await
            .unwrap()
            .is_none()
    );
    let turned_off = {
        let mut closed = accounts.clone();
        closed.settings.sign_up_enabled = false;
        sign_up(&closed, &context(), form("ed@example.com", PASSWORD))
            .await
            .unwrap_err()
    };
    assert!(matches!(turned_off, AccountError::SignUpDisabled));
    app.stop().await;
}
