//! The OAuth 2.0 / OpenID Connect protocol surface: discovery, JWKS, the authorization
//! endpoint and its hosted steps (consent, account choice), token, userinfo, introspection,
//! revocation and RP-initiated logout, plus the "connected applications" account page.
//! Protocol endpoints authenticate OAuth clients; the hosted steps use the session cookie and
//! CSRF tokens like every other page. Errors are in RFC 6749 form.

mod cors;
mod pages;
mod protocol;

use axum::{
    Json, Router,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use gatehouse_domain::oauth::{ClientCredentials, ErrorCode, OAuthError};
use serde_json::json;

use crate::{AppState, csrf};

/// The routes.
pub fn routes(state: &AppState) -> Router<AppState> {
    let hosted = Router::new()
        .route("/oauth2/consent", post(pages::consent))
        .route("/oauth2/authorize/select", post(pages::select))
        .route("/oauth2/logout/confirm", post(pages::confirm_logout))
        .route("/account/apps", get(pages::apps))
        .route("/account/apps/{client}/revoke", post(pages::revoke_app))
        .route_layer(middleware::from_fn_with_state(state.clone(), csrf::enforce));
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(protocol::discovery).options(cors::preflight),
        )
        .route("/oauth2/jwks", get(protocol::jwks).options(cors::preflight))
        .route(
            "/oauth2/authorize",
            get(pages::authorize_get).post(pages::authorize_post),
        )
        .route("/oauth2/authorize/resume", get(pages::resume))
        .route(
            "/oauth2/token",
            post(protocol::token).options(cors::preflight),
        )
        .route(
            "/oauth2/userinfo",
            get(protocol::userinfo)
                .post(protocol::userinfo)
                .options(cors::preflight),
        )
        .route("/oauth2/introspect", post(protocol::introspect))
        .route(
            "/oauth2/revoke",
            post(protocol::revoke).options(cors::preflight),
        )
        .route(
            "/oauth2/logout",
            get(pages::logout_get).post(pages::logout_post),
        )
        .route("/oauth2/clients/{client_id}/logo", get(protocol::logo))
        .merge(hosted)
}

/// A form body's pairs, or `invalid_request` when it is not a form.
fn form_pairs(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.split(';').next().is_some_and(|kind| {
                kind.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if !form {
        return Err(OAuthError::request(
            "send the parameters as application/x-www-form-urlencoded",
        ));
    }
    Ok(form_urlencoded::parse(body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect())
}

/// The single value of `name`; a repeated parameter is `invalid_request`.
fn single(pairs: &[(String, String)], name: &str) -> Result<Option<String>, OAuthError> {
    let mut values = pairs.iter().filter(|(key, _)| key == name);
    let first = values.next().map(|(_, value)| value.clone());
    if values.next().is_some() {
        return Err(OAuthError::request(format!("{name} may appear only once")));
    }
    Ok(first.filter(|value| !value.is_empty()))
}

/// `Authorization: Basic` credentials, form-decoded (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| OAuthError::client("malformed Authorization header"))?;
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return Ok(None);
    };
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| OAuthError::client("malformed Basic credentials"))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| OAuthError::client("malformed Basic credentials"))?;
    let decode = |part: &str| -> String {
        form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((decode(id), decode(secret))))
}

/// The client credentials a protocol request carries.
fn client_credentials(
    headers: &HeaderMap,
    pairs: &[(String, String)],
) -> Result<ClientCredentials, OAuthError> {
    Ok(ClientCredentials {
        basic: basic_credentials(headers)?,
        client_id: single(pairs, "client_id")?,
        client_secret: single(pairs, "client_secret")?,
        assertion_type: single(pairs, "client_assertion_type")?,
        assertion: single(pairs, "client_assertion")?,
        request_id: headers
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .map(|value| value.chars().take(64).collect()),
    })
}

/// An RFC 6749 §5.2 error response, never cached. `invalid_client` is 401 with a
/// `WWW-Authenticate` challenge when the client tried HTTP Basic.
fn oauth_error(error: &OAuthError, used_basic: bool) -> Response {
    let status = match error.code {
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
        ErrorCode::InsufficientScope | ErrorCode::AccessDenied => StatusCode::FORBIDDEN,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = (
        status,
        Json(json!({ "error": error.code.as_str(), "error_description": error.description })),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if error.code == ErrorCode::InvalidClient && used_basic {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"gatehouse\""),
        );
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// A JSON answer that must not be cached (tokens, introspection).
fn no_store_json(body: &impl serde::Serialize) -> Response {
    let mut response = Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
