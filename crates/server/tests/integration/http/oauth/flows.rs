//! The rest of the protocol surface: private_key_jwt, form_post, re-authentication for
//! `prompt=login` and `max_age`, account choice, audiences with the user's capabilities, CORS,
//! logos, disabled clients and the aggregated audit of client-credentials grants.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Duration;
use gatehouse_domain::{
    Clock,
    authorization::{
        Admin, NewApi, NewCapability, NewRole, create_api, create_capability, create_role,
    },
    oauth::{
        ClientChange, ClientSpec, Operator, get_client,
        jose::{Algorithm, KeyPair},
        update_client,
    },
};
use reqwest::StatusCode;
use serde_json::json;

use super::support::{
    REDIRECT, TestClient, authorize_path, code, jwt_parts, param, pkce_pair, post, redeem,
    register, return_url, token, web_client,
};
use crate::{
    http::account::browser::{Browser, PASSWORD, audit, form, input_value, verified_user},
    support::TestApp,
};

#[tokio::test]
async fn private_key_jwt_authenticates_once_per_assertion() {
    let app = TestApp::spawn().await;
    let (key, _) = KeyPair::generate(Algorithm::Es256).unwrap();
    let jwks = json!({ "keys": [key.public_jwk()] }).to_string();
    let client = register(
        &app,
        ClientSpec {
            name: "Signed".to_owned(),
            grant_types: vec!["client_credentials".to_owned()],
            auth_method: Some("private_key_jwt".to_owned()),
            jwks: Some(jwks),
            ..ClientSpec::default()
        },
    )
    .await;
    assert!(client.secret.is_none());
    let now = app.clock.now().timestamp();
    let assertion = |jti: &str, aud: &str| {
        key.sign(
            "JWT",
            &json!({
                "iss": client.id, "sub": client.id, "aud": aud,
                "jti": jti, "iat": now, "exp": now + 60,
            }),
        )
        .unwrap()
    };
    let issuer = app.services.oauth.settings.issuer.clone();
    let send = |assertion: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/oauth2/token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[
                    ("grant_type", "client_credentials"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &assertion),
                ]))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let first = assertion("a-1", &format!("{issuer}/oauth2/token"));
    assert_eq!(send(first.clone()).await, StatusCode::OK);
    assert_eq!(
        send(first).await,
        StatusCode::UNAUTHORIZED,
        "replayed assertion"
    );
    assert_eq!(
        send(assertion("a-2", "https://elsewhere.example")).await,
        StatusCode::UNAUTHORIZED
    );
    let (stranger, _) = KeyPair::generate(Algorithm::Es256).unwrap();
    let forged = stranger
        .sign(
            "JWT",
            &json!({ "iss": client.id, "sub": client.id, "aud": issuer, "jti": "a-3", "exp": now + 60 }),
        )
        .unwrap();
    assert_eq!(send(forged).await, StatusCode::UNAUTHORIZED);
    assert_eq!(send(assertion("a-4", &issuer)).await, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn form_post_answers_with_a_form_aimed_at_the_redirect_uri() {
    let app = TestApp::spawn().await;
    let client = web_client(&app, "skip", "EdDSA").await;
    verified_user(&app, "formpost@example.com").await;
    let mut browser = Browser::new(&app).signed_in("formpost@example.com").await;
    let (_, challenge) = pkce_pair();
    let reply = browser
        .get(&authorize_path(
            &client.id,
            &challenge,
            &[("response_mode", "form_post")],
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(
        reply.body.contains(&format!("action=\"{REDIRECT}\"")),
        "{}",
        reply.body
    );
    assert!(input_value(&reply.body, "code").is_some());
    assert_eq!(input_value(&reply.body, "state").as_deref(), Some("s-123"));
    let csp = reply.header("content-security-policy").unwrap();
    assert!(
        csp.contains("form-action 'self' https://app.example.com"),
        "{csp}"
    );
    app.stop().await;
}

#[tokio::test]
async fn prompt_login_and_max_age_send_the_user_to_authenticate_again_and_back() {
    let app = TestApp::spawn().await;
    let client = web_client(&app, "skip", "EdDSA").await;
    verified_user(&app, "again@example.com").await;
    let mut browser = Browser::new(&app).signed_in("again@example.com").await;
    let (verifier, challenge) = pkce_pair();
    for extra in [("prompt", "login"), ("max_age", "60")] {
        if extra.0 == "max_age" {
            app.clock.advance(Duration::minutes(5));
        }
        let reply = browser
            .get(&authorize_path(&client.id, &challenge, &[extra]))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{extra:?}: {}",
            reply.body
        );
        let location = reply.location().to_owned();
        assert!(
            location.starts_with("/confirm-identity?next="),
            "{location}"
        );
        let next = param(&format!("http://x{location}"), "next").unwrap();
        // Coming back without authenticating again does not help.
        app.clock.advance(Duration::seconds(1));
        let back = browser.get(&next).await;
        assert!(
            back.location().starts_with("/confirm-identity"),
            "{extra:?}"
        );
        let confirmed = browser
            .submit(
                "/confirm-identity",
                &[("current_password", PASSWORD), ("next", &next)],
            )
            .await;
        assert_eq!(confirmed.location(), next);
        let done = browser.get(&next).await;
        let url = return_url(&done);
        let code_value = param(&url, "code").unwrap_or_else(|| panic!("{url}"));
        let (status, tokens) = redeem(&app, &client, &code_value, &verifier).await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        let (_, claims) = jwt_parts(tokens["id_token"].as_str().unwrap());
        assert_eq!(
            claims["auth_time"],
            app.clock.now().timestamp(),
            "{extra:?}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn select_account_lets_the_user_continue_or_switch() {
    let app = TestApp::spawn().await;
    let client = web_client(&app, "skip", "EdDSA").await;
    verified_user(&app, "chooser@example.com").await;
    let mut browser = Browser::new(&app).signed_in("chooser@example.com").await;
    let (_, challenge) = pkce_pair();
    let path = authorize_path(&client.id, &challenge, &[("prompt", "select_account")]);
    let page = browser.get(&path).await;
    assert!(page.body.contains("chooser@example.com"), "{}", page.body);
    let pending = input_value(&page.body, "pending").unwrap();
    let chosen = browser
        .submit(
            "/oauth2/authorize/select",
            &[("pending", &pending), ("choice", "continue")],
        )
        .await;
    assert!(param(&return_url(&chosen), "code").is_some());
    let page = browser.get(&path).await;
    let pending = input_value(&page.body, "pending").unwrap();
    let switched = browser
        .submit(
            "/oauth2/authorize/select",
            &[("pending", &pending), ("choice", "switch")],
        )
        .await;
    assert!(
        switched.location().starts_with("/sign-in?next="),
        "{}",
        switched.location()
    );
    assert!(!browser.is_signed_in().await);
    app.stop().await;
}

#[tokio::test]
async fn a_users_access_token_for_an_api_carries_their_capabilities_for_it_only() {
    let app = TestApp::spawn().await;
    verified_user(&app, "orders@example.com").await;
    let user = app
        .services
        .store
        .users()
        .by_email("orders@example.com")
        .await
        .unwrap()
        .unwrap();
    let deps = &app.services.oauth;
    let admin_user = gatehouse_domain::accounts::create_user(
        &app.services.accounts,
        gatehouse_domain::accounts::NewAccount {
            email: "root@example.com".to_owned(),
            password: PASSWORD.to_owned(),
            display_name: None,
        },
        true,
        true,
    )
    .await
    .unwrap();
    let admin = Admin {
        user_id: admin_user,
        context: Default::default(),
    };
    let authorization = gatehouse_domain::authorization::Authorization {
        store: app.services.store.clone(),
        keyring: app.services.keyring.clone(),
        clock: std::sync::Arc::new(app.clock.clone()),
        authorizer: app.services.authorizer.clone(),
    };
    let api = create_api(
        &authorization,
        &admin,
        NewApi {
            audience: "orders".to_owned(),
            name: "Orders".to_owned(),
            description: String::new(),
        },
    )
    .await
    .unwrap();
    let mut capabilities = Vec::new();
    for name in ["orders:read", "orders:refund"] {
        let row = create_capability(
            &authorization,
            &admin,
            NewCapability {
                api: api.id,
                name: name.to_owned(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
        capabilities.push(row.id);
    }
    let role = create_role(
        &authorization,
        &admin,
        NewRole {
            name: "clerk".to_owned(),
            description: String::new(),
            capabilities: vec![capabilities[0]],
            includes: vec![],
        },
    )
    .await
    .unwrap();
    gatehouse_domain::authorization::assign_role(
        &authorization,
        &admin,
        gatehouse_domain::authorization::Assignment {
            user: user.id,
            role: role.id,
            expires_at: None,
        },
    )
    .await
    .unwrap();
    let client = register(
        &app,
        ClientSpec {
            name: "Shop".to_owned(),
            redirect_uris: vec![REDIRECT.to_owned()],
            audiences: vec!["orders".to_owned()],
            consent: Some("skip".to_owned()),
            ..ClientSpec::default()
        },
    )
    .await;
    let mut browser = Browser::new(&app).signed_in("orders@example.com").await;
    let (verifier, challenge) = pkce_pair();
    let code_value = code(&mut browser, &client.id, &challenge).await;
    let (status, tokens) = redeem(&app, &client, &code_value, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let (_, claims) = jwt_parts(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], "orders");
    assert_eq!(claims["sub"], user.id.to_string());
    assert_eq!(claims["capabilities"], json!(["orders:read"]));
    assert_eq!(claims["amr"], json!(["pwd"]));
    // A resource the client may not have is refused at the authorization endpoint.
    let reply = browser
        .get(&authorize_path(
            &client.id,
            &challenge,
            &[("resource", "gatehouse")],
        ))
        .await;
    assert_eq!(
        param(reply.location(), "error").as_deref(),
        Some("invalid_target")
    );
    let _ = deps;
    app.stop().await;
}

#[tokio::test]
async fn token_and_userinfo_answer_cors_only_for_registered_web_origins() {
    let app = TestApp::spawn().await;
    let client = register(
        &app,
        ClientSpec {
            name: "SPA".to_owned(),
            public: true,
            redirect_uris: vec![REDIRECT.to_owned()],
            web_origins: vec!["https://app.example.com".to_owned()],
            consent: Some("skip".to_owned()),
            ..ClientSpec::default()
        },
    )
    .await;
    let preflight = |origin: &'static str| {
        let app = &app;
        async move {
            app.client
                .request(reqwest::Method::OPTIONS, app.url("/oauth2/token"))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .send()
                .await
                .unwrap()
        }
    };
    let allowed = preflight("https://app.example.com").await;
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let refused = preflight("https://evil.example").await;
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    verified_user(&app, "spa@example.com").await;
    let mut browser = Browser::new(&app).signed_in("spa@example.com").await;
    let (verifier, challenge) = pkce_pair();
    let code_value = code(&mut browser, &client.id, &challenge).await;
    let response = app
        .client
        .post(app.url("/oauth2/token"))
        .header("origin", "https://app.example.com")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("client_id", &client.id),
            ("code", &code_value),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert!(
        response
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_disabled_client_gets_nothing_and_an_uploaded_logo_is_served() {
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
    let row = app
        .services
        .store
        .oauth()
        .client_by_client_id(&client.id)
        .await
        .unwrap()
        .unwrap();
    let png = [
        b"\x89PNG\r\n\x1a\n".as_slice(),
        b"\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89",
    ]
    .concat();
    gatehouse_domain::oauth::set_client_logo(
        &app.services.oauth,
        &Operator::system(),
        row.id,
        Some(png.clone()),
    )
    .await
    .unwrap();
    let logo = app
        .get(&format!("/oauth2/clients/{}/logo", client.id))
        .await;
    assert_eq!(logo.status(), StatusCode::OK);
    assert_eq!(logo.headers()["content-type"], "image/png");
    assert_eq!(logo.bytes().await.unwrap().to_vec(), png);
    let html = gatehouse_domain::oauth::set_client_logo(
        &app.services.oauth,
        &Operator::system(),
        row.id,
        Some(b"<svg onload=alert(1)>".to_vec()),
    )
    .await;
    assert!(html.is_err());

    let (status, _) = token(&app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, StatusCode::OK);
    let (current, _) = get_client(&app.services.oauth, &Operator::system(), row.id)
        .await
        .unwrap();
    let spec = ClientSpec {
        name: current.row.name.clone(),
        grant_types: current.row.grant_types.clone(),
        ..ClientSpec::default()
    };
    update_client(
        &app.services.oauth,
        &Operator::system(),
        ClientChange {
            id: row.id,
            version: current.row.version,
            spec,
            disabled: true,
        },
    )
    .await
    .unwrap();
    let (status, body) = token(&app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn client_credentials_grants_are_audited_once_per_client_and_flush() {
    let app = TestApp::spawn().await;
    let client = register(
        &app,
        ClientSpec {
            name: "Busy".to_owned(),
            grant_types: vec!["client_credentials".to_owned()],
            ..ClientSpec::default()
        },
    )
    .await;
    for _ in 0..5 {
        let (status, _) = token(&app, &client, &[("grant_type", "client_credentials")]).await;
        assert_eq!(status, StatusCode::OK);
    }
    let written = gatehouse_domain::oauth::flush_grant_counts(&app.services.oauth)
        .await
        .unwrap();
    assert_eq!(written, 1);
    let events = audit(&app, "token.issued").await;
    let aggregated: Vec<_> = events
        .iter()
        .filter(|event| event.actor_id.as_deref() == Some(client.id.as_str()))
        .collect();
    assert_eq!(aggregated.len(), 1);
    let details: serde_json::Value =
        serde_json::from_str(aggregated[0].details.as_deref().unwrap()).unwrap();
    assert_eq!(details["count"], 5);
    // Failures are recorded one by one.
    let wrong = TestClient {
        id: client.id.clone(),
        secret: Some("wrong".to_owned()),
    };
    for _ in 0..2 {
        token(&app, &wrong, &[("grant_type", "client_credentials")]).await;
    }
    assert_eq!(audit(&app, "oauth.client_authentication").await.len(), 2);
    let _ = (post, URL_SAFE_NO_PAD.encode(b""));
    app.stop().await;
}
