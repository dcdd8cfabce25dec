//! Discovery, JWKS and key rotation; client-credentials tokens; introspection permissions.

use chrono::Duration;
use gatehouse_domain::{
    audit::Actor,
    oauth::{ClientSpec, jose::Algorithm},
};
use reqwest::StatusCode;

use super::support::{jwt_parts, post, register, token};
use crate::support::TestApp;

#[tokio::test]
async fn discovery_names_every_endpoint_and_allows_any_origin() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/.well-known/openid-configuration"))
        .header("origin", "https://spa.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let document: serde_json::Value = response.json().await.unwrap();
    let issuer = app.services.oauth.settings.issuer.clone();
    assert_eq!(document["issuer"], issuer.as_str());
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "introspection_endpoint",
        "revocation_endpoint",
        "end_session_endpoint",
    ] {
        let url = document[endpoint].as_str().unwrap();
        assert!(url.starts_with(&issuer), "{endpoint}: {url}");
    }
    assert_eq!(
        document["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        document["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(
        document["authorization_response_iss_parameter_supported"],
        true
    );
    app.stop().await;
}

#[tokio::test]
async fn a_rotated_key_is_published_before_it_signs_and_the_old_one_stays_published() {
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
    let kid = |token: &serde_json::Value| {
        let (header, _) = jwt_parts(token["access_token"].as_str().unwrap());
        header["kid"].as_str().unwrap().to_owned()
    };
    let (_, before) = token(&app, &client, &[("grant_type", "client_credentials")]).await;
    let old = kid(&before);
    let rotated = app
        .services
        .oauth
        .keys
        .rotate(&[Algorithm::EdDsa], Actor::System)
        .await
        .unwrap();
    let new = rotated[0].kid.clone();
    assert_ne!(old, new);
    let jwks: serde_json::Value = app.get("/oauth2/jwks").await.json().await.unwrap();
    let published: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|key| key["kid"].as_str())
        .collect();
    assert!(published.contains(&old.as_str()) && published.contains(&new.as_str()));
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|key| key.get("d").is_none())
    );
    // Not signing yet.
    let (_, still) = token(&app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(kid(&still), old);
    // After the publication lead it signs; the old key is still published for its tokens.
    app.clock.advance(Duration::minutes(11));
    tokio::time::sleep(std::time::Duration::from_millis(5_100)).await;
    let (_, after) = token(&app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(kid(&after), new);
    let (_, introspection) = post(
        &app,
        "/oauth2/introspect",
        &client,
        &[("token", after["access_token"].as_str().unwrap())],
    )
    .await;
    assert_eq!(introspection["active"], true, "{introspection}");
    let jwks: serde_json::Value = app.get("/oauth2/jwks").await.json().await.unwrap();
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|key| key["kid"] == old.as_str())
    );
    app.stop().await;
}

#[tokio::test]
async fn resource_servers_with_the_introspection_capability_may_introspect_any_token() {
    let app = TestApp::spawn().await;
    let service = register(
        &app,
        ClientSpec {
            name: "Service".to_owned(),
            grant_types: vec!["client_credentials".to_owned()],
            ..ClientSpec::default()
        },
    )
    .await;
    let resource_server = register(
        &app,
        ClientSpec {
            name: "Orders API".to_owned(),
            grant_types: vec!["client_credentials".to_owned()],
            roles: vec!["gatehouse:admin".to_owned()],
            ..ClientSpec::default()
        },
    )
    .await;
    let bystander = register(
        &app,
        ClientSpec {
            name: "Bystander".to_owned(),
            grant_types: vec!["client_credentials".to_owned()],
            ..ClientSpec::default()
        },
    )
    .await;
    let (_, issued) = token(&app, &service, &[("grant_type", "client_credentials")]).await;
    let access = issued["access_token"].as_str().unwrap();
    let (_, seen) = post(
        &app,
        "/oauth2/introspect",
        &resource_server,
        &[("token", access)],
    )
    .await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["client_id"], service.id.as_str());
    let (_, hidden) = post(&app, "/oauth2/introspect", &bystander, &[("token", access)]).await;
    assert_eq!(hidden, serde_json::json!({ "active": false }));
    let (_, own) = post(&app, "/oauth2/introspect", &service, &[("token", access)]).await;
    assert_eq!(own["active"], true);
    app.stop().await;
}

#[tokio::test]
async fn keys_past_their_rotation_age_are_rotated_and_expired_ones_pruned() {
    let app = TestApp::spawn().await;
    let keys = &app.services.oauth.keys;
    let first = keys.list().await.unwrap();
    let first = if first.is_empty() {
        keys.signer(Algorithm::EdDsa).await.unwrap();
        keys.list().await.unwrap()
    } else {
        first
    };
    assert!(
        keys.rotate_due().await.unwrap().is_empty(),
        "nothing is due yet"
    );
    app.clock.advance(Duration::days(91));
    let rotated = keys.rotate_due().await.unwrap();
    assert!(!rotated.is_empty());
    assert!(
        rotated
            .iter()
            .all(|key| !first.iter().any(|old| old.kid == key.kid))
    );
    // The old keys stay until every token they signed has expired, then go.
    assert_eq!(keys.prune().await.unwrap(), 0);
    app.clock.advance(Duration::days(2));
    assert!(keys.prune().await.unwrap() >= 1);
    app.stop().await;
}
