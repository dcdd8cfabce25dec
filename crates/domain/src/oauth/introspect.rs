//! Token introspection (RFC 7662) and revocation (RFC 7009). A client may introspect its own
//! tokens; a client whose service account holds `gatehouse:tokens.introspect` may introspect
//! any. Everything else is answered `{"active": false}`, which tells nothing.

use serde::Serialize;
use serde_json::json;

use super::{
    OAuth, OAuthError,
    client_auth::{ClientCredentials, authenticate},
    tokens::verify_access_token,
};
use crate::{
    accounts::digest,
    audit::{Actor, AuditEvent, record},
    authorization::capability::TOKENS_INTROSPECT,
};

/// An introspection answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Introspection {
    /// Whether the token is live.
    pub active: bool,
    /// Granted scopes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client it was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `Bearer` or `refresh_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issued at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Audience.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// Issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Token id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The subject's capabilities for the audience.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
}

async fn may_introspect_any(
    deps: &OAuth,
    cached: &super::cache::CachedClient,
) -> Result<bool, OAuthError> {
    let model = deps.authorizer.model().await?;
    let roles = deps
        .store
        .oauth()
        .client_roles(cached.client.row.id)
        .await?;
    Ok(roles
        .iter()
        .filter_map(|role| model.role_capabilities(*role))
        .any(|held| held.contains(TOKENS_INTROSPECT)))
}

/// Answers an introspection request for `token`.
pub async fn introspect(
    deps: &OAuth,
    credentials: &ClientCredentials,
    token: &str,
    hint: Option<&str>,
) -> Result<Introspection, OAuthError> {
    let cached = super::client_auth::authenticate(deps, credentials).await?;
    if cached.client.row.public {
        return Err(OAuthError::client("public clients cannot introspect"));
    }
    let caller = cached.client.client_id().to_owned();
    let refresh_first = hint == Some("refresh_token");
    let looks_like_jwt = token.bytes().filter(|b| *b == b'.').count() == 2;
    if looks_like_jwt && !refresh_first {
        let Ok(verified) = verify_access_token(deps, token).await else {
            return Ok(Introspection::default());
        };
        let claims = &verified.claims;
        if claims.client_id != caller && !may_introspect_any(deps, &cached).await? {
            return Ok(Introspection::default());
        }
        return Ok(Introspection {
            active: true,
            scope: Some(claims.scope.clone()),
            client_id: Some(claims.client_id.clone()),
            token_type: Some("Bearer".to_owned()),
            exp: Some(claims.exp),
            iat: Some(claims.iat),
            sub: Some(claims.sub.clone()),
            aud: Some(claims.aud.clone()),
            iss: Some(claims.iss.clone()),
            jti: Some(claims.jti.clone()),
            capabilities: Some(claims.capabilities.clone()),
        });
    }
    let Some((row, grant)) = deps.store.oauth().refresh_token(&digest(token)).await? else {
        return Ok(Introspection::default());
    };
    let now = deps.clock.now();
    let Some(client) = deps.store.oauth().client_by_id(grant.client_id).await? else {
        return Ok(Introspection::default());
    };
    if row.used_at.is_some() || grant.revoked_at.is_some() || grant.expires_at <= now {
        return Ok(Introspection::default());
    }
    if client.client_id != caller && !may_introspect_any(deps, &cached).await? {
        return Ok(Introspection::default());
    }
    Ok(Introspection {
        active: true,
        scope: Some(grant.scope.clone()),
        client_id: Some(client.client_id),
        token_type: Some("refresh_token".to_owned()),
        exp: Some(grant.expires_at.timestamp()),
        iat: Some(row.created_at.timestamp()),
        sub: grant.user_id.map(|user| user.to_string()),
        aud: grant.audience.clone(),
        iss: Some(deps.settings.issuer.clone()),
        jti: None,
        capabilities: None,
    })
}

/// Revokes a token of the calling client (RFC 7009): a refresh token, or an access token
/// issued under a grant, ends the whole grant. Unknown tokens and other clients' tokens are
/// ignored; the answer is the same.
pub async fn revoke(
    deps: &OAuth,
    credentials: &ClientCredentials,
    token: &str,
) -> Result<(), OAuthError> {
    let cached = authenticate(deps, credentials).await?;
    let client = &cached.client;
    let grant = match deps.store.oauth().refresh_token(&digest(token)).await? {
        Some((_, grant)) => Some(grant),
        None => match verify_access_token(deps, token).await {
            Ok(verified) if verified.claims.client_id == client.client_id() => {
                match verified.claims.gid {
                    Some(grant) => deps.store.oauth().grant(grant).await?,
                    None => None,
                }
            }
            _ => None,
        },
    };
    let Some(grant) = grant.filter(|grant| grant.client_id == client.row.id) else {
        return Ok(());
    };
    let now = deps.clock.now();
    let mut transaction = deps.store.begin().await?;
    if transaction.revoke_grant(grant.id, now, "revoked").await? {
        let mut event = AuditEvent::new(
            Actor::Client(client.client_id().to_owned()),
            "token.revoked",
        );
        event.target = Some(format!("grant:{}", grant.id));
        event.request_id.clone_from(&credentials.request_id);
        event.details = Some(json!({ "user": grant.user_id }));
        record(&mut *transaction, &deps.keyring, now, event).await?;
        transaction.commit().await?;
    }
    deps.tokens.forget_grant(grant.id);
    Ok(())
}
