//! The browsable API reference at `/api/docs`: Redoc, rendering `/api/openapi.json`. The
//! Redoc bundle comes from the npm registry (pinned by `frontend/package-lock.json`, fetched by
//! `build.rs`) and is embedded in the binary; nothing loads from elsewhere. The page gets its
//! own Content-Security-Policy: scripts only from here, no `eval`; styles inline too (Redoc
//! injects them at run time) and its search worker from a `blob:` URL.

use axum::{
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};

/// Redoc's standalone bundle (MIT licence, `redoc.LICENSE` beside it in the build output).
const REDOC: &str = include_str!(concat!(env!("OUT_DIR"), "/redoc.standalone.js"));
/// Redoc's licence, served with it.
const REDOC_LICENSE: &str = include_str!(concat!(env!("OUT_DIR"), "/redoc.LICENSE"));
/// Assets carry no personal data; caches may keep them briefly.
const CACHE: &str = "public, max-age=3600";

/// The page's policy: like every page's, plus inline styles and `blob:` workers for Redoc.
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                            img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
                            worker-src 'self' blob:; object-src 'none'; base-uri 'none'; \
                            frame-ancestors 'none'; form-action 'self'";

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse management API</title>
</head>
<body>
<redoc spec-url="/api/openapi.json" hide-download-button="false" native-scrollbars="true"></redoc>
<script src="/api/docs/redoc.standalone.js"></script>
</body>
</html>
"#;

/// `GET /api/docs` (public).
pub async fn page() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DOCS_CSP),
            ),
        ],
        PAGE,
    )
        .into_response()
}

/// `GET /api/docs/redoc.standalone.js`.
pub async fn redoc() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        REDOC,
    )
        .into_response()
}

/// `GET /api/docs/redoc.LICENSE`.
pub async fn redoc_license() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        REDOC_LICENSE,
    )
        .into_response()
}
