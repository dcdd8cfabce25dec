//! The whole journey through the pages, as a browser without script walks it: every form is
//! filled from the HTML the server sent (its action, hidden fields and CSRF token), every mail
//! read from the SMTP listener.

use reqwest::StatusCode;

use super::browser::{
    Browser, NEW_PASSWORD, PASSWORD, Reply, SESSION, attribute, link_path, mail, tags,
};
use crate::support::TestApp;

const EMAIL: &str = "journey@example.com";

/// Submits the form of `page` whose action is `action`, with its hidden fields and `fields`.
async fn fill(
    browser: &mut Browser<'_>,
    page: &Reply,
    action: &str,
    fields: &[(&str, &str)],
) -> Reply {
    let marker = format!("action=\"{action}\"");
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no form for {action} in {}", page.body));
    let end = start + page.body[start..].find("</form>").unwrap();
    let form = &page.body[start..end];
    let mut hidden = Vec::new();
    for input in tags(form, "input") {
        if attribute(input, "type").as_deref() == Some("hidden") {
            let name = attribute(input, "name").unwrap();
            let value = attribute(input, "value").unwrap_or_default();
            hidden.push((name, value));
        }
    }
    assert!(
        hidden.iter().any(|(name, _)| name == "csrf_token"),
        "the {action} form carries a CSRF token"
    );
    let mut all: Vec<(&str, &str)> = hidden
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    all.extend_from_slice(fields);
    browser.post_form(action, &all).await
}

/// Follows a 303.
async fn follow(browser: &mut Browser<'_>, reply: &Reply) -> Reply {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let location = reply.location().to_owned();
    browser.get(&location).await
}

#[tokio::test]
async fn sign_up_verify_sign_in_list_sessions_change_password_and_sign_out_through_the_pages() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::new(&app).with_header(
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0",
    );

    // Sign up.
    let page = browser.get("/sign-up").await;
    let fields = [
        ("email", EMAIL),
        ("display_name", "Jo"),
        ("password", PASSWORD),
    ];
    let sent = fill(&mut browser, &page, "/sign-up", &fields).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(
        sent.body.contains("If this address needs verifying"),
        "{}",
        sent.body
    );
    let page = browser.get("/sign-in").await;
    let credentials = [("email", EMAIL), ("password", PASSWORD)];
    let unverified = fill(&mut browser, &page, "/sign-in", &credentials).await;
    assert_eq!(unverified.status, StatusCode::FORBIDDEN, "not verified yet");
    assert!(unverified.body.contains(r#"href="/verify-email""#));

    // The mail's link opens a page; its button verifies.
    let verification = mail(&app, 1).await;
    assert_eq!(verification.recipients, vec![EMAIL.to_owned()]);
    let page = browser
        .get(&link_path(&verification, "/verify-email"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let verified = fill(&mut browser, &page, "/verify-email", &[]).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    assert!(verified.body.contains(r#"href="/sign-in""#));

    // Sign in, coming back to where the browser was sent from.
    let bounced = browser.get("/account/sessions").await;
    assert_eq!(bounced.location(), "/sign-in?next=%2Faccount%2Fsessions");
    let page = follow(&mut browser, &bounced).await;
    let fields = [("email", EMAIL), ("password", PASSWORD)];
    let signed_in = fill(&mut browser, &page, "/sign-in", &fields).await;
    assert_eq!(signed_in.location(), "/account/sessions");
    let first_cookie = browser.cookie(SESSION).unwrap();

    // A second device signs in; the sessions page lists both and ends the other one.
    let mut phone = Browser::new(&app).with_header(
        "user-agent",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1",
    );
    let page = phone.get("/sign-in").await;
    let on_phone = fill(&mut phone, &page, "/sign-in", &fields).await;
    assert_eq!(on_phone.location(), "/account");
    let sessions = follow(&mut browser, &signed_in).await;
    assert_eq!(sessions.status, StatusCode::OK);
    assert_eq!(
        sessions.body.matches("<li class=\"session").count(),
        2,
        "{}",
        sessions.body
    );
    assert_eq!(sessions.body.matches("session-current").count(), 1);
    assert!(
        sessions.body.contains("Firefox on Linux"),
        "{}",
        sessions.body
    );
    assert!(sessions.body.contains("<dd>127.0.0.1</dd>"));
    let revoke_start = sessions.body.find("action=\"/account/sessions/").unwrap() + 8;
    let revoke_end = revoke_start + sessions.body[revoke_start..].find('"').unwrap();
    let revoke = sessions.body[revoke_start..revoke_end].to_owned();
    let revoked = fill(&mut browser, &sessions, &revoke, &[]).await;
    assert_eq!(
        revoked.location(),
        "/account/sessions?notice=session_revoked"
    );
    assert!(!phone.is_signed_in().await, "the phone is signed out");
    let sessions = follow(&mut browser, &revoked).await;
    assert_eq!(sessions.body.matches("<li class=\"session").count(), 1);

    // Change the password: the session continues under a new cookie.
    let page = browser.get("/account/password").await;
    let fields = [("current_password", PASSWORD), ("password", NEW_PASSWORD)];
    let changed = fill(&mut browser, &page, "/account/password", &fields).await;
    assert_eq!(changed.location(), "/account?notice=password_changed");
    assert_ne!(browser.cookie(SESSION).unwrap(), first_cookie);
    let account = follow(&mut browser, &changed).await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(
        account.body.contains("Your password has been changed."),
        "{}",
        account.body
    );
    assert!(account.body.contains(EMAIL));

    // Sign out with the button in the page header.
    let signed_out = fill(&mut browser, &account, "/sign-out", &[]).await;
    assert_eq!(signed_out.location(), "/sign-in?notice=signed_out");
    assert!(browser.cookie(SESSION).is_none());
    let page = follow(&mut browser, &signed_out).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(browser.get("/account").await.status, StatusCode::SEE_OTHER);

    // Only the new password opens the account now.
    let old = fill(
        &mut browser,
        &page,
        "/sign-in",
        &[("email", EMAIL), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = fill(
        &mut browser,
        &old,
        "/sign-in",
        &[("email", EMAIL), ("password", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(new.location(), "/account");
    app.stop().await;
}
