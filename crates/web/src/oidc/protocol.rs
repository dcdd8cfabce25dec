//! The machine-facing endpoints: discovery, JWKS, token, userinfo, introspection, revocation
//! and client logos.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use gatehouse_domain::oauth::{
    self, ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR, OAuthError, TokenRequest,
};
use serde_json::json;

use super::{client_credentials, cors, form_pairs, no_store_json, oauth_error, single};
use crate::AppState;

/// `GET /.well-known/openid-configuration`.
pub(super) async fn discovery(State(state): State<AppState>) -> Response {
    let settings = &state.oauth.settings;
    let url = |path: &str| settings.endpoint(path);
    let algs = ["EdDSA", "ES256", "RS256"];
    let document = json!({
        "issuer": settings.issuer,
        "authorization_endpoint": url("/oauth2/authorize"),
        "token_endpoint": url("/oauth2/token"),
        "userinfo_endpoint": url("/oauth2/userinfo"),
        "jwks_uri": url("/oauth2/jwks"),
        "introspection_endpoint": url("/oauth2/introspect"),
        "revocation_endpoint": url("/oauth2/revoke"),
        "end_session_endpoint": url("/oauth2/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": algs,
        "introspection_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "revocation_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp",
            "at_hash", "name", "given_name", "family_name", "locale", "picture", "updated_at",
            "email", "email_verified"
        ],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "acr_values_supported": [ACR_SINGLE_FACTOR, ACR_MULTI_FACTOR],
        "authorization_response_iss_parameter_supported": true,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_request_uri_registration": false,
        "frontchannel_logout_supported": false,
        "backchannel_logout_supported": false,
    });
    let mut response = axum::Json(document).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    cors::allow_any(&mut response);
    response
}

/// `GET /oauth2/jwks`: every published key. Caches may keep it for the publication lead, so a
/// new key is in every cached copy before it signs.
pub(super) async fn jwks(State(state): State<AppState>) -> Response {
    // Every algorithm has a key before anyone caches the set (keys are made on first use).
    for alg in oauth::jose::Algorithm::ALL {
        if let Err(error) = state.oauth.keys.signer(alg).await {
            return oauth_error(&OAuthError::from(error), false);
        }
    }
    match state.oauth.keys.jwks().await {
        Ok(document) => {
            let mut response = axum::Json(document).into_response();
            let max_age = state.oauth.settings.keys.publish_lead.as_secs() / 2;
            if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
                response.headers_mut().insert(header::CACHE_CONTROL, value);
            }
            cors::allow_any(&mut response);
            response
        }
        Err(error) => oauth_error(&OAuthError::from(error), false),
    }
}

/// `POST /oauth2/token`.
pub(super) async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = match token_request(&headers, &body) {
        Ok(request) => request,
        Err(error) => return oauth_error(&error, headers.contains_key(header::AUTHORIZATION)),
    };
    let used_basic = request.credentials.basic.is_some();
    let client_id = request
        .credentials
        .basic
        .as_ref()
        .map(|(id, _)| id.clone())
        .or_else(|| request.credentials.client_id.clone());
    let mut response = match oauth::exchange(&state.oauth, request).await {
        Ok(answer) => no_store_json(&answer),
        Err(error) => oauth_error(&error, used_basic),
    };
    allow_client_origin(&state, &headers, client_id.as_deref(), &mut response).await;
    response
}

async fn allow_client_origin(
    state: &AppState,
    headers: &HeaderMap,
    client_id: Option<&str>,
    response: &mut Response,
) {
    let (Some(origin), Some(client_id)) = (cors::origin(headers), client_id) else {
        return;
    };
    if let Ok(Some(client)) = state.store.oauth().client_by_client_id(client_id).await {
        cors::allow_if(response, Some(origin), &client.web_origins);
    }
}

