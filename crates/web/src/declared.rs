//! The one table of console and management API routes, each with what it needs. The router
//! under `/console` and `/api/v1` is built from this table only, so a route cannot exist there
//! without a declared capability; [`guarded_routes`] lists it for the authorization-matrix test
//! and the OpenAPI document takes each API route's security from it. The public API
//! documentation (`/api/openapi.json`, `/api/docs`) is mounted here too, outside the guarded
//! prefixes.

use axum::{
    Router,
    extract::{Request, State},
    handler::Handler,
    http::Method,
    middleware::{self, Next},
    response::Response,
    routing::{self, MethodRouter},
};
use gatehouse_domain::authorization::capability::{
    AUDIT_READ, CLIENTS_READ, CLIENTS_WRITE, KEYS_READ, KEYS_ROTATE, MFA_RESET, ROLES_READ,
    ROLES_WRITE, SESSIONS_REVOKE, USERS_READ, USERS_WRITE,
};

use crate::{
    AppState,
    api_v1::{self, audit, authorize, clients, keys, openapi, rbac, users},
    bearer, console, csrf,
    guard::{self, Guard, GuardedRoute, Need},
};

/// The path prefixes only this table may serve.
pub const GUARDED_PREFIXES: [&str; 2] = ["/console", "/api/v1"];

/// A declared route with its handler.
struct Declared {
    route: GuardedRoute,
    handler: MethodRouter<AppState>,
}

