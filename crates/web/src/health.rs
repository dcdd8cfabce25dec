//! Liveness and readiness.

use std::{sync::atomic::Ordering, time::Duration};

use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};

use crate::{AppState, Problem};

/// Liveness: the process answers.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: accepting requests, the database answers within two seconds, and every migration
/// is applied.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    if !state.accepting.load(Ordering::SeqCst) {
        return Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE).detail("shutting down"));
    }
    match tokio::time::timeout(Duration::from_secs(2), state.store.check_ready()).await {
        Ok(Ok(())) => Ok(Json(json!({ "status": "ready" }))),
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "not ready");
            Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE).detail("the database is not ready"))
        }
        Err(_) => Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE)
            .detail("the database did not answer in time")),
    }
}
