//! CORS for browser-based clients on discovery, JWKS, token, userinfo and revocation: public
//! documents for any origin; the token endpoint and userinfo for the origins a client
//! registered (`web_origins`). No credentials (cookies) are ever allowed cross-origin.

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::AppState;

/// The request's `Origin`, if any.
pub(super) fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN)?.to_str().ok()
}

/// Lets any origin read a public document.
pub(super) fn allow_any(response: &mut Response) {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// Lets `origin` read the response when it is one of `allowed`.
pub(super) fn allow_if(response: &mut Response, origin: Option<&str>, allowed: &[String]) {
    if let Some(origin) = origin
        && allowed.iter().any(|candidate| candidate == origin)
        && let Ok(value) = HeaderValue::from_str(origin)
    {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// `OPTIONS` preflight: allowed for an origin some client registered (public documents: any).
pub(super) async fn preflight(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(origin) = origin(&headers) else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let registered = match state.store.oauth().clients().await {
        Ok(clients) => clients
            .iter()
            .any(|client| client.web_origins.iter().any(|o| o == origin)),
        Err(_) => false,
    };
    let mut response = StatusCode::NO_CONTENT.into_response();
    if registered && let Ok(value) = HeaderValue::from_str(origin) {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}
