//! Forgotten passwords.

use gatehouse_domain::accounts::{
    AccountError, authenticate, request_password_reset, reset_password, sign_in,
};

use super::support::{PASSWORD, context, mail, token, verified_user};
use crate::support::TestApp;

const NEW_PASSWORD: &str = "velvet canyon tortoise umbrella";

#[tokio::test]
async fn a_reset_link_works_once_ends_every_session_and_mails_a_notice() {
    let app = TestApp::spawn().await;
    let signed_in = verified_user(&app, "kim@example.com").await;
    let accounts = &app.services.accounts;
    request_password_reset(accounts, &context(), "KIM@example.com")
        .await
        .unwrap();
    let link = token(&mail(&app, 2).await, "/reset-password");

    let weak = reset_password(accounts, &context(), &link, "passwordpassword")
        .await
        .unwrap_err();
    assert_eq!(weak.code(), "password_weak");
    reset_password(accounts, &context(), &link, NEW_PASSWORD)
        .await
        .unwrap();
    let notice = mail(&app, 3).await;
    assert_eq!(notice.recipients, vec!["kim@example.com".to_owned()]);

    let replay = reset_password(accounts, &context(), &link, "another fine long passphrase")
        .await
        .unwrap_err();
    assert!(matches!(replay, AccountError::InvalidLink));
    assert!(
        authenticate(accounts, &signed_in.token)
            .await
            .unwrap()
            .is_none(),
        "old sessions ended"
    );
    assert!(matches!(
        sign_in(accounts, &context(), "kim@example.com", PASSWORD).await,
        Err(AccountError::InvalidCredentials)
    ));
    assert!(
        sign_in(accounts, &context(), "kim@example.com", NEW_PASSWORD)
            .await
            .is_ok()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_reset_link_expires_after_ten_minutes() {
    let app = TestApp::spawn().await;
    verified_user(&app, "lee@example.com").await;
    let accounts = &app.services.accounts;
    request_password_reset(accounts, &context(), "lee@example.com")
        .await
        .unwrap();
    let link = token(&mail(&app, 2).await, "/reset-password");
    app.clock
        .advance(chrono::Duration::minutes(10) + chrono::Duration::seconds(1));
    let expired = reset_password(accounts, &context(), &link, NEW_PASSWORD)
        .await
        .unwrap_err();
    assert!(matches!(expired, AccountError::InvalidLink));
    app.stop().await;
}

#[tokio::test]
async fn a_newer_reset_link_replaces_the_older_one() {
    let app = TestApp::spawn().await;
    verified_user(&app, "max@example.com").await;
    let accounts = &app.services.accounts;
    request_password_reset(accounts, &context(), "max@example.com")
        .await
        .unwrap();
    let first = token(&mail(&app, 2).await, "/reset-password");
    request_password_reset(accounts, &context(), "max@example.com")
        .await
        .unwrap();
    let second = token(&mail(&app, 3).await, "/reset-password");
    assert!(matches!(
        reset_password(accounts, &context(), &first, NEW_PASSWORD).await,
        Err(AccountError::InvalidLink)
    ));
    reset_password(accounts, &context(), &second, NEW_PASSWORD)
        .await
        .unwrap();
    app.stop().await;
}

#[tokio::test]
async fn reset_requests_answer_the_same_for_unknown_addresses_and_send_nothing() {
    let app = TestApp::spawn().await;
    verified_user(&app, "ned@example.com").await;
    let accounts = &app.services.accounts;
    assert!(
        request_password_reset(accounts, &context(), "nobody@example.com")
            .await
            .is_ok()
    );
    assert!(
        request_password_reset(accounts, &context(), "ned@example.com")
            .await
            .is_ok()
    );
    let received = app
        .mail
        .wait_for(3, std::time::Duration::from_secs(5))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let received_later = app.mail.wait_for(0, std::time::Duration::ZERO).await;
    assert_eq!(received.len(), 2, "verification + one reset");
    assert_eq!(received_later.len(), 2);
    assert!(
        received
            .iter()
            .all(|mail| mail.recipients == vec!["ned@example.com".to_owned()])
    );
    app.stop().await;
}

#[tokio::test]
async fn two_nodes_redeeming_one_reset_link_at_once_succeed_once() {
    let app = TestApp::spawn().await;
    verified_user(&app, "oz@example.com").await;
    let accounts = app.services.accounts.clone();
    request_password_reset(&accounts, &context(), "oz@example.com")
        .await
        .unwrap();
    let link = token(&mail(&app, 2).await, "/reset-password");
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let accounts = accounts.clone();
            let link = link.clone();
            tokio::spawn(
                async move { reset_password(&accounts, &context(), &link, NEW_PASSWORD).await },
            )
        })
        .collect();
    let mut succeeded = 0;
    for task in tasks {
        if task.await.unwrap().is_ok() {
            succeeded += 1;
        }
    }
    assert_eq!(succeeded, 1);
    app.stop().await;
}
