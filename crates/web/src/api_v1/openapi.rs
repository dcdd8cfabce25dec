//! The OpenAPI 3.1 document of the management API, generated from the handlers (utoipa) and
//! served at `GET /api/openapi.json`. What each route needs comes from the declaration table
//! (`declared.rs`), the same one the guard enforces: every operation gets the security schemes
//! (bearer JWT; session cookie with `X-CSRF-Token` on changes), its capability in
//! `x-gatehouse-capability` and its description, and the 401/403 answers. The committed copy
//! in `docs/openapi.json` is compared with the generated one by a test
//! (`UPDATE_OPENAPI=1 cargo test -p gatehouse-web openapi` refreshes it).

use std::sync::OnceLock;

use axum::{
    http::{HeaderValue, Method, header},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};
use utoipa::{
    Modify, OpenApi,
    openapi::{
        Components, OpenApi as Document, RefOr,
        extensions::Extensions,
        path::Operation,
        response::ResponseBuilder,
        security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        },
    },
};

use super::{FieldProblemDoc, ProblemDoc, audit, authorize, clients, keys, rbac, users};
use crate::{declared, guard::Need};

/// The bearer scheme's name in the document.
pub const BEARER: &str = "bearer";
/// The session scheme's name in the document.
pub const SESSION: &str = "session";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse management API",
        version = "1",
        description = "Manage users, their sessions and second factors, the authorization model \
(APIs, capabilities, roles, groups, assignments), OAuth clients, token-signing keys and the \
audit log of a Gatehouse identity server.\n\n\
**Authentication.** Send a Gatehouse-issued access token for the audience `gatehouse` as \
`Authorization: Bearer <token>`: a service account's (client credentials; it acts with the \
capabilities of its roles) or a user's (it acts with the user's current capabilities). \
Browsers of signed-in users may use the session cookie instead, with the `X-CSRF-Token` header \
on every change.\n\n\
**Authorization.** Each operation needs one capability, named in its description and in \
`x-gatehouse-capability`; without it the answer is 403.\n\n\
**Errors** are RFC 9457 `application/problem+json` with a stable `code`.\n\n\
**Lists** are cursor-paginated: pass the `next_cursor` of a page as `cursor` to get the next \
one; `limit` is 1 to 200 (default 50).\n\n\
**Creates** accept an `Idempotency-Key` header: the same key with the same request replays the \
first answer (marked `Idempotent-Replayed: true`; refusals are replayed too, server errors are \
not); with another request it is refused with 422. While the first request with a key still \
runs, another one with the key gets 409 `idempotency_key_in_progress` with `Retry-After`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        users::list, users::create, users::show, users::update, users::delete,
        users::disable, users::enable,
        users::sessions, users::revoke_sessions, users::revoke_session,
        users::factors, users::reset_factors,
        users::roles, users::assign, users::unassign,
        rbac::list_apis, rbac::create_api, rbac::show_api, rbac::update_api, rbac::delete_api,
        rbac::list_capabilities, rbac::create_capability, rbac::show_capability,
        rbac::update_capability, rbac::delete_capability,
        rbac::list_roles, rbac::create_role, rbac::show_role, rbac::update_role,
        rbac::set_role_capabilities, rbac::set_role_includes, rbac::delete_role,
        rbac::list_groups, rbac::create_group, rbac::show_group, rbac::update_group,
        rbac::set_group_roles, rbac::delete_group,
        rbac::members, rbac::add_member, rbac::remove_member,
        clients::list, clients::create, clients::show, clients::update, clients::delete,
        clients::rotate_secret, clients::set_logo, clients::delete_logo,
        keys::list, keys::rotate,
        audit::list,
        authorize::authorize,
    ),
    components(schemas(ProblemDoc, FieldProblemDoc)),
    modifiers(&Declared),
    tags(
        (name = "users", description = "Accounts"),
        (name = "sessions", description = "Users' browser sessions"),
        (name = "mfa", description = "Users' second factors"),
        (name = "assignments", description = "Roles given to users"),
        (name = "apis", description = "APIs (resource servers) and their audiences"),
        (name = "capabilities", description = "Named permissions of APIs"),
        (name = "roles", description = "Roles: capabilities and included roles"),
        (name = "groups", description = "Groups of users holding roles"),
        (name = "clients", description = "OAuth clients and service accounts"),
        (name = "signing-keys", description = "Token-signing keys"),
        (name = "audit", description = "The audit log"),
        (name = "authorize", description = "The check API"),
    ),
)]
struct ApiDoc;

/// Applies the declaration table: security, capability, 401 and 403 on every operation.
struct Declared;

fn operation<'a>(
    document: &'a mut Document,
    method: &Method,
    path: &str,
) -> Option<&'a mut Operation> {
    let item = document.paths.paths.get_mut(path)?;
    match *method {
        Method::GET => item.get.as_mut(),
        Method::POST => item.post.as_mut(),
        Method::PUT => item.put.as_mut(),
        Method::PATCH => item.patch.as_mut(),
        Method::DELETE => item.delete.as_mut(),
        _ => None,
    }
}

