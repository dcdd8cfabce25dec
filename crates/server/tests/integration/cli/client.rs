//! `gatehouse client create` and `gatehouse keys rotate`, against a running server.

use super::fresh;

#[tokio::test]
async fn client_create_prints_json_and_the_running_server_issues_tokens_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let binary = fresh(dir.path()).await;
    binary.run(&["migrate"]);
    let server = binary.serve().await;
    let created = binary.run(&[
        "client",
        "create",
        "--name",
        "Billing service",
        "--grant",
        "client_credentials",
        "--scope",
        "invoices:read",
        "--json",
    ]);
    assert_eq!(created.code(), 0, "{}", created.stderr());
    assert_eq!(created.stdout().lines().count(), 1, "{}", created.stdout());
    let body: serde_json::Value = serde_json::from_str(&created.stdout()).unwrap();
    let id = body["client_id"].as_str().unwrap();
    let secret = body["client_secret"].as_str().unwrap();
    let url_safe = |text: &str| {
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    assert!(url_safe(id) && url_safe(secret), "{body}");
    assert!(secret.len() >= 43, "256-bit secrets: {secret}");
    let http = reqwest::Client::new();
    let response = http
        .post(format!("{}/oauth2/token", server.base_url))
        .basic_auth(id, Some(secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&scope=invoices%3Aread")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens: serde_json::Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "invoices:read");

    // A public client has no secret; it needs a redirect URI for the code flow.
    let public = binary.run(&[
        "client",
        "create",
        "--name",
        "Mobile",
        "--public",
        "--redirect-uri",
        "com.example.mobile:/callback",
        "--json",
    ]);
    assert_eq!(
        public.code(),
        2,
        "a web client may not use a private-use scheme: {}",
        public.stderr()
    );
    let public = binary.run(&[
        "client",
        "create",
        "--name",
        "SPA",
        "--public",
        "--redirect-uri",
        "https://spa.example.com/callback",
        "--json",
    ]);
    assert_eq!(public.code(), 0, "{}", public.stderr());
    let body: serde_json::Value = serde_json::from_str(&public.stdout()).unwrap();
    assert!(body.get("client_secret").is_none(), "{body}");

    // Usage errors name the option.
    let bad = binary.run(&["client", "create", "--name", "X", "--grant", "password"]);
    assert_eq!(bad.code(), 2);
    assert!(bad.stderr().contains("--grant"), "{}", bad.stderr());
    let bad = binary.run(&["client", "create", "--name", "X"]);
    assert_eq!(bad.code(), 2, "the code flow needs a redirect URI");
    assert!(bad.stderr().contains("--redirect-uri"), "{}", bad.stderr());
    assert_eq!(server.terminate().code(), 0);
}

#[tokio::test]
async fn keys_rotate_publishes_new_keys_that_a_running_server_serves_in_jwks() {
    let dir = tempfile::tempdir().unwrap();
    let binary = fresh(dir.path()).await;
    binary.run(&["migrate"]);
    let server = binary.serve().await;
    let jwks = || async {
        let document: serde_json::Value = reqwest::get(format!("{}/oauth2/jwks", server.base_url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        document["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|key| key["kid"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let before = jwks().await;
    assert_eq!(before.len(), 3, "one key per algorithm: {before:?}");
    let rotated = binary.run(&["keys", "rotate"]);
    assert_eq!(rotated.code(), 0, "{}", rotated.stderr());
    let new: Vec<String> = rotated
        .stdout()
        .lines()
        .map(|line| line.split(' ').next().unwrap().to_owned())
        .collect();
    assert_eq!(new.len(), 3, "{}", rotated.stdout());
    // The server picks them up within its reload interval (5 s).
    let mut published = Vec::new();
    for _ in 0..80 {
        published = jwks().await;
        if new.iter().all(|kid| published.contains(kid)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        new.iter().all(|kid| published.contains(kid)),
        "{published:?}"
    );
    assert!(
        before.iter().all(|kid| published.contains(kid)),
        "old keys stay"
    );
    assert_eq!(server.terminate().code(), 0);
}
