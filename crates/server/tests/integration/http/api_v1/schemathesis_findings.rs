//! What scripts/schemathesis found, kept as regression tests.
//!
//! Control characters where the API searches, filters or names a client are refused with 422:
//! a NUL in these was answered with 500 on PostgreSQL, which can neither store nor compare text
//! holding one, and on SQLite the NUL cut the search pattern short, so `q=%00` matched every
//! user. A JSON array is refused where the API takes an object: serde filled the body's struct
//! from it field by field, so `PATCH /api/v1/apis/{id}` with `["New name", null]` renamed.

use reqwest::StatusCode;
use serde_json::json;

use super::{Api, expect, service_token};
use crate::{http::console::administrator, support::TestApp};
use gatehouse_domain::authorization::ADMIN_ROLE;

#[tokio::test]
async fn control_characters_in_searches_filters_and_client_names_are_refused() {
    let app = TestApp::spawn().await;
    administrator(&app, "root@example.com").await;
    let api = Api::new(&app, &service_token(&app, &[ADMIN_ROLE]).await);

    for (path, field) in [
        ("/api/v1/users?q=%00", "q"),
        ("/api/v1/users?q=root%00x", "q"),
        ("/api/v1/users?q=%1B%5B0m", "q"),
        ("/api/v1/audit-events?action=user.created%00", "action"),
        ("/api/v1/audit-events?actor=%00", "actor"),
        ("/api/v1/audit-events?actor=%C2%85", "actor"),
    ] {
        let problem = expect(&api.get(path).await, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], field, "{path}");
    }
    // Without them, the same searches answer.
    let found = expect(&api.get("/api/v1/users?q=root").await, StatusCode::OK);
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    expect(
        &api.get("/api/v1/audit-events?action=user.created").await,
        StatusCode::OK,
    );

    let spec =
        |name: &str| json!({ "name": name, "redirect_uris": ["https://app.example.com/cb"] });
    for name in ["a\u{0}b", "tab\tin the middle", "\u{7f}"] {
        let refused = api.post("/api/v1/clients", &spec(name)).await;
        let problem = expect(&refused, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "name", "{name:?}");
    }
    let created = expect(
        &api.post("/api/v1/clients", &spec("Shop")).await,
        StatusCode::CREATED,
    );
    let id = created["client"]["id"].as_str().unwrap();
    let version = created["client"]["version"].clone();
    let renamed = api
        .put(
            &format!("/api/v1/clients/{id}"),
            &json!({ "version": version, "settings": spec("Sh\u{0}op") }),
        )
        .await;
    let problem = expect(&renamed, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "name");
    let shown = expect(
        &api.get(&format!("/api/v1/clients/{id}")).await,
        StatusCode::OK,
    );
    assert_eq!(shown["name"], "Shop");
}

#[tokio::test]
async fn a_json_array_is_refused_where_an_object_is_expected() {
    let app = TestApp::spawn().await;
    administrator(&app, "root@example.com").await;
    let api = Api::new(&app, &service_token(&app, &[ADMIN_ROLE]).await);
    let created = expect(
        &api.post(
            "/api/v1/apis",
            &json!({ "audience": "https://api.example.com/orders", "name": "Orders" }),
        )
        .await,
        StatusCode::CREATED,
    );
    let path = format!("/api/v1/apis/{}", created["id"].as_str().unwrap());

    for body in [json!(["Renamed", null]), json!([null, null]), json!([])] {
        let refused = api.patch(&path, &body).await;
        let problem = expect(&refused, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["code"], "invalid_field", "{body}");
    }
    let refused = api
        .post(
            "/api/v1/apis",
            &json!(["https://api.example.com/billing", "Billing"]),
        )
        .await;
    expect(&refused, StatusCode::UNPROCESSABLE_ENTITY);
    let shown = expect(&api.get(&path).await, StatusCode::OK);
    assert_eq!(shown["name"], "Orders");
    let apis = expect(&api.get("/api/v1/apis").await, StatusCode::OK);
    assert!(
        !apis.to_string().contains("api.example.com/billing"),
        "{apis}"
    );
}
