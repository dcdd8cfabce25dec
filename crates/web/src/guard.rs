//! The route-capability check: every console page and management API route is declared with
//! what it needs ([`Need`]) and this middleware enforces it before the handler runs — signed
//! out: a redirect to sign in (pages) or 401 (API); lacking the capability: 403 and an
//! `authorization.denied` audit event.
//!
//! Management API routes (`/api/v1`) authenticate by `Authorization: Bearer <token>` first
//! (see [`crate::bearer`]); without that header, by the session cookie (and the CSRF header on
//! changes, checked by the CSRF layer before this guard). The guard hands the handler an
//! [`ApiCaller`].

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{Method, StatusCode, request::Parts},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use gatehouse_domain::audit::{self, Actor, AuditEvent, Outcome};
use serde_json::json;
use uuid::Uuid;

use crate::{
    AppState,
    account::error::Failure,
    account::message,
    bearer::{self, ApiCaller, Principal, Via},
    caller::Caller,
    redirect,
};

/// What a route needs from its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// A signed-in session, nothing more (the handler may check more itself).
    SignedIn,
    /// A signed-in session whose user holds this capability.
    Capability(&'static str),
}

impl Need {
    /// The capability needed, if any.
    pub fn capability(self) -> Option<&'static str> {
        match self {
            Self::SignedIn => None,
            Self::Capability(name) => Some(name),
        }
    }
}

/// A declared route: method, path (axum syntax, `{id}` for parameters) and what it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardedRoute {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: Method,
    /// The path pattern.
    pub path: &'static str,
    /// What the caller needs.
    pub need: Need,
}

impl GuardedRoute {
    /// Whether it answers with problem+json (under `/api/`) rather than pages.
    pub fn is_api(&self) -> bool {
        self.path.starts_with("/api/")
    }
}

/// The middleware's state: the route it guards and the application.
#[derive(Debug, Clone)]
pub struct Guard {
    /// The application state.
    pub state: AppState,
    /// The route guarded.
    pub route: GuardedRoute,
}

/// Middleware: lets the request through only if the caller meets the route's [`Need`].
pub async fn enforce(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    if guard.route.is_api() {
        return enforce_api(&guard, request, next).await;
    }
    let (mut parts, body) = request.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &guard.state).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let Some(session) = &caller.session else {
        return signed_out(&guard.route, &parts);
    };
    if let Some(capability) = guard.route.need.capability() {
        let user = session.user.id();
        match guard.state.authorizer.check(user, capability).await {
            Ok(decision) if decision.allowed => {}
            Ok(_) => return denied(&guard, &caller, user, capability).await,
            Err(error) => {
                return crate::surface::domain_failure(&guard.state, &parts, error);
            }
        }
    }
    if guard.route.method != Method::GET
        && !guard.route.is_api()
        && let Err(error) =
            gatehouse_domain::mfa::ensure_recent(&guard.state.accounts, session).await
    {
        if let gatehouse_domain::accounts::AccountError::StepUpRequired = error {
            return step_up(&parts);
        }
        return crate::surface::respond(&guard.state, &parts, caller.failure(error));
    }
    next.run(Request::from_parts(parts, body)).await
}

/// The management API's check: bearer token (or session), then the capability.
async fn enforce_api(guard: &Guard, request: Request, next: Next) -> Response {
    let state = &guard.state;
    let (mut parts, body) = request.into_parts();
    let context = bearer::request_context(&mut parts, state).await;
    let (principal, via) = if bearer::has_authorization(&parts.headers) {
        match bearer::authenticate(state, &parts.headers).await {
            Ok(principal) => (principal, Via::Bearer),
            Err(response) => return response,
        }
    } else {
        let caller = match Caller::from_request_parts(&mut parts, state).await {
            Ok(caller) => caller,
            Err(response) => return response,
        };
        match &caller.session {
            Some(session) => (Principal::User(session.user.id()), Via::Session),
            None => return bearer::unauthenticated(None).into_response(),
        }
    };
    if let Some(capability) = guard.route.need.capability() {
        match principal.holds(state, capability).await {
            Ok(true) => {}
            Ok(false) => {
                let route = format!("{} {}", guard.route.method, guard.route.path);
                tracing::info!(route = %route, capability, "authorization denied");
                let actor = principal.actor();
                let request_id = context.request_id.clone();
                if let Err(error) =
                    record_denial(state, actor, request_id, &route, capability).await
                {
                    tracing::warn!(code = error.code(), "the denial could not be audited");
                }
                return bearer::insufficient(capability, via);
            }
            Err(error) => return crate::api_v1::problem::domain(error).into_response(),
        }
    }
    parts.extensions.insert(ApiCaller {
        principal,
        via,
        context,
    });
    next.run(Request::from_parts(parts, body)).await
}

/// Administrative actions need a recent authentication: to `/confirm-identity` and back to the
/// console page the form was on (the longest prefix of the form's path that is a page).
fn step_up(parts: &Parts) -> Response {
    let path = parts.uri.path();
    let pages: Vec<GuardedRoute> = crate::declared::guarded_routes()
        .into_iter()
        .filter(|route| route.method == Method::GET && !route.is_api())
        .collect();
    let matches = |candidate: &str, pattern: &str| {
        let (a, b): (Vec<_>, Vec<_>) =
            (candidate.split('/').collect(), pattern.split('/').collect());
        a.len() == b.len()
            && a.iter()
                .zip(&b)
                .all(|(have, want)| want.starts_with('{') || have == want)
    };
    let mut candidate = path;
    let back = loop {
        if pages.iter().any(|page| matches(candidate, page.path)) {
            break candidate;
        }
        match candidate.rfind('/') {
            Some(cut) if cut > 0 => candidate = &candidate[..cut],
            _ => break "/console/roles",
        }
    };
    crate::account::mfa_step_up_redirect(back)
}

fn signed_out(route: &GuardedRoute, parts: &Parts) -> Response {
    let next = if route.method == Method::GET {
        parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), ToString::to_string)
    } else {
        "/".to_owned()
    };
    Redirect::to(&redirect::sign_in_location(&next)).into_response()
}

async fn denied(guard: &Guard, caller: &Caller, user: Uuid, capability: &'static str) -> Response {
    let route = format!("{} {}", guard.route.method, guard.route.path);
    tracing::info!(user.id = %user, route = %route, capability, "authorization denied");
    let request_id = caller.context.request_id.clone();
    if let Err(error) = record_denial(
        &guard.state,
        Actor::User(user),
        request_id,
        &route,
        capability,
    )
    .await
    {
        tracing::warn!(code = error.code(), "the denial could not be audited");
    }
    let failure = Failure::new(StatusCode::FORBIDDEN, "forbidden", "error.forbidden")
        .with_value("capability", capability);
    message::failure_page(&guard.state.site, caller.language, &failure)
}

/// Records the refusal in its own transaction (nothing else happens in this request).
async fn record_denial(
    state: &AppState,
    actor: Actor,
    request_id: Option<String>,
    route: &str,
    capability: &str,
) -> Result<(), gatehouse_domain::DomainError> {
    let mut event = AuditEvent::new(actor, "authorization.denied");
    event.outcome = Outcome::Denied;
    event.target = Some(format!("route:{route}"));
    event.request_id = request_id;
    event.details = Some(json!({ "route": route, "capability": capability }));
    let now = state.accounts.clock.now();
    audit::record_alone(&*state.store, &state.accounts.keyring, now, event).await?;
    Ok(())
}
