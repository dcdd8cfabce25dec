//! The one table of console and management API routes, each with what it needs. The router
//! under `/console` and `/api/v1` is built from this table only, so a route cannot exist there
//! without a declared capability; [`guarded_routes`] lists it for the authorization-matrix test.

use axum::{
    Router,
    handler::Handler,
    http::Method,
    middleware,
    routing::{self, MethodRouter},
};
use gatehouse_domain::authorization::capability::{MFA_RESET, ROLES_READ, ROLES_WRITE, USERS_READ};

use crate::{
    AppState, api, console, csrf,
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
        post("/api/v1/authorize", Need::SignedIn, api::authorize),
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
/// first, so a forged request is refused before anything else happens).
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
    router.route_layer(middleware::from_fn_with_state(state.clone(), csrf::enforce))
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
                (Method::GET, _) => ROLES_READ,
                _ => ROLES_WRITE,
            };
            assert_eq!(route.need, Need::Capability(expected), "{}", route.path);
        }
    }

    /// Only this file may mount routes under the guarded prefixes: any other `.route(` or
    /// `.nest(` with such a path would bypass the declaration.
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
