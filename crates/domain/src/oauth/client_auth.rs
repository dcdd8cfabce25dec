//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_basic`, `client_secret_post`, `private_key_jwt` (RFC 7523, each assertion
//! usable once) and `none` for public clients. Exactly one method per request.

use std::sync::Arc;

use serde_json::json;

use super::{
    OAuth, OAuthError,
    cache::CachedClient,
    clients::{AuthMethod, Client},
    jose,
};
use crate::{
    DomainError,
    audit::{Actor, AuditEvent, Outcome, record_alone},
};

/// The assertion type of `private_key_jwt`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What a request carried to authenticate its client.
#[derive(Debug, Clone, Default)]
pub struct ClientCredentials {
    /// From `Authorization: Basic` (already form-decoded): id and secret.
    pub basic: Option<(String, String)>,
    /// `client_id` in the body.
    pub client_id: Option<String>,
    /// `client_secret` in the body.
    pub client_secret: Option<String>,
    /// `client_assertion_type` in the body.
    pub assertion_type: Option<String>,
    /// `client_assertion` in the body.
    pub assertion: Option<String>,
    /// The request id (for the audit event of a failure).
    pub request_id: Option<String>,
}

/// The client with this `client_id`, through this node's cache.
pub(super) async fn load_client(
    deps: &OAuth,
    client_id: &str,
) -> Result<Option<CachedClient>, DomainError> {
    if let Some(cached) = deps.clients.get(client_id) {
        return Ok(cached);
    }
    if client_id.len() > 200 {
        return Ok(None);
    }
    let loaded = match deps.store.oauth().client_by_client_id(client_id).await? {
        Some(row) => Some(CachedClient {
            client: Arc::new(Client::from_row(row)?),
            capabilities: Arc::default(),
        }),
        None => None,
    };
    deps.clients.put(client_id, loaded.clone());
    Ok(loaded)
}

/// Authenticates the client of a token, introspection or revocation request.
pub async fn authenticate_client(
    deps: &OAuth,
    credentials: &ClientCredentials,
) -> Result<Arc<Client>, OAuthError> {
    authenticate(deps, credentials)
        .await
        .map(|cached| cached.client)
}

pub(super) async fn authenticate(
    deps: &OAuth,
    credentials: &ClientCredentials,
) -> Result<CachedClient, OAuthError> {
    let methods = usize::from(credentials.basic.is_some())
        + usize::from(credentials.client_secret.is_some())
        + usize::from(credentials.assertion.is_some());
    if methods > 1 {
        return Err(OAuthError::request(
            "use exactly one client authentication method",
        ));
    }
    if let (Some((basic_id, _)), Some(form_id)) = (&credentials.basic, &credentials.client_id)
        && basic_id != form_id
    {
        return Err(OAuthError::request(
            "client_id in the body differs from the Basic credentials",
        ));
    }
    let (client_id, method) = if let Some((id, _)) = &credentials.basic {
        (id.clone(), AuthMethod::ClientSecretBasic)
    } else if credentials.client_secret.is_some() {
        let id = credentials
            .client_id
            .clone()
            .ok_or_else(|| OAuthError::request("client_secret without client_id"))?;
        (id, AuthMethod::ClientSecretPost)
    } else if let Some(assertion) = &credentials.assertion {
        if credentials.assertion_type.as_deref() != Some(JWT_BEARER) {
            return Err(OAuthError::request(format!(
                "client_assertion_type must be {JWT_BEARER}"
            )));
        }
        let unverified = jose::decode(assertion)
            .map_err(|_| OAuthError::client("the client assertion is not a JWT"))?;
        let subject = unverified
            .claims
            .get("sub")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| OAuthError::client("the client assertion has no sub"))?
            .to_owned();
        if credentials
            .client_id
            .as_deref()
            .is_some_and(|id| id != subject)
        {
            return Err(OAuthError::client(
                "client_id differs from the assertion's subject",
            ));
        }
        (subject, AuthMethod::PrivateKeyJwt)
    } else if let Some(id) = &credentials.client_id {
        (id.clone(), AuthMethod::None)
    } else {
        return Err(OAuthError::client("client authentication is required"));
    };
    let result = check(deps, credentials, &client_id, method).await;
    if let Err(error) = &result
        && error.code == super::ErrorCode::InvalidClient
    {
        audit_failure(deps, credentials, &client_id, method, &error.description).await;
    }
    result
}

