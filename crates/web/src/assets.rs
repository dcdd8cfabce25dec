//! Static assets, embedded in the binary: the stylesheet, the brand stylesheet generated from
//! the accent colour (CSP allows no inline style), and the configured logo.

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::{AppState, Problem};

const STYLESHEET: &str = include_str!("../assets/gatehouse.css");
/// The WebAuthn ceremonies of the hosted pages (CSP allows no inline script).
const WEBAUTHN_SCRIPT: &str = include_str!("../assets/webauthn.js");
/// Returns the browser to an OAuth client after an interactive step (no inline script).
const OAUTH_RETURN_SCRIPT: &str = include_str!("../assets/oauth-return.js");
/// Assets carry no personal data; caches may keep them briefly.
const CACHE: &str = "public, max-age=3600";

/// The asset routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assets/gatehouse.css", get(stylesheet))
        .route("/assets/brand.css", get(brand))
        .route("/assets/logo", get(logo))
        .route("/assets/webauthn.js", get(webauthn_script))
        .route("/assets/oauth-return.js", get(oauth_return_script))
}

async fn oauth_return_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        OAUTH_RETURN_SCRIPT,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        STYLESHEET,
    )
        .into_response()
}

async fn webauthn_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        WEBAUTHN_SCRIPT,
    )
        .into_response()
}

/// `--accent` from the configured colour (validated as `#rrggbb`, so it cannot break out of
/// the declaration).
async fn brand(State(state): State<AppState>) -> Response {
    let css = format!(":root {{ --accent: {}; }}\n", state.site.accent());
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        css,
    )
        .into_response()
}

async fn logo(State(state): State<AppState>) -> Response {
    match state.site.servable_logo() {
        Some(logo) => (
            [
                (header::CONTENT_TYPE, logo.content_type.clone()),
                (header::CACHE_CONTROL, CACHE.to_owned()),
            ],
            Bytes::from_owner(logo.bytes.clone()),
        )
            .into_response(),
        None => Problem::new(StatusCode::NOT_FOUND).into_response(),
    }
}
