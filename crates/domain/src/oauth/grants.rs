//! The token endpoint: the authorization code (with PKCE), refresh token and client credentials
//! grants. A code works once: a second redemption revokes everything the first one issued. A
//! refresh token works once: presenting a used one revokes its whole family (the grant).

use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, Mutex, PoisonError},
};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{
    ErrorCode, OAuth, OAuthError,
    cache::CachedClient,
    client_auth::{ClientCredentials, authenticate},
    clients::{Client, GrantType},
    pkce, scope,
    tokens::{AccessToken, Authentication, IdToken, Subject, issue_access_token, issue_id_token},
};
use crate::{
    DomainError,
    accounts::{digest, new_link_token},
    audit::{Actor, AuditEvent, Outcome, record, record_alone},
    store::{CodeUse, GrantRow, RefreshTokenRow, RefreshUse, Transaction, UserRow},
};

/// A token request's parameters (RFC 6749 §4.1.3, §4.4.2, §6; RFC 8707).
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    /// `grant_type`.
    pub grant_type: Option<String>,
    /// `code`.
    pub code: Option<String>,
    /// `redirect_uri`.
    pub redirect_uri: Option<String>,
    /// `code_verifier`.
    pub code_verifier: Option<String>,
    /// `refresh_token`.
    pub refresh_token: Option<String>,
    /// `scope`.
    pub scope: Option<String>,
    /// `resource` (may repeat; one is accepted).
    pub resource: Vec<String>,
    /// The client's credentials.
    pub credentials: ClientCredentials,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    /// The access token (a JWT).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// A new refresh token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The ID token (code flow and refresh with `openid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The granted scopes.
    pub scope: String,
}

/// Counts of successful client-credentials grants per client since the last flush: they are
/// audited as one event per client and minute (ARCHITECTURE.md §7).
#[derive(Debug, Default)]
pub struct GrantCounts {
    counts: Mutex<HashMap<String, u64>>,
}

impl GrantCounts {
    fn add(&self, client_id: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        match counts.get_mut(client_id) {
            Some(count) => *count += 1,
            None => {
                counts.insert(client_id.to_owned(), 1);
            }
        }
    }

    fn take(&self) -> HashMap<String, u64> {
        std::mem::take(&mut *self.counts.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Writes the counted client-credentials grants to the audit log (one `token.issued` event per
/// client with its count) and starts counting afresh. Returns how many events were written.
pub async fn flush_grant_counts(deps: &OAuth) -> Result<usize, DomainError> {
    let counts = deps.grant_counts.take();
    if counts.is_empty() {
        return Ok(0);
    }
    let now = deps.clock.now();
    let mut transaction = deps.store.begin().await?;
    for (client_id, count) in &counts {
        let mut event = AuditEvent::new(Actor::Client(client_id.clone()), "token.issued");
        event.target = Some(format!("client:{client_id}"));
        event.details = Some(json!({
            "grant_type": "client_credentials",
            "count": count,
            "aggregated": true,
        }));
        record(&mut *transaction, &deps.keyring, now, event).await?;
    }
    transaction.commit().await?;
    Ok(counts.len())
}

/// Answers a token request.
pub async fn exchange(deps: &OAuth, request: TokenRequest) -> Result<TokenResponse, OAuthError> {
    let grant_type = request.grant_type.clone().unwrap_or_default();
    let result = match grant_type.as_str() {
        "authorization_code" => authorization_code(deps, &request).await,
        "refresh_token" => refresh(deps, &request).await,
        "client_credentials" => client_credentials(deps, &request).await,
        "" => Err(OAuthError::request("grant_type is required")),
        "password" | "implicit" => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "the password and implicit grants are not supported",
        )),
        _ => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "unknown grant_type",
        )),
    };
    if let Err(error) = &result
        && !matches!(
            error.code,
            ErrorCode::InvalidClient | ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable
        )
    {
        audit_refusal(deps, &request, &grant_type, error).await;
    }
    result
}

async fn audit_refusal(deps: &OAuth, request: &TokenRequest, grant_type: &str, error: &OAuthError) {
    let client = request
        .credentials
        .basic
        .as_ref()
        .map(|(id, _)| id.clone())
        .or_else(|| request.credentials.client_id.clone())
        .unwrap_or_default();
    let mut event = AuditEvent::new(
        Actor::Client(client.chars().take(64).collect()),
        "token.refused",
    );
    event.outcome = Outcome::Failure;
    event.request_id.clone_from(&request.credentials.request_id);
    event.details = Some(json!({
        "grant_type": grant_type.chars().take(40).collect::<String>(),
        "error": error.code.as_str(),
        "description": error.description,
    }));
    if let Err(failure) = record_alone(&*deps.store, &deps.keyring, deps.clock.now(), event).await {
        tracing::warn!(
            code = failure.code(),
            "a refused token request could not be audited"
        );
    }
}

