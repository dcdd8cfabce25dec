//! Throttling and overload on the wire (SECURITY.md 6.3.1): spent attempts answer 429 with
//! `Retry-After`, a busy hashing pool answers 503 with `Retry-After`, never a 500.

use reqwest::{StatusCode, header};
use serde_json::json;

use super::browser::{Browser, CSRF, PASSWORD, verified_user};
use crate::support::TestApp;

const EMAIL: &str = "tom@example.com";
const WRONG: &str = "wrong wrong wrong wrong";

#[tokio::test]
async fn json_sign_in_answers_429_with_retry_after_once_the_free_failures_are_spent() {
    let app = TestApp::spawn_with(|config| config.accounts.sign_in_free_attempts = 3).await;
    verified_user(&app, EMAIL).await;
    let mut browser = Browser::new(&app);
    for attempt in 1..=3 {
        let reply = browser.sign_in(EMAIL, WRONG).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        assert_eq!(reply.retry_after(), None);
    }
    let throttled = browser.sign_in(EMAIL, WRONG).await;
    assert_eq!(
        throttled.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        throttled.body
    );
    assert_eq!(
        throttled.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(throttled.json()["code"], "throttled");
    let wait = throttled.retry_after().expect("Retry-After in seconds");
    assert!(wait > 0 && wait <= 900, "Retry-After {wait}");
    let right = browser.sign_in(EMAIL, PASSWORD).await;
    assert_eq!(
        right.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the right password waits too"
    );
    assert!(browser.cookie(super::browser::SESSION).is_none());
    // The page says the same, with the same header.
    let fields = [("email", EMAIL), ("password", PASSWORD)];
    let page = browser.submit("/sign-in", &fields).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.retry_after().is_some());
    // Once the wait is over, the right password works.
    let wait = i64::try_from(wait).unwrap();
    app.clock.advance(chrono::Duration::seconds(wait));
    let after = browser.sign_in(EMAIL, PASSWORD).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.body);
    app.stop().await;
}

#[tokio::test]
async fn a_busy_hashing_pool_answers_503_with_retry_after_and_never_500() {
    let app = TestApp::spawn_with(|config| {
        config.passwords.concurrency = 1;
        config.passwords.queue_timeout_ms = 1;
        config.passwords.memory_kib = 19_456;
        config.passwords.iterations = 2;
    })
    .await;
    let mut browser = Browser::new(&app);
    let token = browser.csrf_token().await;
    let cookie = format!("{CSRF}={}", browser.cookie(CSRF).unwrap());
    let url = app.url("/account-api/sign-in");
    let tasks: Vec<_> = (0..8)
        .map(|index| {
            let request = app
                .client
                .post(&url)
                .header(header::COOKIE, &cookie)
                .header("x-csrf-token", &token)
                .json(&json!({ "email": format!("user{index}@example.com"), "password": WRONG }));
            tokio::spawn(async move {
                let response = request.send().await.unwrap();
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .map(|value| value.to_str().unwrap().to_owned());
                let body: serde_json::Value = response.json().await.unwrap();
                (status, retry_after, body)
            })
        })
        .collect();
    let mut busy = 0;
    for task in tasks {
        let (status, retry_after, body) = task.await.unwrap();
        match status {
            StatusCode::UNAUTHORIZED => assert_eq!(body["code"], "invalid_credentials"),
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(body["code"], "busy");
                let seconds: u64 = retry_after.expect("Retry-After").parse().unwrap();
                assert!(seconds >= 1);
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(
        busy >= 1,
        "eight overlapping hashes on one slot: some must wait"
    );
    app.stop().await;
}
