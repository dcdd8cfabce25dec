//! A browser for the wire tests: a cookie jar carried by hand (the `__Host-` cookies are Secure
//! and the tests speak plain http, so reqwest's own store would drop them), form and JSON
//! requests with the CSRF token, and small readers for the HTML the pages send.

use std::{collections::BTreeMap, time::Duration};

use gatehouse_domain::{
    accounts::{RequestContext, SignUp, sign_up, verify_with_link},
    store::{AuditFilter, AuditRow},
};
use gatehouse_mail::testing::ReceivedMail;
use reqwest::{
    Method, StatusCode,
    header::{self, HeaderMap},
};
use serde_json::Value;

use crate::support::TestApp;

/// A password the policy accepts.
pub const PASSWORD: &str = "lantern orbit pickle marathon";
/// Another one, for changes and resets.
pub const NEW_PASSWORD: &str = "copper meadow violin glacier";
/// The session cookie's name.
pub const SESSION: &str = "__Host-gatehouse_session";
/// The CSRF cookie's name.
pub const CSRF: &str = "__Host-gatehouse_csrf";

/// A response, read: its cookies are already in the jar.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text (lossy).
    pub body: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }

    /// Header `name` as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// `Location`.
    pub fn location(&self) -> &str {
        self.header("location")
            .unwrap_or_else(|| panic!("no Location ({}): {}", self.status, self.body))
    }

    /// Every `Set-Cookie` for `name`, as sent.
    pub fn set_cookies(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter(|value| value.starts_with(&format!("{name}=")))
            .map(str::to_owned)
            .collect()
    }

    /// The request id the server gave this exchange.
    pub fn request_id(&self) -> String {
        self.header("x-request-id").unwrap().to_owned()
    }

    /// `Retry-After` in seconds.
    pub fn retry_after(&self) -> Option<u64> {
        self.header("retry-after")
            .and_then(|value| value.parse().ok())
    }
}

/// One browser: its cookies and extra headers.
pub struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
    headers: Vec<(&'static str, String)>,
}

impl<'a> Browser<'a> {
    /// A browser with no cookies.
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: BTreeMap::new(),
            headers: Vec::new(),
        }
    }

    /// Sends `name: value` with every request from now on.
    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// The value of cookie `name`, if the jar has it.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.get(name).cloned()
    }

    /// Puts cookie `name` in the jar.
    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }

    fn absorb(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let mut parts = text.split(';').map(str::trim);
            let (name, value) = parts.next().unwrap().split_once('=').unwrap();
            let removed = parts.any(|part| part.eq_ignore_ascii_case("max-age=0"));
            if removed || value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    /// A request to `path` carrying the jar and the extra headers.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self.app.client.request(method, self.app.url(path));
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            request = request.header(header::COOKIE, jar.join("; "));
        }
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        request
    }

    /// Sends `request` (built by [`Browser::request`]) and keeps its cookies.
    pub async fn send(&mut self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        self.absorb(&headers);
        let body = String::from_utf8_lossy(&response.bytes().await.unwrap()).into_owned();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// GET `path`.
    pub async fn get(&mut self, path: &str) -> Reply {
        let request = self.request(Method::GET, path);
        self.send(request).await
    }

    /// POSTs `fields` as a form, exactly as given (no token added).
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let request = self
            .request(Method::POST, path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form(fields));
        self.send(request).await
    }

    /// The CSRF token for this browser's cookie (fetching the cookie if it has none).
    pub async fn csrf_token(&mut self) -> String {
        let reply = self.get("/account-api/csrf").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.json()["csrf_token"].as_str().unwrap().to_owned()
    }

    /// POSTs `fields` as a form with this browser's CSRF token.
    pub async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let token = self.csrf_token().await;
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_form(path, &all).await
    }

    /// Sends `body` as JSON to the twin with this browser's CSRF token.
    pub async fn api(&mut self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let token = self.csrf_token().await;
        let mut request = self
            .request(method, &format!("/account-api{path}"))
            .header("x-csrf-token", token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// Signs in through the JSON twin.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Reply {
        let body = serde_json::json!({ "email": email, "password": password });
        self.api(Method::POST, "/sign-in", Some(body)).await
    }

    /// Signs in through the JSON twin and insists it worked.
    pub async fn signed_in(mut self, email: &str) -> Self {
        let reply = self.sign_in(email, PASSWORD).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert!(self.cookie(SESSION).is_some());
        self
    }

    /// Whether the jar's session cookie (if any) is a live session on the server.
    pub async fn is_signed_in(&mut self) -> bool {
        let reply = self.get("/account-api/me").await;
        match reply.status {
            StatusCode::OK => true,
            StatusCode::UNAUTHORIZED => false,
            other => panic!("GET /account-api/me answered {other}: {}", reply.body),
        }
    }
}

