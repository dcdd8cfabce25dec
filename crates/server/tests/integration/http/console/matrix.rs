//! The authorization matrix: every declared route, walked with each system role, with a user
//! holding no role and signed out — by session, and every management API route again by
//! bearer token (a service account's and a user's for each role); and proof that the router
//! serves nothing under `/console` or `/api/v1` beyond the declaration.

use gatehouse_domain::authorization::{
    ADMIN_ROLE, AUDITOR_ROLE, USER_MANAGER_ROLE,
    capability::{
        AUDIT_READ, KEYS_READ, MFA_RESET, ROLES_READ, ROLES_WRITE, SESSIONS_REVOKE, USERS_READ,
        USERS_WRITE,
    },
};
use gatehouse_web::{
    declared::guarded_routes,
    guard::{GuardedRoute, Need},
};
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use super::{administrator, user_with_role};
use crate::{
    http::{
        account::browser::{Browser, Reply, audit},
        api_v1::{Api, service_token, user_tokens},
    },
    support::TestApp,
};

/// The path with every `{parameter}` replaced by an id that names nothing.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = start + rest[start..].find('}').unwrap();
        out.push_str(&rest[..start]);
        out.push_str(&Uuid::now_v7().to_string());
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Sends the route's request with a valid CSRF token and a harmless body.
async fn call(browser: &mut Browser<'_>, route: &GuardedRoute, method: Method) -> Reply {
    let path = concrete(route.path);
    let token = browser.csrf_token().await;
    let request = browser.request(method.clone(), &path);
    let request = match (method == Method::GET, route.is_api()) {
        (true, _) => request,
        (false, true) => request
            .header("x-csrf-token", token)
            .json(&serde_json::json!({})),
        (false, false) => request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf_token={token}")),
    };
    browser.send(request).await
}

/// Whether a holder of `role` (or of none) holds `capability`, as the issue defines the roles.
fn holds(role: Option<&str>, capability: &str) -> bool {
    match role {
        Some(ADMIN_ROLE) => capability.starts_with("gatehouse:"),
        Some(AUDITOR_ROLE) => [USERS_READ, ROLES_READ, AUDIT_READ, KEYS_READ].contains(&capability),
        Some(USER_MANAGER_ROLE) => {
            [USERS_READ, USERS_WRITE, SESSIONS_REVOKE, MFA_RESET].contains(&capability)
        }
        None => false,
        Some(other) => panic!("unknown role {other}"),
    }
}

fn is_sign_in_redirect(reply: &Reply) -> bool {
    reply.status == StatusCode::SEE_OTHER && reply.location().starts_with("/sign-in")
}

#[tokio::test]
async fn every_declared_route_allows_exactly_the_roles_holding_its_capability() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, "root@example.com").await;
    let people = [
        ("root@example.com", Some(ADMIN_ROLE)),
        ("manager@example.com", Some(USER_MANAGER_ROLE)),
        ("auditor@example.com", Some(AUDITOR_ROLE)),
        ("plain@example.com", None),
    ];
    for (email, role) in &people[1..] {
        user_with_role(&app, admin, email, *role).await;
    }
    assert!(holds(Some(AUDITOR_ROLE), ROLES_READ) && !holds(Some(AUDITOR_ROLE), ROLES_WRITE));

    let routes = guarded_routes();
    assert!(routes.iter().any(|r| r.path == "/api/v1/authorize"));
    let mut denials = 0;
    for (email, role) in people {
        let mut browser = Browser::new(&app).signed_in(email).await;
        for route in &routes {
            let reply = call(&mut browser, route, route.method.clone()).await;
            let label = format!("{email} {} {}", route.method, route.path);
            let allowed = match route.need {
                Need::SignedIn => true,
                Need::Capability(capability) => holds(role, capability),
            };
            if allowed {
                assert!(
                    reply.status != StatusCode::FORBIDDEN
                        && reply.status != StatusCode::UNAUTHORIZED
                        && !is_sign_in_redirect(&reply),
                    "{label} should be allowed: {} {}",
                    reply.status,
                    reply.body
                );
            } else {
                assert_eq!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{label}: {}",
                    reply.body
                );
                denials += 1;
            }
        }
    }

    let mut stranger = Browser::new(&app);
    for route in &routes {
        let reply = call(&mut stranger, route, route.method.clone()).await;
        let label = format!("signed out {} {}", route.method, route.path);
        if route.is_api() {
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{label}");
        } else {
            assert!(is_sign_in_redirect(&reply), "{label}: {}", reply.status);
        }
    }

    let recorded = audit(&app, "authorization.denied").await;
    assert_eq!(recorded.len(), denials, "one audit event per denial");
    let mut routes_denied = Vec::new();
    for event in &recorded {
        assert_eq!(event.outcome, "denied");
        let details: serde_json::Value =
            serde_json::from_str(event.details.as_deref().unwrap()).unwrap();
        assert!(
            details["capability"]
                .as_str()
                .unwrap()
                .starts_with("gatehouse:")
        );
        routes_denied.push(details["route"].as_str().unwrap().to_owned());
    }
    assert!(
        routes_denied
            .iter()
            .any(|route| route.contains(" /console/"))
    );
    assert!(
        routes_denied
            .iter()
            .any(|route| route.contains(" /api/v1/"))
    );
}