fn get<H, T>(path: &'static str, need: Need, handler: H) -> Declared
where
    H: Handler<T, AppState>,
    T: 'static,
{
    Declared {
        route: GuardedRoute {
            method: Method::GET,
            path,
            need,
        },
        handler: routing::get(handler),
    }
}

fn post<H, T>(path: &'static str, need: Need, handler: H) -> Declared
where
    H: Handler<T, AppState>,
    T: 'static,
{
    Declared {
        route: GuardedRoute {
            method: Method::POST,
            path,
            need,
        },
        handler: routing::post(handler),
    }
}

fn put<H, T>(path: &'static str, need: Need, handler: H) -> Declared
where
    H: Handler<T, AppState>,
    T: 'static,
{
    Declared {
        route: GuardedRoute {
            method: Method::PUT,
            path,
            need,
        },
        handler: routing::put(handler),
    }
}

fn patch<H, T>(path: &'static str, need: Need, handler: H) -> Declared
where
    H: Handler<T, AppState>,
    T: 'static,
{
    Declared {
        route: GuardedRoute {
            method: Method::PATCH,
            path,
            need,
        },
        handler: routing::patch(handler),
    }
}

fn delete<H, T>(path: &'static str, need: Need, handler: H) -> Declared
where
    H: Handler<T, AppState>,
    T: 'static,
{
    Declared {
        route: GuardedRoute {
            method: Method::DELETE,
            path,
            need,
        },
        handler: routing::delete(handler),
    }
}

fn declarations() -> Vec<Declared> {
    use console::{
        apis, capabilities, capability_edit, group_delete, groups, role_delete, roles, user_mfa,
        user_roles,
    };
    let read = Need::Capability(ROLES_READ);
    let write = Need::Capability(ROLES_WRITE);
    vec![
        get("/console/roles", read, roles::list),
        post("/console/roles", write, roles::create),
        get("/console/roles/{id}", read, roles::show),
        post("/console/roles/{id}", write, roles::save),
        get("/console/roles/{id}/delete", read, role_delete::confirm),
        post("/console/roles/{id}/delete", write, role_delete::delete),
        get("/console/apis", read, apis::list),
        post("/console/apis", write, apis::create),
        get("/console/apis/{id}", read, apis::show),
        post("/console/apis/{id}", write, apis::save),
        get("/console/apis/{id}/delete", read, apis::confirm),
        post("/console/apis/{id}/delete", write, apis::delete),
        get("/console/capabilities", read, capabilities::list),
        post("/console/capabilities", write, capabilities::create),
        get("/console/capabilities/{id}", read, capability_edit::show),
        post("/console/capabilities/{id}", write, capability_edit::save),
        get(
            "/console/capabilities/{id}/delete",
            read,
            capability_edit::confirm,
        ),
        post(
            "/console/capabilities/{id}/delete",
            write,
            capability_edit::delete,
        ),
        get("/console/groups", read, groups::list),
        post("/console/groups", write, groups::create),
        get("/console/groups/{id}", read, groups::show),
        post("/console/groups/{id}", write, groups::save),
        get("/console/groups/{id}/delete", read, group_delete::confirm),
        post("/console/groups/{id}/delete", write, group_delete::delete),
        post("/console/groups/{id}/roles", write, groups::save_roles),
        post("/console/groups/{id}/members", write, groups::add_member),
        post(
            "/console/groups/{id}/members/{user}/remove",
            write,
            groups::remove_member,
        ),
        get("/console/users/{id}/roles", read, user_roles::show),
        post("/console/users/{id}/roles", write, user_roles::assign),
        post(
            "/console/users/{id}/roles/{role}/unassign",
            write,
            user_roles::unassign,
        ),
        get(
            "/console/users/{id}/mfa",
            Need::Capability(USERS_READ),
            user_mfa::show,
        ),
        post(
            "/console/users/{id}/mfa/reset",
            Need::Capability(MFA_RESET),
            user_mfa::reset,
        ),
        get(
            "/console/clients",
            Need::Capability(CLIENTS_READ),
            console::clients::list,
        ),
        post(
            "/console/clients",
            Need::Capability(CLIENTS_WRITE),
            console::clients::create,
        ),
        get(
            "/console/clients/{id}",
            Need::Capability(CLIENTS_READ),
            console::clients::show,
        ),
        post(
            "/console/clients/{id}",
            Need::Capability(CLIENTS_WRITE),
            console::clients::save,
        ),
        post(
            "/console/clients/{id}/secret",
            Need::Capability(CLIENTS_WRITE),
            console::clients::rotate_secret,
        ),
        post(
            "/console/clients/{id}/logo",
            Need::Capability(CLIENTS_WRITE),
            console::clients::upload_logo,
        ),
        post(
            "/console/clients/{id}/logo/remove",
            Need::Capability(CLIENTS_WRITE),
            console::clients::remove_logo,
        ),
        get(
            "/console/clients/{id}/delete",
            Need::Capability(CLIENTS_READ),
            console::clients::confirm_delete,
        ),
        post(
            "/console/clients/{id}/delete",
            Need::Capability(CLIENTS_WRITE),
            console::clients::delete,
        ),
        get(
            "/console/keys",
            Need::Capability(KEYS_READ),
            console::keys::list,
        ),
        post(
            "/console/keys/rotate",
            Need::Capability(KEYS_ROTATE),
            console::keys::rotate,
        ),
        post("/api/v1/authorize", Need::SignedIn, authorize::authorize),
    ]
    .into_iter()
    .chain(api_declarations())
    .collect()
}

/// The management API (`/api/v1`), each route with the capability its use case needs.
fn api_declarations() -> Vec<Declared> {
    let cap = Need::Capability;
    let (roles_read, roles_write) = (cap(ROLES_READ), cap(ROLES_WRITE));
    vec![
        get("/api/v1/users", cap(USERS_READ), users::list),
        post("/api/v1/users", cap(USERS_WRITE), users::create),
        get("/api/v1/users/{id}", cap(USERS_READ), users::show),
        patch("/api/v1/users/{id}", cap(USERS_WRITE), users::update),
        delete("/api/v1/users/{id}", cap(USERS_WRITE), users::delete),
        post(
            "/api/v1/users/{id}/disable",
            cap(USERS_WRITE),
            users::disable,
        ),
        post("/api/v1/users/{id}/enable", cap(USERS_WRITE), users::enable),
        get(
            "/api/v1/users/{id}/sessions",
            cap(USERS_READ),
            users::sessions,
        ),
        delete(
            "/api/v1/users/{id}/sessions",
            cap(SESSIONS_REVOKE),
            users::revoke_sessions,
        ),
        delete(
            "/api/v1/users/{id}/sessions/{session}",
            cap(SESSIONS_REVOKE),
            users::revoke_session,
        ),
        get("/api/v1/users/{id}/mfa", cap(USERS_READ), users::factors),
        post(
            "/api/v1/users/{id}/mfa/reset",
            cap(MFA_RESET),
            users::reset_factors,
        ),
        get("/api/v1/users/{id}/roles", roles_read, users::roles),
        post("/api/v1/users/{id}/roles", roles_write, users::assign),
        delete(
            "/api/v1/users/{id}/roles/{role}",
            roles_write,
            users::unassign,
        ),
        get("/api/v1/apis", roles_read, rbac::list_apis),
        post("/api/v1/apis", roles_write, rbac::create_api),
        get("/api/v1/apis/{id}", roles_read, rbac::show_api),
        patch("/api/v1/apis/{id}", roles_write, rbac::update_api),
        delete("/api/v1/apis/{id}", roles_write, rbac::delete_api),
        get("/api/v1/capabilities", roles_read, rbac::list_capabilities),
        post("/api/v1/capabilities", roles_write, rbac::create_capability),
        get(
            "/api/v1/capabilities/{id}",
            roles_read,
            rbac::show_capability,
        ),
        patch(
            "/api/v1/capabilities/{id}",
            roles_write,
            rbac::update_capability,
        ),
        delete(
            "/api/v1/capabilities/{id}",
            roles_write,
            rbac::delete_capability,
        ),
        get("/api/v1/roles", roles_read, rbac::list_roles),
        post("/api/v1/roles", roles_write, rbac::create_role),
        get("/api/v1/roles/{id}", roles_read, rbac::show_role),
        patch("/api/v1/roles/{id}", roles_write, rbac::update_role),
        delete("/api/v1/roles/{id}", roles_write, rbac::delete_role),
        put(
            "/api/v1/roles/{id}/capabilities",
            roles_write,
            rbac::set_role_capabilities,
        ),
        put(
            "/api/v1/roles/{id}/includes",
            roles_write,
            rbac::set_role_includes,
        ),
        get("/api/v1/groups", roles_read, rbac::list_groups),
        post("/api/v1/groups", roles_write, rbac::create_group),
        get("/api/v1/groups/{id}", roles_read, rbac::show_group),
        patch("/api/v1/groups/{id}", roles_write, rbac::update_group),
        delete("/api/v1/groups/{id}", roles_write, rbac::delete_group),
        put(
            "/api/v1/groups/{id}/roles",
            roles_write,
            rbac::set_group_roles,
        ),
        get("/api/v1/groups/{id}/members", roles_read, rbac::members),
        post("/api/v1/groups/{id}/members", roles_write, rbac::add_member),
        delete(
            "/api/v1/groups/{id}/members/{user}",
            roles_write,
            rbac::remove_member,
        ),
        get("/api/v1/clients", cap(CLIENTS_READ), clients::list),
        post("/api/v1/clients", cap(CLIENTS_WRITE), clients::create),
        get("/api/v1/clients/{id}", cap(CLIENTS_READ), clients::show),
        put("/api/v1/clients/{id}", cap(CLIENTS_WRITE), clients::update),
        delete("/api/v1/clients/{id}", cap(CLIENTS_WRITE), clients::delete),
        post(
            "/api/v1/clients/{id}/secret",
            cap(CLIENTS_WRITE),
            clients::rotate_secret,
        ),
        put(
            "/api/v1/clients/{id}/logo",
            cap(CLIENTS_WRITE),
            clients::set_logo,
        ),
        delete(
            "/api/v1/clients/{id}/logo",
            cap(CLIENTS_WRITE),
            clients::delete_logo,
        ),
        get("/api/v1/signing-keys", cap(KEYS_READ), keys::list),
        post(
            "/api/v1/signing-keys/rotate",
            cap(KEYS_ROTATE),
            keys::rotate,
        ),
        get("/api/v1/audit-events", cap(AUDIT_READ), audit::list),
    ]
}

/// Every guarded route with its method, path and need.
pub fn guarded_routes() -> Vec<GuardedRoute> {
    declarations()
        .into_iter()
        .map(|declared| declared.route)
        .collect()
}

/// The guarded routes: each behind its check, all state-changing ones behind CSRF (checked
/// first, so a forged request is refused before anything else happens) — except management
/// API requests carrying an `Authorization` header, which browsers never add by themselves and
/// which the guard judges by that header alone. Then the public API documentation.
pub fn routes(state: &AppState) -> Router<AppState> {
    let mut router = Router::new();
    for Declared { route, handler } in declarations() {
        let path = route.path;
        let guard = Guard {
            state: state.clone(),
            route,
        };
        let handler = handler.route_layer(middleware::from_fn_with_state(guard, guard::enforce));
        router = router.route(path, handler);
    }
    router
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            csrf_unless_bearer,
        ))
        .route("/api/openapi.json", routing::get(openapi::serve))
        .route("/api/docs", routing::get(api_v1::docs::page))
        .route(
            "/api/docs/redoc.standalone.js",
            routing::get(api_v1::docs::redoc),
        )
        .route(
            "/api/docs/redoc.LICENSE",
            routing::get(api_v1::docs::redoc_license),
        )
}

/// The CSRF check, skipped for management API requests that do not authenticate by the
/// session cookie: those with an `Authorization` header (judged by it alone), and those with no
/// session cookie at all (the guard answers them 401).
async fn csrf_unless_bearer(state: State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if request.uri().path().starts_with("/api/v1/")
        && (bearer::has_authorization(headers)
            || crate::cookies::read(headers, crate::cookies::SESSION).is_none())
    {
        return next.run(request).await;
    }
    csrf::enforce(state, request, next).await
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_declared_route_is_under_a_guarded_prefix_once() {
        let routes = guarded_routes();
        let mut seen = HashSet::new();
        for route in &routes {
            assert!(
                GUARDED_PREFIXES
                    .iter()
                    .any(|prefix| route.path.starts_with(prefix)),
                "{} {}",
                route.method,
                route.path
            );
            assert!(
                seen.insert((route.method.clone(), route.path)),
                "declared twice: {} {}",
                route.method,
                route.path
            );
        }
    }

    #[test]
    fn console_changes_need_write_and_reads_need_read() {
        for route in guarded_routes()
            .iter()
            .filter(|r| r.path.starts_with("/console"))
        {
            let expected = match (route.method.clone(), route.path) {
                (Method::GET, "/console/users/{id}/mfa") => USERS_READ,
                (Method::POST, "/console/users/{id}/mfa/reset") => MFA_RESET,
                (Method::GET, "/console/keys") => KEYS_READ,
                (Method::POST, "/console/keys/rotate") => KEYS_ROTATE,
                (Method::GET, path) if path.starts_with("/console/clients") => CLIENTS_READ,
                (_, path) if path.starts_with("/console/clients") => CLIENTS_WRITE,
                (Method::GET, _) => ROLES_READ,
                _ => ROLES_WRITE,
            };
            assert_eq!(route.need, Need::Capability(expected), "{}", route.path);
        }
    }

    #[test]
    fn api_reads_need_a_read_capability_and_changes_a_write_one() {
        for route in guarded_routes()
            .iter()
            .filter(|r| r.path.starts_with("/api/v1/") && r.need != Need::SignedIn)
        {
            let capability = route.need.capability().unwrap_or_default();
            let reads = capability.ends_with(".read");
            assert_eq!(
                route.method == Method::GET,
                reads,
                "{} {} needs {capability}",
                route.method,
                route.path
            );
        }
    }

    /// Only this file may mount routes under the guarded prefixes (and `/api` at all): any
    /// other `.route(` or `.nest(` with such a path would bypass the declaration.
    #[test]
    fn no_other_source_file_mounts_guarded_paths() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut pending = vec![root];
        while let Some(directory) = pending.pop() {
            for entry in std::fs::read_dir(&directory).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                if path.ends_with("declared.rs") {
                    continue;
                }
                let source = std::fs::read_to_string(&path).unwrap();
                for call in [".route(\"", ".nest(\""] {
                    for prefix in ["/console", "/api"] {
                        let needle = format!("{call}{prefix}");
                        assert!(
                            !source.contains(&needle),
                            "{} mounts {prefix} outside the declaration table",
                            path.display()
                        );
                    }
                }
            }
        }
    }
}
