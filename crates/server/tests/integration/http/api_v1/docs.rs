//! The OpenAPI document at `/api/openapi.json` and the reference page at `/api/docs`: public,
//! the same document the snapshot test compares, assets served from the binary.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::TestApp;

#[tokio::test]
async fn the_openapi_document_and_reference_page_are_served_without_credentials() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served: Value = response.json().await.unwrap();
    assert_eq!(served["openapi"], "3.1.0");
    assert_eq!(
        served,
        serde_json::from_str::<Value>(gatehouse_web::api_v1::openapi::json_text()).unwrap()
    );
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json"),
    )
    .unwrap();
    assert_eq!(served, serde_json::from_str::<Value>(&committed).unwrap());
    assert!(served["paths"]["/api/v1/users/{id}/disable"]["post"].is_object());

    let page = app.get("/api/docs").await;
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(!policy.contains("unsafe-eval"), "{policy}");
    assert!(!policy.contains("http"), "nothing from elsewhere: {policy}");
    let html = page.text().await.unwrap();
    assert!(html.contains("spec-url=\"/api/openapi.json\""));
    assert!(html.contains("src=\"/api/docs/redoc.standalone.js\""));
    assert!(!html.contains("https://"), "no CDN");
    let script = app.get("/api/docs/redoc.standalone.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(script.text().await.unwrap().len() > 100_000);
    // Other pages keep the strict policy.
    let other = app.get("/healthz").await;
    assert!(
        !other.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("unsafe-inline")
    );
    app.stop().await;
}
