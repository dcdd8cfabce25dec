//! `/api/v1/users`: the journey of an account through the API (create, read, search with
//! filters and cursor pagination, change, disable, enable, delete), each change audited;
//! idempotent creates; the last-administrator rule; disabling ends sessions and grants.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Api, expect, service_token, user_tokens};
use crate::{
    http::{
        account::browser::{Browser, PASSWORD, audit},
        console::administrator,
    },
    support::TestApp,
};
use gatehouse_domain::authorization::ADMIN_ROLE;

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_account_goes_through_its_whole_life_through_the_api() {
    let app = TestApp::spawn().await;
    administrator(&app, "root@example.com").await;
    let api = Api::new(&app, &service_token(&app, &[ADMIN_ROLE]).await);

    let created = api
        .post(
            "/api/v1/users",
            &json!({
                "email": "Ada@Example.com",
                "password": PASSWORD,
                "email_verified": true,
                "display_name": "Ada Lovelace",
                "locale": "en",
                "attributes": { "team": "engines" },
            }),
        )
        .await;
    let user = expect(&created, StatusCode::CREATED);
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(user["email"], "Ada@Example.com");
    assert_eq!(user["email_verified"], true);
    assert_eq!(user["status"], "active");
    assert_eq!(user["attributes"]["team"], "engines");
    // The new user can sign in with that password.
    let signed_in = Browser::new(&app).signed_in("ada@example.com").await;
    drop(signed_in);

    let taken = api
        .post("/api/v1/users", &json!({ "email": "ada@example.com" }))
        .await;
    assert_eq!(expect(&taken, StatusCode::CONFLICT)["code"], "email_taken");
    let weak = api
        .post(
            "/api/v1/users",
            &json!({ "email": "weak@example.com", "password": "password" }),
        )
        .await;
    let problem = expect(&weak, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "password");
    let unknown = api
        .post(
            "/api/v1/users",
            &json!({ "email": "x@example.com", "admin": true }),
        )
        .await;
    assert!(unknown.status.is_client_error(), "{}", unknown.body);

    let shown = expect(
        &api.get(&format!("/api/v1/users/{id}")).await,
        StatusCode::OK,
    );
    assert_eq!(shown["display_name"], "Ada Lovelace");
    let missing = api
        .get("/api/v1/users/00000000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(expect(&missing, StatusCode::NOT_FOUND)["code"], "not_found");
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json")
    );

    let patched = api
        .patch(
            &format!("/api/v1/users/{id}"),
            &json!({ "email": "ada@engines.example", "given_name": "Ada", "display_name": "" }),
        )
        .await;
    let patched = expect(&patched, StatusCode::OK);
    assert_eq!(patched["email"], "ada@engines.example");
    assert_eq!(
        patched["email_verified"], false,
        "a new address is unverified"
    );
    assert_eq!(patched["given_name"], "Ada");
    assert_eq!(patched["display_name"], Value::Null);

    let disabled = api
        .post(&format!("/api/v1/users/{id}/disable"), &json!({}))
        .await;
    assert_eq!(expect(&disabled, StatusCode::OK)["status"], "disabled");
    let search = api.get("/api/v1/users?status=disabled").await;
    assert_eq!(ids(&expect(&search, StatusCode::OK)), vec![id.clone()]);
    let enabled = api
        .post(&format!("/api/v1/users/{id}/enable"), &json!({}))
        .await;
    assert_eq!(expect(&enabled, StatusCode::OK)["status"], "active");

    let deleted = api.delete(&format!("/api/v1/users/{id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(
        api.get(&format!("/api/v1/users/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.delete(&format!("/api/v1/users/{id}")).await.status,
        StatusCode::NOT_FOUND
    );

    for action in [
        "user.created",
        "user.updated",
        "user.disabled",
        "user.enabled",
        "user.deleted",
    ] {
        let events = expect(
            &api.get(&format!("/api/v1/audit-events?action={action}"))
                .await,
            StatusCode::OK,
        );
        let event = &events["items"][0];
        assert_eq!(event["actor_kind"], "client", "{action}");
        assert_eq!(event["target"], format!("user:{id}"), "{action}");
    }
    let updated = audit(&app, "user.updated").await;
    let details: Value = serde_json::from_str(updated[0].details.as_deref().unwrap()).unwrap();
    assert_eq!(
        details["fields"],
        json!(["email", "email_verified", "display_name", "given_name"])
    );
    app.stop().await;
}

#[tokio::test]
async fn searches_filter_and_page_with_an_opaque_cursor() {
    let app = TestApp::spawn().await;
    administrator(&app, "root@example.com").await;
    let api = Api::new(&app, &service_token(&app, &[ADMIN_ROLE]).await);
    let mut made = Vec::new();
    for n in 0..5 {
        let body = json!({
            "email": format!("member{n}@shop.example"),
            "email_verified": n % 2 == 0,
            "display_name": format!("Member {n}"),
        });
        made.push(
            expect(&api.post("/api/v1/users", &body).await, StatusCode::CREATED)["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let first = expect(
        &api.get("/api/v1/users?q=SHOP.example&limit=2").await,
        StatusCode::OK,
    );
    assert_eq!(ids(&first), made[..2]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = expect(
        &api.get(&format!(
            "/api/v1/users?q=shop.example&limit=2&cursor={cursor}"
        ))
        .await,
        StatusCode::OK,
    );
    assert_eq!(ids(&second), made[2..4]);
    let cursor = second["next_cursor"].as_str().unwrap();
    let third = expect(
        &api.get(&format!(
            "/api/v1/users?q=shop.example&limit=2&cursor={cursor}"
        ))
        .await,
        StatusCode::OK,
    );
    assert_eq!(ids(&third), made[4..]);
    assert_eq!(third["next_cursor"], Value::Null);

    let verified = expect(
        &api.get("/api/v1/users?q=member&email_verified=true").await,
        StatusCode::OK,
    );
    assert_eq!(
        ids(&verified),
        vec![made[0].clone(), made[2].clone(), made[4].clone()]
    );
    let by_name = expect(&api.get("/api/v1/users?q=member%203").await, StatusCode::OK);
    assert_eq!(ids(&by_name), vec![made[3].clone()]);
    let everyone = expect(&api.get("/api/v1/users").await, StatusCode::OK);
    assert_eq!(everyone["items"].as_array().unwrap().len(), 6);

    for bad in [
        "/api/v1/users?limit=0",
        "/api/v1/users?limit=201",
        "/api/v1/users?cursor=not-a-cursor!",
        "/api/v1/users?status=sleeping",
        "/api/v1/users?email_verified=perhaps",
        "/api/v1/users?unknown=1",
    ] {
        let reply = api.get(bad).await;
        assert!(reply.status.is_client_error(), "{bad}: {}", reply.status);
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json"),
            "{bad}"
        );
    }
    let listed = audit(&app, "users.listed").await;
    assert!(!listed.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn creates_with_an_idempotency_key_happen_once() {
    let app = TestApp::spawn().await;
    administrator(&app, "root@example.com").await;
    let api = Api::new(&app, &service_token(&app, &[ADMIN_ROLE]).await);
    let body = json!({ "email": "once@example.com" });
    let key = [("idempotency-key", "create-once-1")];
    let first = api
        .send(Method::POST, "/api/v1/users", Some(&body), &key)
        .await;
    let created = expect(&first, StatusCode::CREATED);
    let again = api
        .send(Method::POST, "/api/v1/users", Some(&body), &key)
        .await;
    assert_eq!(expect(&again, StatusCode::CREATED), created);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let other = api
        .send(
            Method::POST,
            "/api/v1/users",
            Some(&json!({ "email": "twice@example.com" })),
            &key,
        )
        .await;
    assert_eq!(
        expect(&other, StatusCode::UNPROCESSABLE_ENTITY)["code"],
        "idempotency_key_reused"
    );
    assert_eq!(audit(&app, "user.created").await.len(), 2, "root and once@");
    // Another caller's keys are its own.
    let other_caller = Api::new(&app, &service_token(&app, &[ADMIN_ROLE]).await);
    let theirs = other_caller
        .send(
            Method::POST,
            "/api/v1/users",
            Some(&json!({ "email": "theirs@example.com" })),
            &key,
        )
        .await;
    expect(&theirs, StatusCode::CREATED);
    // A client's secret is replayed too, and is not stored in clear.
    let client = json!({ "name": "Backend", "grant_types": ["client_credentials"] });
    let key = [("idempotency-key", "client-1")];
    let made = expect(
        &api.send(Method::POST, "/api/v1/clients", Some(&client), &key)
            .await,
        StatusCode::CREATED,
    );
    let secret = made["client_secret"].as_str().unwrap();
    let replayed = expect(
        &api.send(Method::POST, "/api/v1/clients", Some(&client), &key)
            .await,
        StatusCode::CREATED,
    );
    assert_eq!(replayed["client_secret"], secret);
    let actor = format!(
        "client:{}",
        super::super::oauth::support::jwt_parts(&api.token).1["client_id"]
            .as_str()
            .unwrap()
    );
    let stored = app
        .services
        .store
        .oauth()
        .idempotent_response(&actor, "client-1")
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.body.contains(secret));
    let bad_key = api
        .send(
            Method::POST,
            "/api/v1/users",
            Some(&body),
            &[("idempotency-key", "")],
        )
        .await;
    assert_eq!(bad_key.status, StatusCode::BAD_REQUEST, "{}", bad_key.body);
    app.stop().await;
}

#[tokio::test]
async fn the_last_administrator_can_be_neither_disabled_nor_deleted() {
    let app = TestApp::spawn().await;
    let root = administrator(&app, "root@example.com").await;
    let api = Api::new(&app, &service_token(&app, &[ADMIN_ROLE]).await);
    for reply in [
        api.post(&format!("/api/v1/users/{root}/disable"), &json!({}))
            .await,
        api.delete(&format!("/api/v1/users/{root}")).await,
    ] {
        assert_eq!(
            expect(&reply, StatusCode::CONFLICT)["code"],
            "last_administrator"
        );
    }
    // With a second administrator, the first may go.
    let second = administrator(&app, "second@example.com").await;
    let disabled = api
        .post(&format!("/api/v1/users/{root}/disable"), &json!({}))
        .await;
    expect(&disabled, StatusCode::OK);
    // Now `second` is the last active one.
    let refused = api.delete(&format!("/api/v1/users/{second}")).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let deleted = api.delete(&format!("/api/v1/users/{root}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    app.stop().await;
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_oauth_grants() {
    let app = TestApp::spawn().await;
    administrator(&app, "root@example.com").await;
    administrator(&app, "victim@example.com").await;
    let victim = crate::http::console::user_id(&app, "victim@example.com").await;
    let mut browser = Browser::new(&app).signed_in("victim@example.com").await;
    let (access, _) = user_tokens(&app, "victim@example.com").await;
    let api = Api::new(&app, &service_token(&app, &[ADMIN_ROLE]).await);
    let sessions = expect(
        &api.get(&format!("/api/v1/users/{victim}/sessions")).await,
        StatusCode::OK,
    );
    assert_eq!(sessions["items"].as_array().unwrap().len(), 2, "{sessions}");
    let grants_before = app
        .services
        .store
        .oauth()
        .grants_for_user(victim, gatehouse_domain::Clock::now(&app.clock))
        .await
        .unwrap();
    assert_eq!(grants_before.len(), 1);

    expect(
        &api.post(&format!("/api/v1/users/{victim}/disable"), &json!({}))
            .await,
        StatusCode::OK,
    );
    assert!(!browser.is_signed_in().await, "the session ended");
    let own = Api::new(&app, &access).get("/api/v1/users").await;
    assert_eq!(own.status, StatusCode::UNAUTHORIZED);
    let grant = app
        .services
        .store
        .oauth()
        .grant(grants_before[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(grant.revoke_reason.as_deref(), Some("user_disabled"));
    let sessions = expect(
        &api.get(&format!("/api/v1/users/{victim}/sessions")).await,
        StatusCode::OK,
    );
    assert_eq!(sessions["items"], json!([]));
    app.stop().await;
}
