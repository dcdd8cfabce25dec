//! Layers every response passes through, errors and 404s included.

use axum::{
    Router,
    http::{HeaderName, HeaderValue, Request, StatusCode, header},
};
use tower::ServiceBuilder;
use tower_http::{
    compression::CompressionLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::HttpLimits;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// SECURITY.md "Headers on every response": no inline script, no plugins, no base or framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The standard CSP, except that forms may also be sent to `origin` (an OAuth client's redirect
/// URI origin, for the form_post response mode). Handlers set it; the layer keeps a CSP that
/// a handler set.
pub fn csp_with_form_target(origin: &str) -> Option<HeaderValue> {
    let allowed = origin
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b":/.-[]_".contains(&b));
    if !allowed {
        return None;
    }
    HeaderValue::from_str(&format!("{CSP} {origin}")).ok()
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    // The path only: query strings may carry one-time codes (SECURITY.md, tokens in URLs).
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
}

/// Wraps `routes` in the standard layers.
pub fn apply(routes: Router, limits: HttpLimits) -> Router {
    let hsts = if limits.hsts {
        "max-age=63072000; includeSubDomains"
    } else {
        "max-age=0"
    };
    let stack = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(header_layer(header::STRICT_TRANSPORT_SECURITY, hsts))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::REFERRER_POLICY, "no-referrer"))
        .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header_layer(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(RequestBodyLimitLayer::new(limits.body_limit_bytes));
    routes.layer(stack)
}
