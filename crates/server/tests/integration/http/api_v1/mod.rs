//! The management REST API under `/api/v1` over HTTP: bearer authentication (and what it
//! refuses), users, the authorization model, clients, keys and the audit log, idempotent
//! creates (also racing, on one node and on two), the OpenAPI document and reference page, and
//! what scripts/schemathesis found.

mod bearer;
mod docs;
mod idempotency;
mod objects;
mod schemathesis_findings;
mod users;

use gatehouse_domain::oauth::ClientSpec;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{
    account::browser::{Browser, Reply},
    oauth::support::{TestClient, code, pkce_pair, redeem, register, token},
};
use crate::support::TestApp;

/// A caller of the API with a bearer token.
pub struct Api<'a> {
    app: &'a TestApp,
    /// The access token.
    pub token: String,
}

impl<'a> Api<'a> {
    /// A caller sending `token`.
    pub fn new(app: &'a TestApp, token: &str) -> Self {
        Self {
            app,
            token: token.to_owned(),
        }
    }

    /// Sends `method path` with the token, `body` as JSON and `headers`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self
            .app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        Reply {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, &[]).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(body), &[]).await
    }

    /// PATCH with a JSON body.
    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PATCH, path, Some(body), &[]).await
    }

    /// PUT with a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PUT, path, Some(body), &[]).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None, &[]).await
    }
}

/// Asserts `reply` has `status`, showing the body otherwise.
pub fn expect(reply: &Reply, status: StatusCode) -> Value {
    assert_eq!(reply.status, status, "{}", reply.body);
    if reply.body.is_empty() {
        Value::Null
    } else {
        reply.json()
    }
}

/// A service account (client credentials, allow-listed for `gatehouse`) holding `roles`.
pub async fn service_account(app: &TestApp, roles: &[&str]) -> TestClient {
    register(
        app,
        ClientSpec {
            name: "Automation".to_owned(),
            grant_types: vec!["client_credentials".to_owned()],
            audiences: vec!["gatehouse".to_owned()],
            roles: roles.iter().map(|role| (*role).to_owned()).collect(),
            ..ClientSpec::default()
        },
    )
    .await
}

/// A client-credentials access token of `client`.
pub async fn client_token(app: &TestApp, client: &TestClient) -> String {
    let (status, body) = token(app, client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// A token of a new service account holding `roles`.
pub async fn service_token(app: &TestApp, roles: &[&str]) -> String {
    let client = service_account(app, roles).await;
    client_token(app, &client).await
}

/// An access token and ID token for the audience `gatehouse`, issued to a first-party
/// sign-in client through the code flow for the user with `email` (password
/// [`PASSWORD`](super::account::browser::PASSWORD)).
pub async fn user_tokens(app: &TestApp, email: &str) -> (String, String) {
    let client = register(
        app,
        ClientSpec {
            name: "Admin app".to_owned(),
            redirect_uris: vec![super::oauth::support::REDIRECT.to_owned()],
            audiences: vec!["gatehouse".to_owned()],
            consent: Some("skip".to_owned()),
            ..ClientSpec::default()
        },
    )
    .await;
    let mut browser = Browser::new(app).signed_in(email).await;
    let (verifier, challenge) = pkce_pair();
    let code = code(&mut browser, &client.id, &challenge).await;
    let (status, body) = redeem(app, &client, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["id_token"].as_str().unwrap().to_owned(),
    )
}
