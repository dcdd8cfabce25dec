//! Two-step sign-in on a real store: TOTP enrolment checked by an independent TOTP
//! implementation, replay refusal, recovery codes, challenge attempt caps, step-up, the
//! last-factor rule, administrative reset, the policy's grace period, and one code accepted
//! once across two nodes.

use std::time::Duration;

use aws_lc_rs::hmac;
use chrono::Duration as Span;
use gatehouse_domain::{
    Clock,
    accounts::{
        AccountError, SignInStep, SignedIn, authenticate, change_password, request_password_reset,
        reset_password, sign_in,
    },
    mfa::{self, Completed, StepUp},
    store::AuditFilter,
};

use super::support::{PASSWORD, context, mail, token, verified_user};
use crate::support::TestApp;

/// RFC 4648 base32 (no padding), written here so the test does not share code with the server.
fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits: u64 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let value = ALPHABET
            .iter()
            .position(|a| *a == c.to_ascii_uppercase())
            .unwrap() as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

/// RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s) with aws-lc-rs: independent of totp-rs.
fn independent_code(seed: &[u8], unix_seconds: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, seed);
    let counter = (unix_seconds / 30) as u64;
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let digest = tag.as_ref();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = (u32::from(digest[offset] & 0x7f) << 24)
        | (u32::from(digest[offset + 1]) << 16)
        | (u32::from(digest[offset + 2]) << 8)
        | u32::from(digest[offset + 3]);
    format!("{:06}", binary % 1_000_000)
}

/// A verified, signed-in user with a confirmed authenticator app; its seed and recovery codes.
async fn enrolled(app: &TestApp, email: &str) -> (SignedIn, Vec<u8>, Vec<String>) {
    let signed_in = verified_user(app, email).await;
    let accounts = &app.services.accounts;
    let enrolment = mfa::begin_totp(accounts, &signed_in.user, "Phone")
        .await
        .unwrap();
    assert!(
        enrolment.uri.starts_with("otpauth://totp/"),
        "{}",
        enrolment.uri
    );
    let seed = base32_decode(&enrolment.secret);
    assert_eq!(seed.len(), 20, "160-bit seed");
    let now = app.clock.now().timestamp();
    let codes = mfa::confirm_totp(
        accounts,
        &context(),
        &signed_in.user,
        enrolment.device_id,
        &independent_code(&seed, now),
    )
    .await
    .unwrap()
    .unwrap_or_else(|| panic!("the first factor comes with recovery codes"));
    // The confirming code's step is used: the next code comes from the next step.
    app.clock.advance(Span::seconds(30));
    (signed_in, seed, codes)
}

async fn challenge(app: &TestApp, email: &str) -> String {
    match sign_in(&app.services.accounts, &context(), email, PASSWORD)
        .await
        .unwrap()
    {
        SignInStep::SecondFactor { token, enrol } => {
            assert!(!enrol);
            token
        }
        SignInStep::SignedIn(_) => panic!("a user with a second factor got a session"),
    }
}

fn session_of(completed: Completed) -> SignedIn {
    match completed {
        Completed::SignedIn(signed_in) => *signed_in,
        Completed::SteppedUp { .. } => panic!("expected a sign-in"),
    }
}

#[tokio::test]
async fn a_code_from_an_independent_implementation_signs_in_once() {
    let app = TestApp::spawn().await;
    let (_, seed, codes) = enrolled(&app, "tia@example.com").await;
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|code| code.len() == 14));
    let accounts = &app.services.accounts;
    let token = challenge(&app, "tia@example.com").await;
    let code = independent_code(&seed, app.clock.now().timestamp());
    let signed_in = session_of(
        mfa::verify_totp(accounts, &context(), &token, &code)
            .await
            .unwrap(),
    );
    assert_eq!(signed_in.session.amr, r#"["pwd","otp","mfa"]"#);
    assert_eq!(signed_in.session.authenticated_at, app.clock.now());
    assert!(
        authenticate(accounts, &signed_in.token)
            .await
            .unwrap()
            .is_some()
    );
    // The challenge is used up, and the same code on a new sign-in is a replay.
    assert!(matches!(
        mfa::verify_totp(accounts, &context(), &token, &code).await,
        Err(AccountError::ChallengeExpired)
    ));
    let again = challenge(&app, "tia@example.com").await;
    assert!(matches!(
        mfa::verify_totp(accounts, &context(), &again, &code).await,
        Err(AccountError::InvalidFactorCode)
    ));
    // One step later (within ±1) the previous step's code is still a replay; a fresh one works.
    app.clock.advance(Span::seconds(30));
    let fresh = independent_code(&seed, app.clock.now().timestamp());
    session_of(
        mfa::verify_totp(accounts, &context(), &again, &fresh)
            .await
            .unwrap(),
    );
    let events = app
        .services
        .store
        .audit()
        .list(&AuditFilter::default(), None, 100)
        .await
        .unwrap();
    let actions: Vec<&str> = events.rows.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"mfa.enrolled"), "{actions:?}");
    assert!(actions.contains(&"mfa.challenge"), "{actions:?}");
    app.stop().await;
}