fn problem_response(description: &str) -> RefOr<utoipa::openapi::response::Response> {
    let content = utoipa::openapi::content::ContentBuilder::new()
        .schema(Some(utoipa::openapi::Ref::from_schema_name("Problem")))
        .build();
    ResponseBuilder::new()
        .description(description)
        .content("application/problem+json", content)
        .build()
        .into()
}

impl Modify for Declared {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Components::new);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A Gatehouse access token (RFC 9068) for the audience `gatehouse`",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "__Host-gatehouse_session",
                "A signed-in browser session; changes also need the X-CSRF-Token header",
            ))),
        );
        for route in declared::guarded_routes() {
            if !route.path.starts_with("/api/v1/") {
                continue;
            }
            let Some(operation) = operation(document, &route.method, route.path) else {
                continue;
            };
            operation.security = Some(vec![
                SecurityRequirement::new(BEARER, Vec::<String>::new()),
                SecurityRequirement::new(SESSION, Vec::<String>::new()),
            ]);
            let (needs, capability) = match route.need {
                Need::SignedIn => ("Needs an authenticated caller.".to_owned(), Value::Null),
                Need::Capability(name) => (
                    format!("Needs the capability `{name}`."),
                    Value::String(name.to_owned()),
                ),
            };
            let description = operation.description.take().unwrap_or_default();
            operation.description = Some(if description.is_empty() {
                needs
            } else {
                format!("{description}\n\n{needs}")
            });
            let mut extensions = Extensions::default();
            extensions.insert("x-gatehouse-capability".to_owned(), capability);
            operation
                .extensions
                .get_or_insert_with(Extensions::default)
                .merge(extensions);
            let responses = &mut operation.responses.responses;
            responses.insert(
                "401".to_owned(),
                problem_response("No valid credentials (`WWW-Authenticate: Bearer …`)"),
            );
            responses.insert(
                "403".to_owned(),
                problem_response("The caller lacks the capability"),
            );
            responses
                .entry("default".to_owned())
                .or_insert_with(|| problem_response("A problem (RFC 9457)"));
        }
    }
}

/// The document.
pub fn document() -> Document {
    ApiDoc::openapi()
}

/// `value` with every object's members in sorted order, so the text is stable.
fn canonical(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key, canonical(value)))
                    .collect::<Map<String, Value>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

/// The document as pretty, key-sorted JSON text (what is served and committed).
pub fn json_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let value = serde_json::to_value(document()).unwrap_or_else(|_| json!({}));
        let mut text = serde_json::to_string_pretty(&canonical(value)).unwrap_or_default();
        text.push('\n');
        text
    })
}

/// `GET /api/openapi.json` (public).
pub async fn serve() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        json_text(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn operations(document: &Value) -> BTreeSet<(String, String)> {
        let mut found = BTreeSet::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item.get(method).is_some() {
                    found.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        found
    }

    #[test]
    fn every_declared_api_route_is_documented_with_its_security_and_capability() {
        let document: Value = serde_json::from_str(json_text()).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        let declared: BTreeSet<(String, String)> = declared::guarded_routes()
            .into_iter()
            .filter(|route| route.path.starts_with("/api/v1/"))
            .map(|route| (route.method.to_string(), route.path.to_owned()))
            .collect();
        assert_eq!(operations(&document), declared, "documented = declared");
        for route in declared::guarded_routes()
            .into_iter()
            .filter(|route| route.path.starts_with("/api/v1/"))
        {
            let method = route.method.as_str().to_lowercase();
            let operation = &document["paths"][route.path][method.as_str()];
            let label = format!("{} {}", route.method, route.path);
            assert_eq!(
                operation["security"],
                json!([{ BEARER: [] }, { SESSION: [] }]),
                "{label}"
            );
            let capability = route.need.capability();
            assert_eq!(
                operation["x-gatehouse-capability"],
                capability.map_or(Value::Null, |name| json!(name)),
                "{label}"
            );
            if let Some(name) = capability {
                assert!(
                    operation["description"].as_str().unwrap().contains(name),
                    "{label}"
                );
            }
            for status in ["401", "403"] {
                assert!(
                    operation["responses"][status].is_object(),
                    "{label} {status}"
                );
            }
        }
        assert_eq!(
            document["components"]["securitySchemes"][BEARER]["scheme"],
            "bearer"
        );
    }

    #[test]
    fn every_operation_id_is_unique() {
        let document: Value = serde_json::from_str(json_text()).unwrap();
        let mut seen = BTreeSet::new();
        for item in document["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                let id = operation["operationId"].as_str().unwrap();
                assert!(seen.insert(id.to_owned()), "operationId {id} is used twice");
            }
        }
    }

    #[test]
    fn the_committed_document_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, json_text()).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        let committed: Value = serde_json::from_str(&committed).unwrap_or(Value::Null);
        let generated: Value = serde_json::from_str(json_text()).unwrap();
        assert!(
            committed == generated,
            "docs/openapi.json is stale: run UPDATE_OPENAPI=1 cargo test -p gatehouse-web openapi"
        );
    }
}