/// `fields` form-urlencoded.
pub fn form(fields: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://form.invalid/").unwrap();
    url.query_pairs_mut().extend_pairs(fields);
    url.query().unwrap_or_default().to_owned()
}

/// The value of the first `name="{name}"` input in `html`.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..start].rfind('<')?;
    let tag_end = start + html[start..].find('>')?;
    attribute(&html[tag_start..=tag_end], "value")
}

/// Attribute `name` of the HTML tag `tag` (double-quoted values, as askama writes them).
pub fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = start + tag[start..].find('"')?;
    Some(tag[start..end].replace("&amp;", "&"))
}

/// Every opening tag `<{name} …>` in `html`.
pub fn tags<'h>(html: &'h str, name: &str) -> Vec<&'h str> {
    let open = format!("<{name}");
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = html[from..].find(&open) {
        let start = from + offset;
        let end = html[start..]
            .find('>')
            .map_or(html.len(), |end| start + end + 1);
        let next = html[start + open.len()..].chars().next();
        if next.is_some_and(|c| c.is_whitespace() || c == '>' || c == '/') {
            found.push(&html[start..end]);
        }
        from = start + open.len();
    }
    found
}

/// A request context for set-up steps taken through the use cases directly.
fn context() -> RequestContext {
    RequestContext {
        ip: None,
        user_agent: None,
        request_id: None,
        locale: None,
    }
}

/// Waits for the `count`th mail of the run and returns it.
pub async fn mail(app: &TestApp, count: usize) -> ReceivedMail {
    let received = app.mail.wait_for(count, Duration::from_secs(10)).await;
    assert!(
        received.len() >= count,
        "expected {count} mails, got {}",
        received.len()
    );
    received[count - 1].clone()
}

/// How many mails arrived so far.
pub fn mail_count(app: &TestApp) -> usize {
    app.mail.received().len()
}

/// The path and query of the `http://localhost:8080{path}?token=` link in `mail`.
pub fn link_path(mail: &ReceivedMail, path: &str) -> String {
    let prefix = "http://localhost:8080";
    let link = mail
        .find_link(&format!("{prefix}{path}?token="))
        .unwrap_or_else(|| panic!("no {path} link in {:?}", mail.text_body()));
    link[prefix.len()..].to_owned()
}

/// The token of that link.
pub fn link_token(mail: &ReceivedMail, path: &str) -> String {
    let path = link_path(mail, path);
    path.rsplit('=').next().unwrap().to_owned()
}

/// Signs `email` up through the use case (password [`PASSWORD`]) and returns its mail.
pub async fn unverified_user(app: &TestApp, email: &str) -> ReceivedMail {
    let before = mail_count(app);
    let input = SignUp {
        email: email.to_owned(),
        password: PASSWORD.to_owned(),
        display_name: None,
    };
    sign_up(&app.services.accounts, &context(), input)
        .await
        .unwrap();
    mail(app, before + 1).await
}

/// Signs `email` up and verifies it through the use cases.
pub async fn verified_user(app: &TestApp, email: &str) {
    let verification = unverified_user(app, email).await;
    let token = link_token(&verification, "/verify-email");
    verify_with_link(&app.services.accounts, &context(), &token)
        .await
        .unwrap();
}

/// How many users exist.
pub async fn user_count(app: &TestApp) -> usize {
    app.services
        .store
        .users()
        .list(None, 1_000)
        .await
        .unwrap()
        .len()
}

/// Audit records with `action`, newest first.
pub async fn audit(app: &TestApp, action: &str) -> Vec<AuditRow> {
    let filter = AuditFilter {
        action: Some(action.to_owned()),
        ..AuditFilter::default()
    };
    app.services
        .store
        .audit()
        .list(&filter, None, 1_000)
        .await
        .unwrap()
        .rows
}
