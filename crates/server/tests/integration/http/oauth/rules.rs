//! SECURITY.md "OAuth 2.0 / OpenID Connect", one test per rule.

use chrono::Duration;
use gatehouse_domain::Clock;
use gatehouse_domain::{
    accounts::digest,
    oauth::ClientSpec,
    store::{AuthCodeRow, new_id},
};
use reqwest::StatusCode;

use super::support::{
    REDIRECT, TestClient, authorize_path, code, jwt_parts, param, pkce_pair, post, redeem,
    register, token, web_client,
};
use crate::{
    http::account::browser::{Browser, audit, input_value, verified_user},
    support::TestApp,
};

async fn signed_in<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    verified_user(app, email).await;
    Browser::new(app).signed_in(email).await
}

#[tokio::test]
async fn redirect_uris_match_exactly_and_a_mismatch_is_an_error_page_never_a_redirect() {
    let app = TestApp::spawn().await;
    let client = web_client(&app, "skip", "EdDSA").await;
    let mut browser = signed_in(&app, "redirects@example.com").await;
    let (_, challenge) = pkce_pair();
    for variant in [
        "https://app.example.com/callback/",
        "https://APP.example.com/callback",
        "https://app.example.com/Callback",
        "https://app.example.com/callback?x=1",
        "https://app.example.com/callback#x",
        "https://app.example.com@evil.example/callback",
        "https://evil.example@app.example.com/callback",
        "https://app.example.com/callback/..;/evil",
        "https://app.example.com/%63allback",
        "https://app.example.com/callbаck",
        "https://app.example.com:443/callback",
        "http://app.example.com/callback",
        "https://app.example.com.evil.example/callback",
    ] {
        let reply = browser
            .get(&authorize_path(
                &client.id,
                &challenge,
                &[("redirect_uri", variant)],
            ))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{variant}: {}",
            reply.body
        );
        assert!(reply.header("location").is_none(), "{variant}");
        assert!(reply.body.contains("redirect_uri"), "{variant}");
    }
    // The registered one works.
    let reply = browser
        .get(&authorize_path(&client.id, &challenge, &[]))
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert!(reply.location().starts_with(&format!("{REDIRECT}?code=")));
    app.stop().await;
}