fn require_grant(client: &Client, grant: GrantType) -> Result<(), OAuthError> {
    if client.allows(grant) {
        Ok(())
    } else {
        Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("this client may not use the {} grant", grant.as_str()),
        ))
    }
}

/// The audience of a token: the one `resource` asked for (which the client must be allowed),
/// or the client's default, or the client itself.
pub(super) fn audience(client: &Client, resources: &[String]) -> Result<String, OAuthError> {
    match resources {
        [] => Ok(client
            .row
            .default_audience
            .clone()
            .unwrap_or_else(|| client.client_id().to_owned())),
        [resource] if client.row.audiences.contains(resource) => Ok(resource.clone()),
        [resource] => Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            format!("this client may not get tokens for {resource:?}"),
        )),
        _ => Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            "ask for one resource per token",
        )),
    }
}

/// The capabilities a client's service account holds for `audience`.
async fn client_capabilities(
    deps: &OAuth,
    cached: &CachedClient,
    audience: &str,
) -> Result<Arc<BTreeSet<String>>, DomainError> {
    if let Some(found) = cached
        .capabilities
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(audience)
    {
        return Ok(found.clone());
    }
    let model = deps.authorizer.model().await?;
    let roles = deps
        .store
        .oauth()
        .client_roles(cached.client.row.id)
        .await?;
    let held: BTreeSet<String> = roles
        .iter()
        .filter_map(|role| model.role_capabilities(*role))
        .flatten()
        .filter(|capability| model.audience_of(capability) == Some(audience))
        .cloned()
        .collect();
    let held = Arc::new(held);
    cached
        .capabilities
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(audience.to_owned(), held.clone());
    Ok(held)
}

/// The capabilities of a user for `audience` (none when the audience is not an API).
async fn user_capabilities(
    deps: &OAuth,
    client: &Client,
    user: Uuid,
    audience: &str,
) -> Result<BTreeSet<String>, DomainError> {
    if !client.row.audiences.iter().any(|a| a == audience) {
        return Ok(BTreeSet::new());
    }
    deps.authorizer.capabilities(user, Some(audience)).await
}

async fn client_credentials(
    deps: &OAuth,
    request: &TokenRequest,
) -> Result<TokenResponse, OAuthError> {
    let cached = authenticate(deps, &request.credentials).await?;
    let client = &cached.client;
    if client.row.public {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "a public client cannot use client_credentials",
        ));
    }
    require_grant(client, GrantType::ClientCredentials)?;
    let scopes = scope::resolve(
        request.scope.as_deref(),
        &client.row.scopes,
        &client.row.default_scopes,
    )?;
    let scope_text = scope::join(&scopes);
    let audience = audience(client, &request.resource)?;
    let capabilities = client_capabilities(deps, &cached, &audience).await?;
    let (access_token, expires_in) = issue_access_token(
        deps,
        AccessToken {
            client,
            subject: Subject::Client,
            scope: &scope_text,
            audience: &audience,
            capabilities: &capabilities,
            authentication: None,
            grant: None,
        },
    )
    .await?;
    deps.grant_counts.add(client.client_id());
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token: None,
        id_token: None,
        scope: scope_text,
    })
}

