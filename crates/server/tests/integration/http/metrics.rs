//! `/metrics`

use crate::support::TestApp;

#[tokio::test]
async fn metrics_expose_request_latency_by_route_and_status_and_pool_figures() {
    let app = TestApp::spawn().await;
    app.get("/readyz").await;
    app.get("/healthz").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let body = response.text().await.unwrap();
    assert!(
        body.lines().any(
            |line| line.starts_with("gatehouse_http_request_duration_seconds_bucket")
                && line.contains(r#"route="/readyz""#)
                && line.contains(r#"status="200""#)
        ),
        "{body}"
    );
    assert!(
        body.contains("gatehouse_db_pool_connections{state=\"open\"}"),
        "{body}"
    );
    assert!(body.contains("gatehouse_db_pool_max_connections"), "{body}");
    app.stop().await;
}