#[tokio::test]
async fn codes_two_steps_away_are_refused_and_one_step_is_accepted() {
    let app = TestApp::spawn().await;
    let (_, seed, _) = enrolled(&app, "ugo@example.com").await;
    let accounts = &app.services.accounts;
    let now = app.clock.now().timestamp();
    let token = challenge(&app, "ugo@example.com").await;
    for offset in [-2_i64, 2] {
        let code = independent_code(&seed, now + offset * 30);
        if code != independent_code(&seed, now)
            && code != independent_code(&seed, now - 30)
            && code != independent_code(&seed, now + 30)
        {
            assert!(matches!(
                mfa::verify_totp(accounts, &context(), &token, &code).await,
                Err(AccountError::InvalidFactorCode)
            ));
        }
    }
    let ahead = independent_code(&seed, now + 30);
    session_of(
        mfa::verify_totp(accounts, &context(), &token, &ahead)
            .await
            .unwrap(),
    );
    app.stop().await;
}

#[tokio::test]
async fn a_challenge_dies_after_the_allowed_wrong_answers() {
    let app = TestApp::spawn().await;
    enrolled(&app, "vic@example.com").await;
    let accounts = &app.services.accounts;
    let token = challenge(&app, "vic@example.com").await;
    let allowed = accounts.settings.mfa.challenge_attempts;
    for attempt in 1..=allowed {
        let result = mfa::verify_totp(accounts, &context(), &token, "000000").await;
        if attempt < allowed {
            assert!(
                matches!(result, Err(AccountError::InvalidFactorCode)),
                "{result:?}"
            );
        } else {
            assert!(
                matches!(result, Err(AccountError::ChallengeExpired)),
                "{result:?}"
            );
        }
    }
    assert!(mfa::pending(accounts, &token).await.unwrap().is_none());
    app.stop().await;
}

