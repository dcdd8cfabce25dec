//! Bearer authentication of `/api/v1` (RFC 6750): Gatehouse-issued access tokens for the
//! audience `gatehouse` only; everything else refused with 401 and a `WWW-Authenticate`
//! challenge — no credentials, another scheme, garbage, `alg: none`, a foreign key, edited
//! claims, an ID token, another audience, an expired token. A request with an
//! `Authorization` header is judged by it alone; a user's token acts with the user's live
//! capabilities; a disabled user's token stops working.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use gatehouse_domain::{
    accounts::RequestContext,
    authorization::{
        ADMIN_ROLE, AUDITOR_ROLE, Admin, USER_MANAGER_ROLE, Unassignment, unassign_role,
    },
    oauth::{
        ClientSpec,
        jose::{Algorithm, KeyPair},
    },
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Api, client_token, expect, service_token, user_tokens};
use crate::{
    http::{
        account::browser::{Browser, audit},
        console::{administrator, authorization, user_id, user_with_role},
        oauth::support::{jwt_parts, register},
    },
    support::TestApp,
};

fn challenge(reply: &crate::http::account::browser::Reply) -> String {
    reply
        .header("www-authenticate")
        .unwrap_or_else(|| panic!("no challenge ({}): {}", reply.status, reply.body))
        .to_owned()
}

fn assert_invalid_token(reply: &crate::http::account::browser::Reply, label: &str) {
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "{label}: {}",
        reply.body
    );
    assert!(
        challenge(reply).contains("error=\"invalid_token\""),
        "{label}: {}",
        challenge(reply)
    );
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{label}"
    );
    assert_eq!(reply.json()["code"], "invalid_token", "{label}");
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

#[tokio::test]
async fn only_gatehouse_access_tokens_for_the_audience_gatehouse_are_accepted() {
    let app = TestApp::spawn().await;
    administrator(&app, "root@example.com").await;
    let token = service_token(&app, &[ADMIN_ROLE]).await;
    let good = Api::new(&app, &token).get("/api/v1/users").await;
    expect(&good, StatusCode::OK);

    let none = app.get("/api/v1/users").await;
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        none.headers()["www-authenticate"],
        "Bearer realm=\"gatehouse\""
    );

    let basic = app
        .client
        .get(app.url("/api/v1/users"))
        .basic_auth("someone", Some("secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    assert!(
        basic.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer ")
    );

    let garbage = Api::new(&app, "abc.def.ghi").get("/api/v1/users").await;
    assert_invalid_token(&garbage, "garbage");

    let (header, claims) = jwt_parts(&token);
    let kid = header["kid"].as_str().unwrap().to_owned();
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "at+jwt", "kid": kid })),
        b64(&claims)
    );
    assert_invalid_token(
        &Api::new(&app, &unsigned).get("/api/v1/users").await,
        "alg none",
    );

    let (_, der) = KeyPair::generate(Algorithm::EdDsa).unwrap();
    let foreign = KeyPair::from_pkcs8(Algorithm::EdDsa, kid.clone(), &der).unwrap();
    let forged = foreign.sign("at+jwt", &claims).unwrap();
    assert_invalid_token(
        &Api::new(&app, &forged).get("/api/v1/users").await,
        "signed by another key",
    );

    let mut edited = claims.clone();
    edited["capabilities"] = json!(["gatehouse:users.read", "gatehouse:users.write"]);
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], b64(&edited), parts[2]);
    assert_invalid_token(
        &Api::new(&app, &tampered).get("/api/v1/users").await,
        "edited claims",
    );

    // A token of the same key, but typed as an ID token.
    let signer = app
        .services
        .oauth
        .keys
        .signer(Algorithm::EdDsa)
        .await
        .unwrap();
    let id_typed = signer.sign("JWT", &claims).unwrap();
    assert_invalid_token(
        &Api::new(&app, &id_typed).get("/api/v1/users").await,
        "typ JWT",
    );

    // A client not allow-listed for `gatehouse` gets tokens for itself only.
    let outsider = register(
        &app,
        ClientSpec {
            name: "Outsider".to_owned(),
            grant_types: vec!["client_credentials".to_owned()],
            ..ClientSpec::default()
        },
    )
    .await;
    let other_audience = client_token(&app, &outsider).await;
    assert_ne!(jwt_parts(&other_audience).1["aud"], "gatehouse");
    assert_invalid_token(
        &Api::new(&app, &other_audience).get("/api/v1/users").await,
        "another audience",
    );

    // Verified tokens are cached, but never past their expiry.
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    app.clock.advance(chrono::Duration::seconds(lifetime + 1));
    assert_invalid_token(
        &Api::new(&app, &token).get("/api/v1/users").await,
        "expired",
    );
    app.stop().await;
}

