//! Prometheus metrics: request latency by route, method and status; pool and job gauges read at
//! scrape time.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::AppState;

/// Records the latency of every routed request.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = [
        ("route", route),
        ("method", method),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::histogram!("gatehouse_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The Prometheus exposition.
pub async fn render(State(state): State<AppState>) -> Response {
    let pool = state.store.pool_stats();
    metrics::gauge!("gatehouse_db_pool_connections", "state" => "open").set(f64::from(pool.size));
    metrics::gauge!("gatehouse_db_pool_connections", "state" => "idle").set(f64::from(pool.idle));
    metrics::gauge!("gatehouse_db_pool_max_connections").set(f64::from(pool.max));
    match state.store.jobs().counts().await {
        Ok(counts) => {
            for count in counts {
                let labels = [
                    ("queue", count.queue),
                    ("state", count.state.as_str().to_owned()),
                ];
                metrics::gauge!("gatehouse_jobs", &labels).set(count.count as f64);
            }
        }
        Err(error) => tracing::warn!(error = %error, "job counts unavailable for metrics"),
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