async fn check(
    deps: &OAuth,
    credentials: &ClientCredentials,
    client_id: &str,
    method: AuthMethod,
) -> Result<CachedClient, OAuthError> {
    let failed = || OAuthError::client("client authentication failed");
    let Some(cached) = load_client(deps, client_id).await? else {
        return Err(failed());
    };
    let client = &cached.client;
    if client.disabled() {
        return Err(OAuthError::client("the client is disabled"));
    }
    match method {
        AuthMethod::None => {
            if !client.row.public {
                return Err(failed());
            }
        }
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost => {
            if client.row.public {
                return Err(OAuthError::client(
                    "a public client has no secret; send only client_id",
                ));
            }
            if client
                .auth_method
                .is_some_and(|registered| registered != method)
            {
                return Err(OAuthError::client(format!(
                    "this client registered {}",
                    client.auth_method.map_or("", AuthMethod::as_str)
                )));
            }
            let secret = match method {
                AuthMethod::ClientSecretBasic => credentials.basic.as_ref().map(|(_, s)| s),
                _ => credentials.client_secret.as_ref(),
            };
            let (Some(secret), Some(stored)) = (secret, &client.row.secret_mac) else {
                return Err(failed());
            };
            let key = deps
                .keyring
                .key(crate::secrets::purpose::CLIENT_SECRETS)
                .await?;
            if !key.verify_mac(&[client_id.as_bytes(), secret.as_bytes()], stored) {
                return Err(failed());
            }
        }
        AuthMethod::PrivateKeyJwt => {
            if client.auth_method != Some(AuthMethod::PrivateKeyJwt) {
                return Err(OAuthError::client(
                    "this client did not register private_key_jwt",
                ));
            }
            let assertion = credentials.assertion.as_deref().unwrap_or_default();
            verify_assertion(deps, client, assertion).await?;
        }
    }
    Ok(cached)
}

async fn verify_assertion(
    deps: &OAuth,
    client: &Client,
    assertion: &str,
) -> Result<(), OAuthError> {
    let failed = |why: &str| OAuthError::client(format!("client assertion: {why}"));
    let claims = jose::verify(
        assertion,
        |header| {
            client.keys.iter().find(|key| {
                key.alg() == header.alg
                    && header
                        .kid
                        .as_deref()
                        .is_none_or(|kid| key.kid() == Some(kid))
            })
        },
        None,
    )
    .map_err(|error| failed(&error.to_string()))?;
    let now = deps.clock.now();
    let client_id = client.client_id();
    let text = |name: &str| claims.get(name).and_then(serde_json::Value::as_str);
    if text("iss") != Some(client_id) || text("sub") != Some(client_id) {
        return Err(failed("iss and sub must be the client_id"));
    }
    let token_endpoint = deps.settings.endpoint("/oauth2/token");
    let audience_ok = match claims.get("aud") {
        Some(serde_json::Value::String(aud)) => {
            *aud == deps.settings.issuer || *aud == token_endpoint
        }
        Some(serde_json::Value::Array(auds)) => auds.iter().any(|aud| {
            aud.as_str()
                .is_some_and(|aud| aud == deps.settings.issuer || aud == token_endpoint)
        }),
        _ => false,
    };
    if !audience_ok {
        return Err(failed("aud must be the issuer or the token endpoint"));
    }
    let exp = claims
        .get("exp")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| failed("exp is required"))?;
    let now_secs = now.timestamp();
    if exp <= now_secs - 30 {
        return Err(failed("expired"));
    }
    if exp > now_secs + 600 {
        return Err(failed("exp is more than ten minutes away"));
    }
    if let Some(nbf) = claims.get("nbf").and_then(serde_json::Value::as_i64)
        && nbf > now_secs + 30
    {
        return Err(failed("not valid yet"));
    }
    let jti = text("jti").ok_or_else(|| failed("jti is required"))?;
    if jti.len() > 200 {
        return Err(failed("jti is too long"));
    }
    let mut transaction = deps.store.begin().await?;
    let fresh = transaction
        .use_idempotency_key(&format!("client-assertion:{client_id}:{jti}"), now)
        .await?;
    transaction.commit().await?;
    if !fresh {
        return Err(failed("this assertion was used before"));
    }
    Ok(())
}

async fn audit_failure(
    deps: &OAuth,
    credentials: &ClientCredentials,
    client_id: &str,
    method: AuthMethod,
    reason: &str,
) {
    let mut event = AuditEvent::new(Actor::Anonymous, "oauth.client_authentication");
    event.outcome = Outcome::Failure;
    event.target = Some(format!(
        "client:{}",
        client_id.chars().take(64).collect::<String>()
    ));
    event.request_id.clone_from(&credentials.request_id);
    event.details = Some(json!({ "method": method.as_str(), "reason": reason }));
    if let Err(error) = record_alone(&*deps.store, &deps.keyring, deps.clock.now(), event).await {
        tracing::warn!(
            code = error.code(),
            "a client authentication failure could not be audited"
        );
    }
}