#[tokio::test]
async fn a_recovery_code_works_once_mails_the_user_and_regeneration_kills_the_old_ones() {
    let app = TestApp::spawn().await;
    let (signed_in, _, codes) = enrolled(&app, "wyn@example.com").await;
    let accounts = &app.services.accounts;
    let mails_before = app.mail.wait_for(0, Duration::ZERO).await.len();
    let token = challenge(&app, "wyn@example.com").await;
    let typed = codes[0].to_lowercase().replace('-', " ");
    let completed = session_of(
        mfa::verify_recovery_code(accounts, &context(), &token, &typed)
            .await
            .unwrap(),
    );
    assert_eq!(completed.session.amr, r#"["pwd","otp","mfa"]"#);
    let notice = mail(&app, mails_before + 1).await;
    let body = notice.text_body().unwrap_or_default();
    assert!(body.contains("recovery code"), "{body}");
    assert!(
        body.contains("left: 9") || body.contains("9 unused"),
        "remaining count: {body}"
    );
    let again = challenge(&app, "wyn@example.com").await;
    assert!(matches!(
        mfa::verify_recovery_code(accounts, &context(), &again, &codes[0]).await,
        Err(AccountError::InvalidFactorCode)
    ));
    let current = authenticate(accounts, &completed.token)
        .await
        .unwrap()
        .unwrap();
    let fresh = mfa::regenerate_recovery_codes(accounts, &context(), &current)
        .await
        .unwrap();
    assert_eq!(fresh.len(), 10);
    assert!(matches!(
        mfa::verify_recovery_code(accounts, &context(), &again, &codes[1]).await,
        Err(AccountError::InvalidFactorCode)
    ));
    session_of(
        mfa::verify_recovery_code(accounts, &context(), &again, &fresh[0])
            .await
            .unwrap(),
    );
    let factors = mfa::factors(accounts, signed_in.user.id()).await.unwrap();
    assert_eq!(factors.recovery_codes_remaining, 9);
    app.stop().await;
}

#[tokio::test]
async fn sensitive_changes_need_a_recent_second_factor() {
    let app = TestApp::spawn().await;
    let (_, seed, _) = enrolled(&app, "xan@example.com").await;
    let accounts = &app.services.accounts;
    let token = challenge(&app, "xan@example.com").await;
    let code = independent_code(&seed, app.clock.now().timestamp());
    let signed_in = session_of(
        mfa::verify_totp(accounts, &context(), &token, &code)
            .await
            .unwrap(),
    );
    app.clock.advance(Span::minutes(11));
    let current = authenticate(accounts, &signed_in.token)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        change_password(
            accounts,
            &context(),
            &current,
            PASSWORD,
            "quiet harbour violin sketch"
        )
        .await,
        Err(AccountError::StepUpRequired)
    ));
    // Password first, then the second factor; the session is refreshed in place.
    let StepUp::SecondFactor { token } = mfa::reauthenticate_with_password(
        accounts,
        &context(),
        &current,
        PASSWORD,
        Some("/account/password".to_owned()),
    )
    .await
    .unwrap() else {
        panic!("a user with MFA must give the second factor too");
    };
    let code = independent_code(&seed, app.clock.now().timestamp());
    let renewed = match mfa::verify_totp(accounts, &context(), &token, &code)
        .await
        .unwrap()
    {
        Completed::SteppedUp { next, token } => {
            assert_eq!(next.as_deref(), Some("/account/password"));
            token
        }
        Completed::SignedIn(_) => panic!("a step-up made a new session"),
    };
    // The same session under a new cookie value; the old one is dead (ASVS 7.2.4).
    assert!(
        authenticate(accounts, &signed_in.token)
            .await
            .unwrap()
            .is_none()
    );
    let current = authenticate(accounts, &renewed).await.unwrap().unwrap();
    assert_eq!(current.session.id, signed_in.session.id);
    assert_eq!(current.session.authenticated_at, app.clock.now());
    change_password(
        accounts,
        &context(),
        &current,
        PASSWORD,
        "quiet harbour violin sketch",
    )
    .await
    .unwrap();
    app.stop().await;
}