fn parse_amr(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

async fn active_user(deps: &OAuth, user: Uuid) -> Result<UserRow, OAuthError> {
    match deps.store.users().by_id(user).await? {
        Some(row) if row.status == "active" => Ok(row),
        _ => Err(OAuthError::grant("the user can no longer sign in")),
    }
}

async fn revoke_in(
    deps: &OAuth,
    mut transaction: Box<dyn Transaction>,
    grant: &GrantRow,
    reason: &str,
    action: &str,
    now: DateTime<Utc>,
) -> Result<(), OAuthError> {
    transaction.revoke_grant(grant.id, now, reason).await?;
    let actor = match grant.user_id {
        Some(user) => Actor::User(user),
        None => Actor::System,
    };
    let mut event = AuditEvent::new(actor, action);
    event.outcome = Outcome::Failure;
    event.target = Some(format!("grant:{}", grant.id));
    event.details = Some(json!({ "reason": reason, "grant": grant.id }));
    record(&mut *transaction, &deps.keyring, now, event).await?;
    transaction.commit().await?;
    deps.tokens.forget_grant(grant.id);
    Ok(())
}

async fn authorization_code(
    deps: &OAuth,
    request: &TokenRequest,
) -> Result<TokenResponse, OAuthError> {
    let cached = authenticate(deps, &request.credentials).await?;
    let client = &cached.client;
    require_grant(client, GrantType::AuthorizationCode)?;
    let code = request
        .code
        .as_deref()
        .filter(|code| !code.is_empty() && code.len() <= 200)
        .ok_or_else(|| OAuthError::request("code is required"))?;
    let now = deps.clock.now();
    let mut transaction = deps.store.begin().await?;
    let row = match transaction.redeem_code(&digest(code), now).await? {
        CodeUse::Unknown => return Err(OAuthError::grant("the code is invalid")),
        CodeUse::Used(row) => {
            if row.client_id == client.row.id {
                let grant = grant_of_code(&row, client, now);
                revoke_in(
                    deps,
                    transaction,
                    &grant,
                    "code_reuse",
                    "token.code_reused",
                    now,
                )
                .await?;
            }
            return Err(OAuthError::grant("the code was used before"));
        }
        CodeUse::Fresh(row) => row,
    };
    if row.client_id != client.row.id {
        return Err(OAuthError::grant("the code was issued to another client"));
    }
    if row.expires_at <= now {
        transaction.commit().await?;
        return Err(OAuthError::grant("the code has expired"));
    }
    if request.redirect_uri.as_deref() != Some(row.redirect_uri.as_str()) {
        return Err(OAuthError::grant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    match (&row.code_challenge, request.code_verifier.as_deref()) {
        (Some(challenge), Some(verifier)) => {
            if !pkce::is_valid_verifier(verifier) || !pkce::verify_s256(verifier, challenge) {
                return Err(OAuthError::grant("the code_verifier does not match"));
            }
        }
        (Some(_), None) => return Err(OAuthError::grant("code_verifier is required")),
        (None, _) => {
            return Err(OAuthError::grant(
                "the authorization request sent no code_challenge",
            ));
        }
    }
    if let [resource] = request.resource.as_slice()
        && row.audience.as_deref() != Some(resource.as_str())
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            "resource differs from the authorization request's",
        ));
    }
    let grant = grant_of_code(&row, client, now);
    transaction.insert_grant(&grant).await?;
    let refresh_token = if client.allows(GrantType::RefreshToken) {
        let (token, token_hash) = new_link_token()?;
        transaction
            .insert_refresh_token(&RefreshTokenRow {
                token_hash,
                grant_id: grant.id,
                created_at: now,
                used_at: None,
            })
            .await?;
        Some(token)
    } else {
        None
    };
    let mut event = AuditEvent::new(Actor::User(row.user_id), "token.issued");
    event.target = Some(format!("client:{}", client.client_id()));
    event.request_id.clone_from(&request.credentials.request_id);
    event.details = Some(json!({
        "grant_type": "authorization_code",
        "grant": grant.id,
        "scope": grant.scope,
        "audience": grant.audience,
    }));
    record(&mut *transaction, &deps.keyring, now, event).await?;
    transaction.commit().await?;
    // Read after the transaction (see `refresh`): a disabled user gets nothing, and the grant
    // made for them is never handed out.
    let user = active_user(deps, row.user_id).await?;
    let authentication = Authentication {
        auth_time: row.auth_time,
        amr: parse_amr(&row.amr),
        acr: row.acr.clone(),
    };
    respond(
        deps,
        client,
        &user,
        &grant,
        &grant.scope,
        &authentication,
        row.nonce.as_deref(),
        refresh_token,
    )
    .await
}

fn grant_of_code(row: &crate::store::AuthCodeRow, client: &Client, now: DateTime<Utc>) -> GrantRow {
    GrantRow {
        id: row.grant_id,
        client_id: row.client_id,
        user_id: Some(row.user_id),
        session_id: row.session_id,
        scope: row.scope.clone(),
        audience: row.audience.clone(),
        auth_time: row.auth_time,
        amr: row.amr.clone(),
        acr: row.acr.clone(),
        created_at: now,
        expires_at: now + Duration::seconds(client.row.refresh_token_ttl_secs),
        revoked_at: None,
        revoke_reason: None,
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the values are distinct"
)]
async fn respond(
    deps: &OAuth,
    client: &Client,
    user: &UserRow,
    grant: &GrantRow,
    scope_text: &str,
    authentication: &Authentication,
    nonce: Option<&str>,
    refresh_token: Option<String>,
) -> Result<TokenResponse, OAuthError> {
    let audience = grant
        .audience
        .clone()
        .unwrap_or_else(|| client.client_id().to_owned());
    let capabilities = user_capabilities(deps, client, user.id, &audience).await?;
    let (access_token, expires_in) = issue_access_token(
        deps,
        AccessToken {
            client,
            subject: Subject::User(user.id),
            scope: scope_text,
            audience: &audience,
            capabilities: &capabilities,
            authentication: Some(authentication),
            grant: Some(grant.id),
        },
    )
    .await?;
    let id_token = if scope::contains(scope_text, "openid") {
        Some(
            issue_id_token(
                deps,
                IdToken {
                    client,
                    user,
                    scope: scope_text,
                    authentication,
                    nonce,
                    access_token: &access_token,
                },
            )
            .await?,
        )
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token,
        id_token,
        scope: scope_text.to_owned(),
    })
}