fn token_request(headers: &HeaderMap, body: &[u8]) -> Result<TokenRequest, OAuthError> {
    let pairs = form_pairs(headers, body)?;
    Ok(TokenRequest {
        grant_type: single(&pairs, "grant_type")?,
        code: single(&pairs, "code")?,
        redirect_uri: single(&pairs, "redirect_uri")?,
        code_verifier: single(&pairs, "code_verifier")?,
        refresh_token: single(&pairs, "refresh_token")?,
        scope: single(&pairs, "scope")?,
        resource: pairs
            .iter()
            .filter(|(name, _)| name == "resource")
            .map(|(_, value)| value.clone())
            .collect(),
        credentials: client_credentials(headers, &pairs)?,
    })
}

/// The bearer token of a request: the `Authorization` header, or (userinfo by POST) the
/// `access_token` form field (RFC 6750 §2.2).
fn bearer(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if let Some(value) = headers.get(header::AUTHORIZATION)
        && let Ok(value) = value.to_str()
    {
        return value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(|token| token.trim().to_owned());
    }
    form_pairs(headers, body)
        .ok()
        .and_then(|pairs| single(&pairs, "access_token").ok().flatten())
}

/// `GET|POST /oauth2/userinfo`.
pub(super) async fn userinfo(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(token) = bearer(&headers, &body) else {
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"gatehouse\""),
        );
        return response;
    };
    match oauth::userinfo(&state.oauth, &token).await {
        Ok(claims) => {
            let client = oauth::verify_access_token(&state.oauth, &token)
                .await
                .ok()
                .map(|verified| verified.claims.client_id.clone());
            let mut response = no_store_json(&claims);
            allow_client_origin(&state, &headers, client.as_deref(), &mut response).await;
            response
        }
        Err(error) => {
            let mut response = oauth_error(&error, false);
            let challenge = format!(
                "Bearer realm=\"gatehouse\", error=\"{}\"",
                error.code.as_str()
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
            response
        }
    }
}

/// `POST /oauth2/introspect` (RFC 7662).
pub(super) async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed = form_pairs(&headers, &body).and_then(|pairs| {
        let token =
            single(&pairs, "token")?.ok_or_else(|| OAuthError::request("token is required"))?;
        let hint = single(&pairs, "token_type_hint")?;
        Ok((token, hint, client_credentials(&headers, &pairs)?))
    });
    let (token, hint, credentials) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return oauth_error(&error, headers.contains_key(header::AUTHORIZATION)),
    };
    let used_basic = credentials.basic.is_some();
    match oauth::introspect(&state.oauth, &credentials, &token, hint.as_deref()).await {
        Ok(answer) => no_store_json(&answer),
        Err(error) => oauth_error(&error, used_basic),
    }
}

/// `POST /oauth2/revoke` (RFC 7009): 200 whether or not the token was known.
pub(super) async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed = form_pairs(&headers, &body).and_then(|pairs| {
        let token =
            single(&pairs, "token")?.ok_or_else(|| OAuthError::request("token is required"))?;
        Ok((token, client_credentials(&headers, &pairs)?))
    });
    let (token, credentials) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return oauth_error(&error, headers.contains_key(header::AUTHORIZATION)),
    };
    let used_basic = credentials.basic.is_some();
    let client_id = credentials
        .basic
        .as_ref()
        .map(|(id, _)| id.clone())
        .or_else(|| credentials.client_id.clone());
    let mut response = match oauth::revoke(&state.oauth, &credentials, &token).await {
        Ok(()) => no_store_json(&json!({})),
        Err(error) => oauth_error(&error, used_basic),
    };
    allow_client_origin(&state, &headers, client_id.as_deref(), &mut response).await;
    response
}

/// `GET /oauth2/clients/{client_id}/logo`: the uploaded logo, served by Gatehouse.
pub(super) async fn logo(State(state): State<AppState>, Path(client_id): Path<String>) -> Response {
    let not_found = || StatusCode::NOT_FOUND.into_response();
    let Ok(Some(client)) = state.store.oauth().client_by_client_id(&client_id).await else {
        return not_found();
    };
    let Ok(Some(logo)) = state.store.oauth().client_logo(client.id).await else {
        return not_found();
    };
    let Ok(content_type) = HeaderValue::from_str(&logo.content_type) else {
        return not_found();
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("inline"),
            ),
        ],
        logo.bytes,
    )
        .into_response()
}