#[tokio::test]
async fn native_clients_may_use_any_loopback_port_and_nothing_else_varies() {
    let app = TestApp::spawn().await;
    let client = register(
        &app,
        ClientSpec {
            name: "Desktop".to_owned(),
            public: true,
            native: true,
            redirect_uris: vec!["http://127.0.0.1/callback".to_owned()],
            consent: Some("skip".to_owned()),
            ..ClientSpec::default()
        },
    )
    .await;
    let mut browser = signed_in(&app, "native@example.com").await;
    let (_, challenge) = pkce_pair();
    let good = browser
        .get(&authorize_path(
            &client.id,
            &challenge,
            &[("redirect_uri", "http://127.0.0.1:49152/callback")],
        ))
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
    assert!(
        good.location()
            .starts_with("http://127.0.0.1:49152/callback?code=")
    );
    for bad in [
        "http://127.0.0.1:49152/other",
        "http://localhost:49152/callback",
        "http://127.0.0.2:49152/callback",
    ] {
        let reply = browser
            .get(&authorize_path(
                &client.id,
                &challenge,
                &[("redirect_uri", bad)],
            ))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    app.stop().await;
}

#[tokio::test]
async fn pkce_s256_is_required_plain_is_refused_and_a_verifier_without_challenge_is_refused() {
    let app = TestApp::spawn().await;
    let client = web_client(&app, "skip", "EdDSA").await;
    let mut browser = signed_in(&app, "pkce@example.com").await;
    let (verifier, challenge) = pkce_pair();
    // No challenge at all.
    let path = authorize_path(&client.id, &challenge, &[])
        .replace(&format!("&code_challenge={challenge}"), "");
    let reply = browser.get(&path).await;
    let location = reply.location().to_owned();
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(param(&location, "state").as_deref(), Some("s-123"));
    // plain.
    let reply = browser
        .get(&authorize_path(
            &client.id,
            &verifier,
            &[("code_challenge_method", "plain")],
        ))
        .await;
    assert_eq!(
        param(reply.location(), "error").as_deref(),
        Some("invalid_request")
    );
    // A code issued without a challenge (as a downgrade would leave it) is not redeemed with
    // a verifier.
    let user = app
        .services
        .store
        .users()
        .by_email("pkce@example.com")
        .await
        .unwrap()
        .unwrap();
    let client_row = app
        .services
        .store
        .oauth()
        .client_by_client_id(&client.id)
        .await
        .unwrap()
        .unwrap();
    let now = app.clock.now();
    let mut transaction = app.services.store.begin().await.unwrap();
    transaction
        .insert_code(&AuthCodeRow {
            code_hash: digest("downgraded-code"),
            grant_id: new_id(),
            client_id: client_row.id,
            user_id: user.id,
            session_id: None,
            redirect_uri: REDIRECT.to_owned(),
            scope: "openid".to_owned(),
            audience: None,
            nonce: None,
            code_challenge: None,
            auth_time: now,
            amr: "[\"pwd\"]".to_owned(),
            acr: None,
            created_at: now,
            expires_at: now + Duration::seconds(60),
            consumed_at: None,
        })
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    let (status, body) = redeem(&app, &client, "downgraded-code", &verifier).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    // A wrong verifier fails; the right one works.
    let code_value = code(&mut browser, &client.id, &challenge).await;
    let (wrong, _) = pkce_pair();
    let (status, body) = redeem(&app, &client, &code_value, &wrong).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, body) = redeem(&app, &client, &code_value, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_code_works_once_within_a_minute_and_its_reuse_revokes_what_it_issued() {
    let app = TestApp::spawn().await;
    let client = web_client(&app, "skip", "EdDSA").await;
    let mut browser = signed_in(&app, "codes@example.com").await;
    let (verifier, challenge) = pkce_pair();
    // Expired after 60 s.
    let stale = code(&mut browser, &client.id, &challenge).await;
    app.clock.advance(Duration::seconds(61));
    let (status, body) = redeem(&app, &client, &stale, &verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // Used twice: the second fails and the first's tokens die.
    let fresh = code(&mut browser, &client.id, &challenge).await;
    let (status, first) = redeem(&app, &client, &fresh, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, second) = redeem(&app, &client, &fresh, &verifier).await;
    assert_eq!(
        (status, second["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let refresh = first["refresh_token"].as_str().unwrap();
    let (status, body) = token(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // The access token is no longer active (after this node's one-second liveness cache).
    app.clock.advance(Duration::seconds(2));
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let access = first["access_token"].as_str().unwrap();
    let (_, introspection) = post(&app, "/oauth2/introspect", &client, &[("token", access)]).await;
    assert_eq!(introspection["active"], false, "{introspection}");
    assert_eq!(audit(&app, "token.code_reused").await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn implicit_and_password_grants_do_not_exist() {
    let app = TestApp::spawn().await;
    let client = web_client(&app, "skip", "EdDSA").await;
    let mut browser = signed_in(&app, "implicit@example.com").await;
    let (_, challenge) = pkce_pair();
    for response_type in ["token", "id_token", "code token", "code id_token"] {
        let reply = browser
            .get(&authorize_path(
                &client.id,
                &challenge,
                &[("response_type", response_type)],
            ))
            .await;
        assert_eq!(
            param(reply.location(), "error").as_deref(),
            Some("unsupported_response_type"),
            "{response_type}"
        );
    }
    let (status, body) = token(
        &app,
        &client,
        &[
            ("grant_type", "password"),
            ("username", "implicit@example.com"),
            ("password", crate::http::account::browser::PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type");
    app.stop().await;
}

async fn first_tokens(app: &TestApp, client: &TestClient, email: &str) -> serde_json::Value {
    let mut browser = signed_in(app, email).await;
    let (verifier, challenge) = pkce_pair();
    let code_value = code(&mut browser, &client.id, &challenge).await;
    let (status, body) = redeem(app, client, &code_value, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn refresh(
    app: &TestApp,
    client: &TestClient,
    token_value: &str,
) -> (StatusCode, serde_json::Value) {
    token(
        app,
        client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", token_value),
        ],
    )
    .await
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_replayed_one_revokes_the_family() {
    let app = TestApp::spawn().await;
    let client = web_client(&app, "skip", "EdDSA").await;
    let first = first_tokens(&app, &client, "rotate@example.com").await;
    let one = first["refresh_token"].as_str().unwrap().to_owned();
    let (status, second) = refresh(&app, &client, &one).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let two = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(one, two);
    let (status, body) = refresh(&app, &client, &one).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, body) = refresh(&app, &client, &two).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(audit(&app, "token.refresh_reused").await.len(), 1);
    // Another client can neither use nor burn someone else's refresh token.
    let third = first_tokens(&app, &client, "rotate2@example.com").await;
    let victim = third["refresh_token"].as_str().unwrap();
    let other = web_client(&app, "skip", "EdDSA").await;
    let (status, _) = refresh(&app, &other, victim).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = refresh(&app, &client, victim).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.get("id_token").is_none(),
        "a refresh answers without a new ID token"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_concurrent_double_refresh_succeeds_at_most_once_and_revokes_the_family() {
    let app = TestApp::spawn().await;
    let client = web_client(&app, "skip", "EdDSA").await;
    let first = first_tokens(&app, &client, "race@example.com").await;
    let token_value = first["refresh_token"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let http = app.client.clone();
        let url = app.url("/oauth2/token");
        let id = client.id.clone();
        let secret = client.secret.clone();
        let body = crate::http::account::browser::form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &token_value),
        ]);
        tasks.push(tokio::spawn(async move {
            let response = http
                .post(url)
                .basic_auth(id, secret)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap();
            (status, body)
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    let winners: Vec<_> = results
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for (status, body) in results
        .iter()
        .filter(|(status, _)| *status != StatusCode::OK)
    {
        assert_eq!(*status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
    }
    // The replays revoked the family: the winner's new refresh token is dead too.
    let new_token = winners[0].1["refresh_token"].as_str().unwrap();
    let (status, _) = refresh(&app, &client, new_token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.stop().await;
}

#[tokio::test]
async fn refresh_tokens_end_at_their_absolute_lifetime_and_when_the_user_signs_out_everywhere() {
    let app = TestApp::spawn().await;
    let client = web_client(&app, "skip", "EdDSA").await;
    let first = first_tokens(&app, &client, "lifetime@example.com").await;
    let one = first["refresh_token"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::days(31));
    let (status, _) = refresh(&app, &client, &one).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let second = first_tokens(&app, &client, "everywhere@example.com").await;
    let mut browser = Browser::new(&app).signed_in("everywhere@example.com").await;
    let reply = browser
        .api(reqwest::Method::POST, "/sessions/revoke-others", None)
        .await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let (status, _) = refresh(&app, &client, second["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.stop().await;
}

#[tokio::test]
async fn the_management_audience_is_only_for_allow_listed_clients() {
    let app = TestApp::spawn().await;
    let outsider = register(
        &app,
        ClientSpec {
            name: "Third party".to_owned(),
            grant_types: vec!["client_credentials".to_owned()],
            ..ClientSpec::default()
        },
    )
    .await;
    let (status, body) = token(
        &app,
        &outsider,
        &[
            ("grant_type", "client_credentials"),
            ("resource", "gatehouse"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_target"))
    );
    let insider = register(
        &app,
        ClientSpec {
            name: "Automation".to_owned(),
            grant_types: vec!["client_credentials".to_owned()],
            audiences: vec!["gatehouse".to_owned()],
            roles: vec!["gatehouse:auditor".to_owned()],
            ..ClientSpec::default()
        },
    )
    .await;
    let (status, body) = token(&app, &insider, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (header, claims) = jwt_parts(body["access_token"].as_str().unwrap());
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(claims["aud"], "gatehouse");
    assert_eq!(claims["sub"], insider.id.as_str());
    assert_eq!(claims["client_id"], insider.id.as_str());
    let capabilities: Vec<&str> = claims["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(
        capabilities.contains(&"gatehouse:audit.read"),
        "{capabilities:?}"
    );
    assert!(
        !capabilities.contains(&"gatehouse:users.write"),
        "{capabilities:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn client_authentication_failures_are_401_with_a_challenge_and_audited() {
    let app = TestApp::spawn().await;
    let client = register(
        &app,
        ClientSpec {
            name: "Service".to_owned(),
            grant_types: vec!["client_credentials".to_owned()],
            ..ClientSpec::default()
        },
    )
    .await;
    let wrong = TestClient {
        id: client.id.clone(),
        secret: Some("not-the-secret".to_owned()),
    };
    let response = app
        .client
        .post(app.url("/oauth2/token"))
        .basic_auth(&wrong.id, wrong.secret.as_deref())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get("www-authenticate").is_some());
    assert_eq!(response.headers()["cache-control"], "no-store");
    // client_secret_post works too.
    let secret = client.secret.clone().unwrap();
    let response = app
        .client
        .post(app.url("/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::http::account::browser::form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client.id),
            ("client_secret", &secret),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Two methods at once are refused.
    let response = app
        .client
        .post(app.url("/oauth2/token"))
        .basic_auth(&client.id, Some(&secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::http::account::browser::form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", &secret),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(!audit(&app, "oauth.client_authentication").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn consent_is_asked_per_client_and_scope_remembered_reviewable_and_revocable() {
    let app = TestApp::spawn().await;
    let client = web_client(&app, "ask", "EdDSA").await;
    let first = first_tokens(&app, &client, "consent@example.com").await;
    let mut browser = Browser::new(&app).signed_in("consent@example.com").await;
    let (_, challenge) = pkce_pair();
    // Remembered: no consent page for the same scopes.
    let reply = browser
        .get(&authorize_path(&client.id, &challenge, &[]))
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    // prompt=consent asks again.
    let reply = browser
        .get(&authorize_path(
            &client.id,
            &challenge,
            &[("prompt", "consent")],
        ))
        .await;
    assert!(reply.body.contains("/oauth2/consent"), "{}", reply.body);
    // The user sees it and revokes it; the client's refresh token dies with it.
    let apps = browser.get("/account/apps").await;
    assert!(apps.body.contains("Example App"), "{}", apps.body);
    let row = app
        .services
        .store
        .oauth()
        .client_by_client_id(&client.id)
        .await
        .unwrap()
        .unwrap();
    let reply = browser
        .submit(&format!("/account/apps/{}/revoke", row.id), &[])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let (status, _) = refresh(&app, &client, first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let reply = browser
        .get(&authorize_path(&client.id, &challenge, &[]))
        .await;
    assert!(reply.body.contains("/oauth2/consent"), "{}", reply.body);
    // Denying sends access_denied back.
    let pending = input_value(&reply.body, "pending").unwrap();
    let denied = browser
        .submit(
            "/oauth2/consent",
            &[("pending", &pending), ("decision", "deny")],
        )
        .await;
    let url = super::support::return_url(&denied);
    assert_eq!(param(&url, "error").as_deref(), Some("access_denied"));
    assert!(!audit(&app, "consent.granted").await.is_empty());
    assert!(!audit(&app, "consent.revoked").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn prompt_none_answers_login_required_or_consent_required_instead_of_pages() {
    let app = TestApp::spawn().await;
    let client = web_client(&app, "ask", "EdDSA").await;
    let (_, challenge) = pkce_pair();
    let mut anonymous = Browser::new(&app);
    let reply = anonymous
        .get(&authorize_path(
            &client.id,
            &challenge,
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        param(reply.location(), "error").as_deref(),
        Some("login_required")
    );
    assert_eq!(
        param(reply.location(), "iss").as_deref(),
        Some(app.services.oauth.settings.issuer.as_str())
    );
    let mut browser = signed_in(&app, "silent@example.com").await;
    let reply = browser
        .get(&authorize_path(
            &client.id,
            &challenge,
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        param(reply.location(), "error").as_deref(),
        Some("consent_required")
    );
    // Not signed in and no prompt: to the sign-in page, coming back afterwards.
    let reply = anonymous
        .get(&authorize_path(
            &client.id,
            &challenge,
            &[("login_hint", "x@example.com")],
        ))
        .await;
    assert!(
        reply
            .location()
            .starts_with("/sign-in?next=%2Foauth2%2Fauthorize%2Fresume"),
        "{}",
        reply.location()
    );
    app.stop().await;
}

#[tokio::test]
async fn forged_and_mistyped_tokens_are_refused_by_userinfo_and_introspection() {
    let app = TestApp::spawn().await;
    let client = web_client(&app, "skip", "EdDSA").await;
    let tokens = first_tokens(&app, &client, "forged@example.com").await;
    let access = tokens["access_token"].as_str().unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let userinfo = |token: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/oauth2/userinfo"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(userinfo(access.to_owned()).await, StatusCode::OK);
    // An ID token is not an access token.
    assert_eq!(
        userinfo(id_token.to_owned()).await,
        StatusCode::UNAUTHORIZED
    );
    // alg none with the same claims.
    let (mut header, claims) = jwt_parts(access);
    header["alg"] = serde_json::json!("none");
    let encode = |value: &serde_json::Value| {
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            serde_json::to_vec(value).unwrap(),
        )
    };
    let unsigned = format!("{}.{}.", encode(&header), encode(&claims));
    assert_eq!(userinfo(unsigned).await, StatusCode::UNAUTHORIZED);
    // Signed by another key under Gatehouse's kid, with a jku pointing at that key.
    let (stranger, _) = gatehouse_domain::oauth::jose::KeyPair::generate(
        gatehouse_domain::oauth::jose::Algorithm::EdDsa,
    )
    .unwrap();
    let forged = stranger.sign("at+jwt", &claims).unwrap();
    assert_eq!(userinfo(forged.clone()).await, StatusCode::UNAUTHORIZED);
    let (_, introspection) = post(&app, "/oauth2/introspect", &client, &[("token", &forged)]).await;
    assert_eq!(introspection["active"], false);
    let (_, introspection) = post(&app, "/oauth2/introspect", &client, &[("token", access)]).await;
    assert_eq!(introspection["active"], true, "{introspection}");
    assert_eq!(introspection["client_id"], client.id.as_str());
    // Another client may not introspect it.
    let other = web_client(&app, "skip", "EdDSA").await;
    let (_, introspection) = post(&app, "/oauth2/introspect", &other, &[("token", access)]).await;
    assert_eq!(introspection["active"], false);
    app.stop().await;
}

#[tokio::test]
async fn logout_with_an_id_token_hint_ends_the_session_and_returns_to_a_registered_uri() {
    let app = TestApp::spawn().await;
    let client = web_client(&app, "skip", "ES256").await;
    verified_user(&app, "logout@example.com").await;
    let mut browser = Browser::new(&app).signed_in("logout@example.com").await;
    let (verifier, challenge) = pkce_pair();
    let code_value = code(&mut browser, &client.id, &challenge).await;
    let (_, tokens) = redeem(&app, &client, &code_value, &verifier).await;
    let hint = tokens["id_token"].as_str().unwrap();
    // An unregistered return address is an error page.
    let bad = browser
        .get(&format!(
            "/oauth2/logout?{}",
            crate::http::account::browser::form(&[
                ("id_token_hint", hint),
                ("post_logout_redirect_uri", "https://evil.example/bye"),
            ])
        ))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(browser.is_signed_in().await);
    let reply = browser
        .get(&format!(
            "/oauth2/logout?{}",
            crate::http::account::browser::form(&[
                ("id_token_hint", hint),
                ("post_logout_redirect_uri", "https://app.example.com/bye"),
                ("state", "bye-1"),
            ])
        ))
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), "https://app.example.com/bye?state=bye-1");
    assert!(!browser.is_signed_in().await);
    let (status, _) = refresh(&app, &client, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the session's grants end with it"
    );
    // Without a hint, the user confirms first.
    let mut other = Browser::new(&app).signed_in("logout@example.com").await;
    let reply = other.get("/oauth2/logout").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains("/oauth2/logout/confirm"));
    assert!(other.is_signed_in().await);
    let reply = other.submit("/oauth2/logout/confirm", &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(!other.is_signed_in().await);
    app.stop().await;
}
