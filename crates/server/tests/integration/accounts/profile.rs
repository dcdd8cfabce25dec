//! Changes a signed-in user makes: password, address, profile, sessions.

use gatehouse_domain::accounts::{
    AccountError, ProfileChanges, authenticate, change_email, change_password,
    confirm_email_change, list_sessions, revoke_other_sessions, revoke_session, sign_in,
    update_profile,
};

use super::support::{PASSWORD, context, mail, token, verified_user};
use crate::support::TestApp;

const NEW_PASSWORD: &str = "velvet canyon tortoise umbrella";

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_renews_the_session() {
    let app = TestApp::spawn().await;
    let first = verified_user(&app, "pat@example.com").await;
    let accounts = &app.services.accounts;
    let second = sign_in(accounts, &context(), "pat@example.com", PASSWORD)
        .await
        .unwrap()
        .signed_in()
        .unwrap();
    let current = authenticate(accounts, &first.token).await.unwrap().unwrap();

    let wrong = change_password(
        accounts,
        &context(),
        &current,
        "not my password",
        NEW_PASSWORD,
    )
    .await
    .unwrap_err();
    assert!(matches!(wrong, AccountError::InvalidCredentials));
    let (renewed, _) = change_password(accounts, &context(), &current, PASSWORD, NEW_PASSWORD)
        .await
        .unwrap();
    assert_ne!(renewed, first.token);
    assert!(
        authenticate(accounts, &first.token)
            .await
            .unwrap()
            .is_none(),
        "the old id is dead"
    );
    assert!(
        authenticate(accounts, &second.token)
            .await
            .unwrap()
            .is_none(),
        "other sessions ended"
    );
    assert!(
        authenticate(accounts, &renewed).await.unwrap().is_some(),
        "the renewed session works"
    );
    let notice = mail(&app, 2).await;
    assert_eq!(notice.recipients, vec!["pat@example.com".to_owned()]);
    app.stop().await;
}

#[tokio::test]
async fn changing_the_address_confirms_the_new_one_and_tells_the_old_one() {
    let app = TestApp::spawn().await;
    let signed_in = verified_user(&app, "quinn@example.com").await;
    let accounts = &app.services.accounts;
    let current = authenticate(accounts, &signed_in.token)
        .await
        .unwrap()
        .unwrap();
    let wrong = change_email(accounts, &context(), &current, "guess", "new@example.com")
        .await
        .unwrap_err();
    assert!(matches!(wrong, AccountError::InvalidCredentials));
    change_email(accounts, &context(), &current, PASSWORD, "new@example.com")
        .await
        .unwrap();
    let received = app
        .mail
        .wait_for(3, std::time::Duration::from_secs(10))
        .await;
    let confirm = received
        .iter()
        .find(|mail| mail.recipients == vec!["new@example.com".to_owned()])
        .unwrap();
    assert!(received.iter().any(|mail| {
        mail.recipients == vec!["quinn@example.com".to_owned()]
            && mail
                .find_link("http://localhost:8080/confirm-email")
                .is_none()
    }));
    confirm_email_change(accounts, &context(), &token(confirm, "/confirm-email"))
        .await
        .unwrap();
    assert!(
        sign_in(accounts, &context(), "new@example.com", PASSWORD)
            .await
            .is_ok()
    );
    assert!(matches!(
        sign_in(accounts, &context(), "quinn@example.com", PASSWORD).await,
        Err(AccountError::InvalidCredentials)
    ));
    app.stop().await;
}

#[tokio::test]
async fn the_new_address_cannot_be_someone_elses() {
    let app = TestApp::spawn().await;
    let signed_in = verified_user(&app, "ray@example.com").await;
    verified_user(&app, "sam@example.com").await;
    let accounts = &app.services.accounts;
    let current = authenticate(accounts, &signed_in.token)
        .await
        .unwrap()
        .unwrap();
    change_email(accounts, &context(), &current, PASSWORD, "SAM@example.com")
        .await
        .unwrap();
    let received = app
        .mail
        .wait_for(4, std::time::Duration::from_secs(10))
        .await;
    let confirm = received
        .iter()
        .find(|mail| {
            mail.find_link("http://localhost:8080/confirm-email")
                .is_some()
        })
        .unwrap();
    let taken = confirm_email_change(accounts, &context(), &token(confirm, "/confirm-email"))
        .await
        .unwrap_err();
    assert!(matches!(taken, AccountError::EmailTaken));
    app.stop().await;
}

