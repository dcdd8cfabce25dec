//! The HTTP surfaces (axum): health, readiness and metrics; the hosted account pages
//! (`account`) and their JSON twin under `/account-api` (`api`), both authenticated by the
//! session cookie and guarded by CSRF tokens; the console and management API (`declared`:
//! every route there declares its capability, checked by `guard`); all behind the layers every
//! response gets (request id, tracing, security headers, body limit, timeout, compression).

pub mod account;
mod api;
pub mod api_v1;
mod assets;
pub mod bearer;
pub mod caller;
pub mod client_ip;
pub mod console;
pub mod cookies;
pub mod csrf;
pub mod declared;
mod error;
pub mod guard;
mod health;
pub mod i18n;
pub mod input;
pub mod layers;
mod metrics;
pub mod oidc;
pub mod redirect;
mod site;
pub mod surface;
pub mod text;
pub mod user_agent;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::{Router, routing::get};
use gatehouse_domain::authorization::{Authorization, Authorizer};
use gatehouse_domain::{accounts::Accounts, oauth::OAuth, store::Store};
use metrics_exporter_prometheus::PrometheusHandle;

pub use error::{FieldProblem, Problem};
pub use site::{DEFAULT_ACCENT, Logo, SiteSettings};

/// What handlers share: one allocation, so the per-request clones axum makes of the state (one
/// per extractor and middleware) are a reference-count increment.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The state's contents.
#[derive(Debug)]
pub struct Shared {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Renders the Prometheus exposition.
    pub metrics: PrometheusHandle,
    /// False once shutdown began, so `/readyz` turns load balancers away while requests drain.
    pub accepting: Arc<AtomicBool>,
    /// The account use cases' dependencies.
    pub accounts: Accounts,
    /// Branding and network facts for the hosted pages.
    pub site: SiteSettings,
    /// Capability checks for this node.
    pub authorizer: Arc<Authorizer>,
    /// The authorization administration use cases' dependencies (the console).
    pub authorization: Authorization,
    /// The OAuth 2.0 / OpenID Connect provider's dependencies.
    pub oauth: OAuth,
    /// Management-API creates with one `Idempotency-Key` take turns on this node.
    pub(crate) idempotency_locks: api_v1::idempotency::KeyLocks,
}

impl AppState {
    /// The state for serving: `store` should be the store `accounts` uses, and `authorization`
    /// should share its authorizer; the node starts out accepting requests.
    pub fn new(
        store: Arc<dyn Store>,
        metrics: PrometheusHandle,
        accounts: Accounts,
        site: SiteSettings,
        authorization: Authorization,
        oauth: OAuth,
    ) -> Self {
        Self(Arc::new(Shared {
            store,
            metrics,
            accepting: Arc::new(AtomicBool::new(true)),
            accounts,
            site,
            authorizer: authorization.authorizer.clone(),
            authorization,
            oauth,
            idempotency_locks: api_v1::idempotency::KeyLocks::default(),
        }))
    }

    /// Marks the node as draining: `/readyz` answers 503 from now on.
    pub fn stop_accepting(&self) {
        self.accepting.store(false, Ordering::SeqCst);
    }
}

/// HTTP limits.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Largest request body accepted.
    pub body_limit_bytes: usize,
    /// Longest a request may take before it is answered 408.
    pub request_timeout: Duration,
    /// Send `Strict-Transport-Security` (when the public URL is https).
    pub hsts: bool,
}

/// The whole application. Serve it with `into_make_service_with_connect_info::<SocketAddr>()`
/// so client addresses are known.
pub fn router(state: AppState, limits: HttpLimits) -> Router {
    let routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .merge(assets::routes())
        .merge(account::routes(&state))
        .merge(api::routes(&state))
        .merge(oidc::routes(&state))
        .merge(declared::routes(&state))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .fallback(error::not_found)
        .with_state(state);
    layers::apply(routes, limits)
}
