//! Headers, request ids and limits that every response gets.

use crate::support::TestApp;

fn assert_security_headers(response: &reqwest::Response) {
    let headers = response.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
    ] {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(headers.contains_key("strict-transport-security"));
    assert_eq!(headers["cache-control"], "no-store");
}

#[tokio::test]
async fn security_headers_are_on_every_response_including_errors() {
    let app = TestApp::spawn().await;
    let ok = app.get("/healthz").await;
    assert_eq!(ok.status(), 200);
    assert_security_headers(&ok);
    let missing = app.get("/no/such/page").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    assert_security_headers(&missing);
    let too_big = app
        .client
        .post(app.url("/healthz"))
        .body(vec![b'x'; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert!(
        too_big.status() == 413 || too_big.status() == 405,
        "{}",
        too_big.status()
    );
    assert_security_headers(&too_big);
    app.stop().await;
}

#[tokio::test]
async fn hsts_is_long_lived_only_behind_an_https_public_url() {
    let app =
        TestApp::spawn_with(|config| config.http.public_url = "https://id.example.com".to_owned())
            .await;
    let response = app.get("/healthz").await;
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=63072000")
    );
    app.stop().await;
}

#[tokio::test]
async fn every_response_carries_a_fresh_request_id() {
    let app = TestApp::spawn().await;
    let first = app.get("/healthz").await;
    let second = app.get("/healthz").await;
    let id = |response: &reqwest::Response| {
        response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(id(&first).len(), 36);
    assert_ne!(id(&first), id(&second));
    app.stop().await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    let app = TestApp::spawn_with(|config| config.http.body_limit_bytes = 4_096).await;
    let response = app
        .client
        .post(app.url("/readyz"))
        .header("content-length", "10000")
        .body(vec![b'x'; 10_000])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    app.stop().await;
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_it() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/metrics"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
    app.stop().await;
}
