//! The HTTP surfaces (axum). Today: health, readiness and metrics, behind the layers every
//! response gets (request id, tracing, security headers, body limit, timeout, compression).

mod error;
mod health;
mod layers;
mod metrics;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::{Router, routing::get};
use gatehouse_domain::store::Store;
use metrics_exporter_prometheus::PrometheusHandle;

pub use error::Problem;

/// What handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Renders the Prometheus exposition.
    pub metrics: PrometheusHandle,
    /// False once shutdown began, so `/readyz` turns load balancers away while requests drain.
    pub accepting: Arc<AtomicBool>,
}

impl AppState {
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

/// The whole application.
pub fn router(state: AppState, limits: HttpLimits) -> Router {
    let routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .fallback(error::not_found)
        .with_state(state);
    layers::apply(routes, limits)
}