#[tokio::test]
async fn a_request_with_an_authorization_header_is_judged_by_it_alone() {
    let app = TestApp::spawn().await;
    administrator(&app, "root@example.com").await;
    let mut root = Browser::new(&app).signed_in("root@example.com").await;
    let by_session = root.get("/api/v1/users").await;
    expect(&by_session, StatusCode::OK);
    let csrf = root.csrf_token().await;
    let request = root
        .request(Method::GET, "/api/v1/users")
        .header("authorization", "Bearer not-a-token");
    let with_bad_header = root.send(request).await;
    assert_invalid_token(&with_bad_header, "session + bad bearer");
    // Changes by session still need the CSRF header; by bearer they do not.
    let body = json!({ "email": "new@example.com" });
    let request = root.request(Method::POST, "/api/v1/users").json(&body);
    assert_eq!(root.send(request).await.status, StatusCode::FORBIDDEN);
    let request = root
        .request(Method::POST, "/api/v1/users")
        .header("x-csrf-token", csrf)
        .json(&body);
    expect(&root.send(request).await, StatusCode::CREATED);
    let token = service_token(&app, &[ADMIN_ROLE]).await;
    let created = Api::new(&app, &token)
        .post("/api/v1/users", &json!({ "email": "other@example.com" }))
        .await;
    expect(&created, StatusCode::CREATED);
    app.stop().await;
}

#[tokio::test]
async fn a_service_account_lacking_the_capability_is_refused_and_the_refusal_audited() {
    let app = TestApp::spawn().await;
    administrator(&app, "root@example.com").await;
    let client = super::service_account(&app, &[AUDITOR_ROLE]).await;
    let token = client_token(&app, &client).await;
    let api = Api::new(&app, &token);
    expect(&api.get("/api/v1/audit-events").await, StatusCode::OK);
    let refused = api
        .post("/api/v1/users", &json!({ "email": "x@example.com" }))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(challenge(&refused).contains("insufficient_scope"));
    assert_eq!(refused.json()["code"], "forbidden");
    let denials = audit(&app, "authorization.denied").await;
    let denial = denials.last().unwrap();
    assert_eq!(denial.actor_kind, "client");
    assert_eq!(denial.actor_id.as_deref(), Some(client.id.as_str()));
    assert!(
        denial
            .details
            .as_deref()
            .unwrap()
            .contains("gatehouse:users.write")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_users_token_acts_with_their_live_capabilities_until_they_are_disabled() {
    let app = TestApp::spawn().await;
    let root = administrator(&app, "root@example.com").await;
    let manager = user_with_role(&app, root, "manager@example.com", Some(USER_MANAGER_ROLE)).await;
    let (access, id_token) = user_tokens(&app, "manager@example.com").await;
    let (_, claims) = jwt_parts(&access);
    assert_eq!(claims["sub"], manager.to_string());
    assert_eq!(claims["aud"], "gatehouse");

    let api = Api::new(&app, &access);
    expect(&api.get("/api/v1/users").await, StatusCode::OK);
    assert_eq!(api.get("/api/v1/roles").await.status, StatusCode::FORBIDDEN);
    // The check API: about oneself yes, about others no.
    let own = api
        .post(
            "/api/v1/authorize",
            &json!({ "subject": manager, "capability": "gatehouse:users.read" }),
        )
        .await;
    assert_eq!(expect(&own, StatusCode::OK)["allowed"], true);
    let other = api
        .post(
            "/api/v1/authorize",
            &json!({ "subject": root, "capability": "gatehouse:users.read" }),
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);

    assert_invalid_token(
        &Api::new(&app, &id_token).get("/api/v1/users").await,
        "ID token",
    );

    // Taking the role away counts at once, for the same token.
    let model = app.services.store.rbac().model().await.unwrap();
    let role = model
        .roles
        .iter()
        .find(|row| row.name == USER_MANAGER_ROLE)
        .unwrap()
        .id;
    let actor = Admin {
        user_id: root,
        context: RequestContext::default(),
    };
    unassign_role(
        &authorization(&app),
        &actor,
        Unassignment {
            user: manager,
            role,
        },
    )
    .await
    .unwrap();
    assert_eq!(api.get("/api/v1/users").await.status, StatusCode::FORBIDDEN);

    // Disabling the user ends their tokens (their grants are revoked).
    let admin = Api::new(&app, &service_token(&app, &[ADMIN_ROLE]).await);
    let disabled = admin
        .post(&format!("/api/v1/users/{manager}/disable"), &json!({}))
        .await;
    assert_eq!(expect(&disabled, StatusCode::OK)["status"], "disabled");
    assert_invalid_token(&api.get("/api/v1/users").await, "disabled user");
    assert_eq!(user_id(&app, "manager@example.com").await, manager);
    app.stop().await;
}
