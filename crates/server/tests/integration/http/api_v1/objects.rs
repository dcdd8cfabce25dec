//! The authorization model, clients, signing keys and the audit log through the API, by a
//! service account.

use gatehouse_domain::authorization::{ADMIN_ROLE, AUDITOR_ROLE};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Api, client_token, expect, service_token};
use crate::{
    http::{
        account::browser::audit,
        console::administrator,
        oauth::support::{TestClient, jwt_parts},
    },
    support::TestApp,
};

#[tokio::test]
async fn a_service_account_administers_apis_capabilities_roles_groups_and_assignments() {
    let app = TestApp::spawn().await;
    let root = administrator(&app, "root@example.com").await;
    let api = Api::new(&app, &service_token(&app, &[ADMIN_ROLE]).await);

    let shop = expect(
        &api.post(
            "/api/v1/apis",
            &json!({ "audience": "https://shop.example", "name": "Shop" }),
        )
        .await,
        StatusCode::CREATED,
    );
    let shop_id = shop["id"].as_str().unwrap();
    let refund = expect(
        &api.post(
            "/api/v1/capabilities",
            &json!({ "api": shop_id, "name": "orders:refund", "description": "Refund orders" }),
        )
        .await,
        StatusCode::CREATED,
    );
    let refund_id = refund["id"].as_str().unwrap();
    let listed = expect(
        &api.get(&format!("/api/v1/capabilities?api={shop_id}"))
            .await,
        StatusCode::OK,
    );
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    // Holders of gatehouse:admin may hand out other APIs' capabilities, service accounts too.
    let role = expect(
        &api.post(
            "/api/v1/roles",
            &json!({ "name": "support", "capabilities": [refund_id] }),
        )
        .await,
        StatusCode::CREATED,
    );
    let role_id = role["id"].as_str().unwrap();
    assert_eq!(role["capabilities"], json!([refund_id]));
    let renamed = api
        .patch(
            &format!("/api/v1/roles/{role_id}"),
            &json!({ "version": role["version"], "name": "support-agents" }),
        )
        .await;
    let renamed = expect(&renamed, StatusCode::OK);
    assert_eq!(renamed["name"], "support-agents");
    let stale = api
        .patch(
            &format!("/api/v1/roles/{role_id}"),
            &json!({ "version": role["version"], "name": "late" }),
        )
        .await;
    assert_eq!(expect(&stale, StatusCode::CONFLICT)["code"], "conflict");

    let roles = expect(&api.get("/api/v1/roles?limit=200").await, StatusCode::OK);
    let system = roles["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == ADMIN_ROLE)
        .unwrap()
        .clone();
    assert_eq!(system["system"], true);
    let locked = api
        .delete(&format!("/api/v1/roles/{}", system["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        expect(&locked, StatusCode::FORBIDDEN)["code"],
        "system_object"
    );

    let group = expect(
        &api.post(
            "/api/v1/groups",
            &json!({ "name": "Support team", "roles": [role_id] }),
        )
        .await,
        StatusCode::CREATED,
    );
    let group_id = group["id"].as_str().unwrap();
    let member = expect(
        &api.post("/api/v1/users", &json!({ "email": "agent@example.com" }))
            .await,
        StatusCode::CREATED,
    );
    let member_id = member["id"].as_str().unwrap();
    let added = api
        .post(
            &format!("/api/v1/groups/{group_id}/members"),
            &json!({ "user": member_id }),
        )
        .await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{}", added.body);
    let members = expect(
        &api.get(&format!("/api/v1/groups/{group_id}/members")).await,
        StatusCode::OK,
    );
    assert_eq!(members["members"], json!([member_id]));
    let held = expect(
        &api.get(&format!("/api/v1/users/{member_id}/roles")).await,
        StatusCode::OK,
    );
    assert_eq!(held["capabilities"][0]["name"], "orders:refund");
    assert_eq!(
        held["capabilities"][0]["granted_by"],
        json!(["support-agents"])
    );

    // Direct assignments, and the last administrator's role kept.
    let admin_id = system["id"].as_str().unwrap();
    let assigned = api
        .post(
            &format!("/api/v1/users/{member_id}/roles"),
            &json!({ "role": role_id }),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::NO_CONTENT, "{}", assigned.body);
    let kept = api
        .delete(&format!("/api/v1/users/{root}/roles/{admin_id}"))
        .await;
    assert_eq!(
        expect(&kept, StatusCode::CONFLICT)["code"],
        "last_administrator"
    );
    let unassigned = api
        .delete(&format!("/api/v1/users/{member_id}/roles/{role_id}"))
        .await;
    assert_eq!(unassigned.status, StatusCode::NO_CONTENT);

    for path in [
        format!("/api/v1/groups/{group_id}/members/{member_id}"),
        format!("/api/v1/groups/{group_id}"),
        format!("/api/v1/roles/{role_id}"),
        format!("/api/v1/capabilities/{refund_id}"),
        format!("/api/v1/apis/{shop_id}"),
    ] {
        let reply = api.delete(&path).await;
        assert_eq!(
            reply.status,
            StatusCode::NO_CONTENT,
            "{path}: {}",
            reply.body
        );
    }
    let created = audit(&app, "rbac.role_created").await;
    assert_eq!(created[0].actor_kind, "client");
    app.stop().await;
}

#[tokio::test]
async fn clients_and_signing_keys_are_managed_through_the_api() {
    let app = TestApp::spawn().await;
    administrator(&app, "root@example.com").await;
    let api = Api::new(&app, &service_token(&app, &[ADMIN_ROLE]).await);
    let made = expect(
        &api.post(
            "/api/v1/clients",
            &json!({
                "name": "Reporting",
                "grant_types": ["client_credentials"],
                "audiences": ["gatehouse"],
                "roles": [AUDITOR_ROLE],
            }),
        )
        .await,
        StatusCode::CREATED,
    );
    let client = &made["client"];
    let id = client["id"].as_str().unwrap();
    assert_eq!(client["roles"], json!([AUDITOR_ROLE]));
    let reporting = TestClient {
        id: client["client_id"].as_str().unwrap().to_owned(),
        secret: made["client_secret"].as_str().map(str::to_owned),
    };
    let reporting_token = client_token(&app, &reporting).await;
    let reporter = Api::new(&app, &reporting_token);
    expect(&reporter.get("/api/v1/audit-events").await, StatusCode::OK);
    assert_eq!(
        reporter.get("/api/v1/clients").await.status,
        StatusCode::FORBIDDEN
    );

    let listed = expect(&api.get("/api/v1/clients").await, StatusCode::OK);
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["id"] == id)
    );
    let mut settings = json!({
        "name": "Reporting (renamed)",
        "grant_types": ["client_credentials"],
        "audiences": ["gatehouse"],
        "roles": [AUDITOR_ROLE],
    });
    let updated = api
        .put(
            &format!("/api/v1/clients/{id}"),
            &json!({ "version": client["version"], "settings": settings }),
        )
        .await;
    assert_eq!(
        expect(&updated, StatusCode::OK)["name"],
        "Reporting (renamed)"
    );
    settings["name"] = json!("stale");
    let stale = api
        .put(
            &format!("/api/v1/clients/{id}"),
            &json!({ "version": client["version"], "settings": settings }),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);

    let rotated = expect(
        &api.post(&format!("/api/v1/clients/{id}/secret"), &json!({}))
            .await,
        StatusCode::OK,
    );
    assert_ne!(rotated["client_secret"], made["client_secret"]);
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let logo = app
        .client
        .put(app.url(&format!("/api/v1/clients/{id}/logo")))
        .bearer_auth(&api.token)
        .header("content-type", "image/png")
        .body(png)
        .send()
        .await
        .unwrap();
    assert_eq!(logo.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        api.delete(&format!("/api/v1/clients/{id}/logo"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.delete(&format!("/api/v1/clients/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get(&format!("/api/v1/clients/{id}")).await.status,
        StatusCode::NOT_FOUND
    );

    let keys = expect(&api.get("/api/v1/signing-keys").await, StatusCode::OK);
    let kid = jwt_parts(&api.token).0["kid"].as_str().unwrap().to_owned();
    let active = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["kid"] == kid.as_str())
        .unwrap_or_else(|| panic!("{keys}"));
    assert_eq!(active["state"], "active");
    assert_eq!(active["alg"], "EdDSA");
    assert!(active.get("private_key").is_none());
    let rotated = expect(
        &api.post(
            "/api/v1/signing-keys/rotate",
            &json!({ "algorithms": ["EdDSA"] }),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(rotated["items"][0]["state"], "next");
    let refused = api
        .post(
            "/api/v1/signing-keys/rotate",
            &json!({ "algorithms": ["none"] }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!audit(&app, "signing_key.rotated").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn the_audit_log_is_read_with_filters_and_personal_data_only_when_asked() {
    let app = TestApp::spawn().await;
    let root = administrator(&app, "root@example.com").await;
    let api = Api::new(&app, &service_token(&app, &[ADMIN_ROLE]).await);
    for n in 0..3 {
        expect(
            &api.post(
                "/api/v1/users",
                &json!({ "email": format!("person{n}@example.com") }),
            )
            .await,
            StatusCode::CREATED,
        );
    }
    let page = expect(
        &api.get("/api/v1/audit-events?action=user.created&limit=2")
            .await,
        StatusCode::OK,
    );
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(
        items[0]["position"].as_i64() > items[1]["position"].as_i64(),
        "newest first"
    );
    assert_eq!(items[0]["personal"], Value::Null);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = expect(
        &api.get(&format!(
            "/api/v1/audit-events?action=user.created&limit=2&cursor={cursor}"
        ))
        .await,
        StatusCode::OK,
    );
    assert_eq!(
        rest["items"].as_array().unwrap().len(),
        2,
        "the third and root's"
    );
    let about_root = expect(
        &api.get(&format!(
            "/api/v1/audit-events?subject={root}&action=user.created&personal=true"
        ))
        .await,
        StatusCode::OK,
    );
    let personal = &about_root["items"][0]["personal"];
    assert_eq!(personal["state"], "readable");
    assert_eq!(personal["email"], "root@example.com");
    assert_eq!(audit(&app, "audit.personal_data_read").await.len(), 1);
    let bad = api.get("/api/v1/audit-events?outcome=maybe").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}