#[tokio::test]
async fn profile_fields_are_validated_and_saved() {
    let app = TestApp::spawn().await;
    let signed_in = verified_user(&app, "tia@example.com").await;
    let accounts = &app.services.accounts;
    let current = authenticate(accounts, &signed_in.token)
        .await
        .unwrap()
        .unwrap();
    let changes = ProfileChanges {
        display_name: Some("Tia".to_owned()),
        locale: Some("de-AT".to_owned()),
        attributes: Some(serde_json::json!({ "team": "blue" })),
        ..ProfileChanges::default()
    };
    let saved = update_profile(accounts, &context(), &current, changes)
        .await
        .unwrap();
    assert_eq!(
        (saved.display_name.as_deref(), saved.locale.as_deref()),
        (Some("Tia"), Some("de-AT"))
    );
    for bad in [
        ProfileChanges {
            locale: Some("not a locale!".to_owned()),
            ..ProfileChanges::default()
        },
        ProfileChanges {
            picture_url: Some("http://insecure.example/p.png".to_owned()),
            ..ProfileChanges::default()
        },
        ProfileChanges {
            display_name: Some("x".repeat(201)),
            ..ProfileChanges::default()
        },
        ProfileChanges {
            attributes: Some(serde_json::json!([1, 2])),
            ..ProfileChanges::default()
        },
        ProfileChanges {
            attributes: Some(serde_json::json!({ "big": "y".repeat(20_000) })),
            ..ProfileChanges::default()
        },
    ] {
        assert!(matches!(
            update_profile(accounts, &context(), &current, bad).await,
            Err(AccountError::Invalid { .. })
        ));
    }
    let stored = accounts
        .store
        .users()
        .by_id(current.user.id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.display_name.as_deref(),
        Some("Tia"),
        "refused changes changed nothing"
    );
    app.stop().await;
}

#[tokio::test]
async fn sessions_are_listed_and_can_be_ended_one_by_one_or_all_but_this_one() {
    let app = TestApp::spawn().await;
    let first = verified_user(&app, "uma@example.com").await;
    let accounts = &app.services.accounts;
    let second = sign_in(accounts, &context(), "uma@example.com", PASSWORD)
        .await
        .unwrap()
        .signed_in()
        .unwrap();
    let third = sign_in(accounts, &context(), "uma@example.com", PASSWORD)
        .await
        .unwrap()
        .signed_in()
        .unwrap();
    let current = authenticate(accounts, &first.token).await.unwrap().unwrap();
    let listed = list_sessions(accounts, &current).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|session| session.user_agent.as_deref()
        == Some("Mozilla/5.0 (X11; Linux x86_64) Chrome/130")));

    assert!(
        revoke_session(accounts, &context(), &current, second.session.id)
            .await
            .unwrap()
    );
    assert!(
        !revoke_session(accounts, &context(), &current, second.session.id)
            .await
            .unwrap()
    );
    assert!(
        authenticate(accounts, &second.token)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        revoke_other_sessions(accounts, &context(), &current)
            .await
            .unwrap(),
        1
    );
    assert!(
        authenticate(accounts, &third.token)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        authenticate(accounts, &first.token)
            .await
            .unwrap()
            .is_some()
    );

    let stranger = verified_user(&app, "vic@example.com").await;
    let other = authenticate(accounts, &stranger.token)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !revoke_session(accounts, &context(), &other, first.session.id)
            .await
            .unwrap(),
        "only your own sessions"
    );
    app.stop().await;
}

#[tokio::test]
async fn guessing_the_current_password_with_a_stolen_session_is_throttled() {
    let app = TestApp::spawn().await;
    let signed_in = verified_user(&app, "wes@example.com").await;
    let accounts = &app.services.accounts;
    let current = authenticate(accounts, &signed_in.token)
        .await
        .unwrap()
        .unwrap();
    let free = accounts.settings.account_throttle.free_attempts;
    for _ in 0..free {
        let wrong = change_password(
            accounts,
            &context(),
            &current,
            "guess guess guess",
            NEW_PASSWORD,
        )
        .await
        .unwrap_err();
        assert!(matches!(wrong, AccountError::InvalidCredentials));
    }
    let blocked = change_password(accounts, &context(), &current, PASSWORD, NEW_PASSWORD)
        .await
        .unwrap_err();
    assert!(
        matches!(blocked, AccountError::Throttled { .. }),
        "{blocked:?}"
    );
    app.stop().await;
}