async fn refresh(deps: &OAuth, request: &TokenRequest) -> Result<TokenResponse, OAuthError> {
    let cached = authenticate(deps, &request.credentials).await?;
    let client = &cached.client;
    require_grant(client, GrantType::RefreshToken)?;
    let presented = request
        .refresh_token
        .as_deref()
        .filter(|token| !token.is_empty() && token.len() <= 200)
        .ok_or_else(|| OAuthError::request("refresh_token is required"))?;
    let token_hash = digest(presented);
    let now = deps.clock.now();
    let mut transaction = deps.store.begin().await?;
    let grant = match transaction.use_refresh_token(&token_hash, now).await? {
        RefreshUse::Unknown => return Err(OAuthError::grant("the refresh token is invalid")),
        // Another client's token: refused, and (the transaction rolls back) not used up.
        RefreshUse::Fresh(grant) | RefreshUse::Used(grant) if grant.client_id != client.row.id => {
            return Err(OAuthError::grant("the refresh token is invalid"));
        }
        RefreshUse::Used(grant) => {
            if grant.revoked_at.is_none() {
                revoke_in(
                    deps,
                    transaction,
                    &grant,
                    "refresh_reuse",
                    "token.refresh_reused",
                    now,
                )
                .await?;
            }
            return Err(OAuthError::grant("the refresh token was used before"));
        }
        RefreshUse::Fresh(grant) => grant,
    };
    if grant.revoked_at.is_some() || grant.expires_at <= now {
        transaction.commit().await?;
        return Err(OAuthError::grant("the refresh token is revoked or expired"));
    }
    let Some(user_id) = grant.user_id else {
        return Err(OAuthError::grant("the refresh token is invalid"));
    };
    let granted: Vec<String> = scope::parse(&grant.scope)?;
    let scopes = match request.scope.as_deref() {
        None => granted.clone(),
        Some(asked) => {
            let asked = scope::parse(asked)?;
            if let Some(extra) = asked.iter().find(|s| !granted.contains(s)) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!("{extra:?} was not granted"),
                ));
            }
            if asked.is_empty() {
                granted.clone()
            } else {
                asked
            }
        }
    };
    if !request.resource.is_empty() {
        let asked = audience(client, &request.resource)?;
        if grant.audience.as_deref() != Some(asked.as_str()) {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "resource differs from the grant's",
            ));
        }
    }
    let (token, new_hash) = new_link_token()?;
    transaction
        .insert_refresh_token(&RefreshTokenRow {
            token_hash: new_hash,
            grant_id: grant.id,
            created_at: now,
            used_at: None,
        })
        .await?;
    transaction.commit().await?;
    // The account state, read after the transaction: a read through the pool while it is open
    // could wait for a connection that open transactions hold. Disabling a user revokes their
    // grants too (checked above); the new refresh token is then never handed out.
    if !deps.authorizer.is_active(user_id).await? {
        return Err(OAuthError::grant("the user can no longer sign in"));
    }
    let scope_text = scope::join(&scopes);
    let audience = grant
        .audience
        .clone()
        .unwrap_or_else(|| client.client_id().to_owned());
    let capabilities = user_capabilities(deps, client, user_id, &audience).await?;
    let authentication = Authentication {
        auth_time: grant.auth_time,
        amr: parse_amr(&grant.amr),
        acr: grant.acr.clone(),
    };
    // No new ID token: OpenID Connect Core §12.2 lets a refresh answer without one, and the
    // user's identity has not changed (the sign-in it describes is the same).
    let (access_token, expires_in) = issue_access_token(
        deps,
        AccessToken {
            client,
            subject: Subject::User(user_id),
            scope: &scope_text,
            audience: &audience,
            capabilities: &capabilities,
            authentication: Some(&authentication),
            grant: Some(grant.id),
        },
    )
    .await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token: Some(token),
        id_token: None,
        scope: scope_text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_counts_are_taken_once() {
        let counts = GrantCounts::default();
        counts.add("a");
        counts.add("a");
        counts.add("b");
        let taken = counts.take();
        assert_eq!(taken.get("a"), Some(&2));
        assert_eq!(taken.get("b"), Some(&1));
        assert!(counts.take().is_empty());
    }
}