#[tokio::test]
async fn without_mfa_the_password_alone_refreshes_the_session() {
    let app = TestApp::spawn().await;
    let signed_in = verified_user(&app, "yas@example.com").await;
    let accounts = &app.services.accounts;
    app.clock.advance(Span::minutes(11));
    let current = authenticate(accounts, &signed_in.token)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        mfa::ensure_recent(accounts, &current).await,
        Err(AccountError::StepUpRequired)
    ));
    assert!(matches!(
        mfa::reauthenticate_with_password(
            accounts,
            &context(),
            &current,
            "wrong wrong wrong",
            None
        )
        .await,
        Err(AccountError::InvalidCredentials)
    ));
    let Ok(StepUp::Done { token }) =
        mfa::reauthenticate_with_password(accounts, &context(), &current, PASSWORD, None).await
    else {
        panic!("the password alone confirms a user without a second factor");
    };
    assert!(
        authenticate(accounts, &signed_in.token)
            .await
            .unwrap()
            .is_none()
    );
    let current = authenticate(accounts, &token).await.unwrap().unwrap();
    assert_eq!(current.session.id, signed_in.session.id);
    mfa::ensure_recent(accounts, &current).await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn the_last_second_factor_goes_only_with_a_single_factor_length_password() {
    let app = TestApp::spawn().await;
    let (_, seed, _) = enrolled(&app, "zed@example.com").await;
    let accounts = &app.services.accounts;
    let token = challenge(&app, "zed@example.com").await;
    let code = independent_code(&seed, app.clock.now().timestamp());
    let signed_in = session_of(
        mfa::verify_totp(accounts, &context(), &token, &code)
            .await
            .unwrap(),
    );
    let current = authenticate(accounts, &signed_in.token)
        .await
        .unwrap()
        .unwrap();
    // With MFA, 8 characters are enough.
    let short = "Vq7#mZ2!rk";
    let (token, _) = change_password(accounts, &context(), &current, PASSWORD, short)
        .await
        .unwrap();
    let current = authenticate(accounts, &token).await.unwrap().unwrap();
    let device = mfa::factors(accounts, current.user.id())
        .await
        .unwrap()
        .totp[0]
        .id;
    assert!(matches!(
        mfa::remove_factor(
            accounts,
            &context(),
            &current,
            mfa::FactorId::Totp(device),
            None
        )
        .await,
        Err(AccountError::Invalid {
            field: "password",
            ..
        })
    ));
    assert!(matches!(
        mfa::remove_factor(
            accounts,
            &context(),
            &current,
            mfa::FactorId::Totp(device),
            Some(short)
        )
        .await,
        Err(AccountError::PasswordTooShortForSingleFactor { minimum: 15 })
    ));
    assert!(
        mfa::factors(accounts, current.user.id())
            .await
            .unwrap()
            .has_second_factor()
    );
    let (token, _) = change_password(accounts, &context(), &current, short, PASSWORD)
        .await
        .unwrap();
    let current = authenticate(accounts, &token).await.unwrap().unwrap();
    mfa::remove_factor(
        accounts,
        &context(),
        &current,
        mfa::FactorId::Totp(device),
        Some(PASSWORD),
    )
    .await
    .unwrap();
    let factors = mfa::factors(accounts, current.user.id()).await.unwrap();
    assert!(!factors.has_second_factor());
    assert_eq!(
        factors.recovery_codes_remaining, 0,
        "recovery codes go with the last factor"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_password_reset_does_not_bypass_the_second_factor() {
    let app = TestApp::spawn().await;
    enrolled(&app, "abe@example.com").await;
    let accounts = &app.services.accounts;
    let before = app.mail.wait_for(0, Duration::ZERO).await.len();
    request_password_reset(accounts, &context(), "abe@example.com")
        .await
        .unwrap();
    let link = token(&mail(&app, before + 1).await, "/reset-password");
    reset_password(accounts, &context(), &link, "copper meadow lantern vortex")
        .await
        .unwrap();
    assert!(matches!(
        sign_in(
            accounts,
            &context(),
            "abe@example.com",
            "copper meadow lantern vortex"
        )
        .await
        .unwrap(),
        SignInStep::SecondFactor { enrol: false, .. }
    ));
    app.stop().await;
}

#[tokio::test]
async fn an_administrator_reset_removes_every_factor_and_tells_the_user() {
    let app = TestApp::spawn().await;
    let (signed_in, _, _) = enrolled(&app, "bea@example.com").await;
    let admin = verified_user(&app, "boss@example.com").await;
    let accounts = &app.services.accounts;
    let before = app.mail.wait_for(0, Duration::ZERO).await.len();
    let removed = mfa::reset_factors(accounts, &context(), admin.user.id(), signed_in.user.id())
        .await
        .unwrap();
    assert_eq!(removed, 11, "one app and ten recovery codes");
    assert!(
        !mfa::factors(accounts, signed_in.user.id())
            .await
            .unwrap()
            .has_second_factor()
    );
    let notice = mail(&app, before + 1).await;
    let body = notice.text_body().unwrap_or_default();
    assert!(body.contains("administrator"), "{body}");
    assert!(
        sign_in(accounts, &context(), "bea@example.com", PASSWORD)
            .await
            .unwrap()
            .signed_in()
            .is_some()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_required_policy_asks_for_enrolment_and_the_grace_period_ends() {
    let app = TestApp::spawn_with(|config| {
        config.mfa.policy = gatehouse::config::MfaPolicyConfig::Required;
        config.mfa.enrolment_grace_days = 7;
    })
    .await;
    let accounts = &app.services.accounts;
    // verified_user signs in and expects a session: sign up by hand instead.
    super::support::signed_up(&app, "cal@example.com").await;
    let SignInStep::SecondFactor { token, enrol: true } =
        sign_in(accounts, &context(), "cal@example.com", PASSWORD)
            .await
            .unwrap()
    else {
        panic!("a required policy must ask for enrolment");
    };
    let pending = mfa::pending(accounts, &token).await.unwrap().unwrap();
    assert_eq!(
        pending.may_skip_until,
        Some(app.clock.now() + Span::days(7))
    );
    session_of(
        mfa::skip_enrolment(accounts, &context(), &token)
            .await
            .unwrap(),
    );
    app.clock.advance(Span::days(8));
    let SignInStep::SecondFactor { token, enrol: true } =
        sign_in(accounts, &context(), "cal@example.com", PASSWORD)
            .await
            .unwrap()
    else {
        panic!("still not enrolled");
    };
    assert!(matches!(
        mfa::skip_enrolment(accounts, &context(), &token).await,
        Err(AccountError::Invalid { field: "mfa", .. })
    ));
    // Enrolling on the way finishes the sign-in with both factors.
    let pending = mfa::pending(accounts, &token).await.unwrap().unwrap();
    let enrolment = mfa::begin_totp(accounts, &pending.user, "").await.unwrap();
    let seed = base32_decode(&enrolment.secret);
    mfa::confirm_totp(
        accounts,
        &context(),
        &pending.user,
        enrolment.device_id,
        &independent_code(&seed, app.clock.now().timestamp()),
    )
    .await
    .unwrap();
    let signed_in = session_of(
        mfa::skip_enrolment(accounts, &context(), &token)
            .await
            .unwrap(),
    );
    assert!(signed_in.session.amr.contains("mfa"));
    app.stop().await;
}

#[tokio::test]
async fn the_same_code_on_two_nodes_at_once_is_accepted_exactly_once() {
    let app = TestApp::spawn().await;
    if app.services.store.backend() != gatehouse_domain::store::Backend::Postgres {
        // Two nodes need PostgreSQL (GATEHOUSE_TEST_BACKEND=postgres).
        app.stop().await;
        return;
    }
    // The user (and its verification mail) first: the second node's job runner would
    // deliver mail to its own listener.
    let (_, seed, _) = enrolled(&app, "dee@example.com").await;
    let other = app.second_node().await.unwrap();
    other.clock.advance(app.clock.now() - other.clock.now());
    let first = challenge(&app, "dee@example.com").await;
    let second = challenge(&app, "dee@example.com").await;
    let code = independent_code(&seed, app.clock.now().timestamp());
    let context = context();
    let (a, b) = tokio::join!(
        mfa::verify_totp(&app.services.accounts, &context, &first, &code),
        mfa::verify_totp(&other.services.accounts, &context, &second, &code),
    );
    let accepted = [&a, &b].iter().filter(|result| result.is_ok()).count();
    assert_eq!(accepted, 1, "{a:?} / {b:?}");
    assert!(
        [&a, &b]
            .iter()
            .any(|result| matches!(result, Err(AccountError::InvalidFactorCode)))
    );
    other.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn administrators_and_holders_of_required_roles_must_enrol_others_need_not() {
    use crate::http::console::{administrator, user_with_role};
    let app = TestApp::spawn_with(|config| {
        config.mfa.require_for_admins = true;
        config.mfa.required_roles = vec!["gatehouse:auditor".to_owned()];
    })
    .await;
    let admin = administrator(&app, "chief@example.com").await;
    user_with_role(&app, admin, "audit@example.com", Some("gatehouse:auditor")).await;
    user_with_role(&app, admin, "plain@example.com", None).await;
    let accounts = &app.services.accounts;
    for (email, must) in [
        ("chief@example.com", true),
        ("audit@example.com", true),
        ("plain@example.com", false),
    ] {
        let step = sign_in(accounts, &context(), email, PASSWORD)
            .await
            .unwrap();
        match (step, must) {
            (SignInStep::SecondFactor { enrol: true, .. }, true)
            | (SignInStep::SignedIn(_), false) => {}
            (other, _) => panic!("{email}: {other:?}"),
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_totp_seed_is_stored_sealed_never_in_clear() {
    let app = TestApp::spawn().await;
    let (signed_in, seed, _) = enrolled(&app, "eli@example.com").await;
    let devices = app
        .services
        .store
        .mfa()
        .totp_devices(signed_in.user.id())
        .await
        .unwrap();
    let stored = &devices[0].secret;
    assert!(
        !stored
            .windows(seed.len())
            .any(|window| window == seed.as_slice()),
        "the seed must not appear in the stored bytes"
    );
    assert!(
        stored.len() > seed.len() + 16,
        "sealed: key id, nonce and tag around it"
    );
    app.stop().await;
}