#[tokio::test]
async fn nothing_under_the_guarded_prefixes_is_served_without_a_declaration() {
    let app = TestApp::spawn().await;
    administrator(&app, "root@example.com").await;
    let mut root = Browser::new(&app).signed_in("root@example.com").await;
    let routes = guarded_routes();
    for route in &routes {
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            if routes
                .iter()
                .any(|other| other.path == route.path && other.method == method)
            {
                continue;
            }
            let reply = call(&mut root, route, method.clone()).await;
            assert_eq!(
                reply.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {} is served but not declared",
                route.path
            );
        }
    }
    for path in [
        "/console",
        "/console/users",
        "/console/audit",
        "/console/nothing",
        "/api/v1",
        "/api/v1/nothing",
        "/api/v1/users/0190a000-0000-7000-8000-000000000000/nothing",
        "/api/v1/jobs",
    ] {
        let reply = root.get(path).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path} is served but not declared"
        );
    }
}

/// Whether `reply` let the caller through the guard (anything but 401 and 403).
fn passed(reply: &Reply) -> bool {
    reply.status != StatusCode::FORBIDDEN && reply.status != StatusCode::UNAUTHORIZED
}

#[tokio::test]
async fn every_api_route_allows_exactly_the_bearer_tokens_whose_holder_has_its_capability() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, "root@example.com").await;
    let people = [
        ("root@example.com", Some(ADMIN_ROLE)),
        ("manager@example.com", Some(USER_MANAGER_ROLE)),
        ("auditor@example.com", Some(AUDITOR_ROLE)),
        ("plain@example.com", None),
    ];
    for (email, role) in &people[1..] {
        user_with_role(&app, admin, email, *role).await;
    }
    let routes: Vec<GuardedRoute> = guarded_routes()
        .into_iter()
        .filter(|route| route.path.starts_with("/api/v1/"))
        .collect();
    assert!(routes.len() > 40, "{}", routes.len());
    for (email, role) in people {
        let service = service_token(&app, &role.into_iter().collect::<Vec<_>>()).await;
        let (user, _) = user_tokens(&app, email).await;
        for (kind, token) in [("service account", service), ("user", user)] {
            let api = Api::new(&app, &token);
            for route in &routes {
                let path = concrete(route.path);
                let body = (route.method != Method::GET).then(|| serde_json::json!({}));
                let reply = api
                    .send(route.method.clone(), &path, body.as_ref(), &[])
                    .await;
                let label = format!("{kind} {role:?} {} {}", route.method, route.path);
                let allowed = match route.need {
                    Need::SignedIn => true,
                    Need::Capability(capability) => holds(role, capability),
                };
                if allowed {
                    assert!(
                        passed(&reply),
                        "{label} should be allowed: {} {}",
                        reply.status,
                        reply.body
                    );
                } else {
                    assert_eq!(
                        reply.status,
                        StatusCode::FORBIDDEN,
                        "{label}: {}",
                        reply.body
                    );
                    let challenge = reply.header("www-authenticate").unwrap_or_default();
                    assert!(
                        challenge.contains("insufficient_scope"),
                        "{label}: {challenge}"
                    );
                }
            }
        }
    }
    for route in &routes {
        let reply = app
            .client
            .request(route.method.clone(), app.url(&concrete(route.path)))
            .send()
            .await
            .unwrap();
        assert_eq!(
            reply.status(),
            StatusCode::UNAUTHORIZED,
            "{} {}",
            route.method,
            route.path
        );
        assert!(reply.headers().contains_key("www-authenticate"));
    }
    app.stop().await;
}
