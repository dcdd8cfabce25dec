//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). With a valid `id_token_hint`
//! for the signed-in user the session ends at once; otherwise the user confirms first. A
//! `post_logout_redirect_uri` must be registered exactly for the client named by the hint or
//! by `client_id`. Ending the session also revokes the grants that came from it.

use serde_json::json;
use uuid::Uuid;

use super::{OAuth, OAuthError, client_auth::load_client, jose, redirect_uri};
use crate::{
    DomainError,
    accounts::CurrentSession,
    audit::{Actor, AuditEvent, record},
};

/// The logout request's parameters.
#[derive(Debug, Clone, Default)]
pub struct LogoutRequest {
    /// `id_token_hint`.
    pub id_token_hint: Option<String>,
    /// `client_id`.
    pub client_id: Option<String>,
    /// `post_logout_redirect_uri`.
    pub post_logout_redirect_uri: Option<String>,
    /// `state`.
    pub state: Option<String>,
}

/// What the logout endpoint answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutOutcome {
    /// Show an error page.
    Error(OAuthError),
    /// Ask the user to confirm.
    Confirm {
        /// The client's display name, when known.
        client_name: Option<String>,
    },
    /// The session (if any) must end now; then go to `redirect` or show a signed-out page.
    Done {
        /// The session to end.
        session: Option<Uuid>,
        /// Where to send the browser (with `state`).
        redirect: Option<String>,
    },
}

/// Checks a logout request; `confirmed` when the user confirmed on Gatehouse's page.
pub async fn logout(
    deps: &OAuth,
    request: &LogoutRequest,
    session: Option<&CurrentSession>,
    confirmed: bool,
) -> Result<LogoutOutcome, DomainError> {
    let show = |description: &str| Ok(LogoutOutcome::Error(OAuthError::request(description)));
    let mut hinted_user = None;
    let mut client_id = request.client_id.clone();
    if let Some(hint) = &request.id_token_hint {
        let Some(claims) = verify_hint(deps, hint).await? else {
            return show("id_token_hint is not an ID token Gatehouse issued");
        };
        let audience = match claims.get("aud") {
            Some(serde_json::Value::String(aud)) => Some(aud.clone()),
            Some(serde_json::Value::Array(auds)) => {
                auds.first().and_then(|a| a.as_str()).map(str::to_owned)
            }
            _ => None,
        };
        if client_id.is_some() && client_id != audience {
            return show("client_id differs from the id_token_hint's audience");
        }
        client_id = audience;
        hinted_user = claims
            .get("sub")
            .and_then(|sub| sub.as_str())
            .and_then(|sub| Uuid::parse_str(sub).ok());
    }
    let client = match &client_id {
        Some(id) => match load_client(deps, id).await? {
            Some(cached) => Some(cached.client),
            None => return show("unknown client_id"),
        },
        None => None,
    };
    let redirect = match &request.post_logout_redirect_uri {
        None => None,
        Some(uri) => {
            let Some(client) = &client else {
                return show("post_logout_redirect_uri needs id_token_hint or client_id");
            };
            if !redirect_uri::matches(&client.row.post_logout_redirect_uris, uri, false) {
                return show("post_logout_redirect_uri is not registered for this client");
            }
            let mut url = url::Url::parse(uri)
                .map_err(|_| DomainError::Invalid("post_logout_redirect_uri".to_owned()))?;
            if let Some(state) = &request.state {
                url.query_pairs_mut().append_pair("state", state);
            }
            Some(url.to_string())
        }
    };
    let Some(session) = session else {
        return Ok(LogoutOutcome::Done {
            session: None,
            redirect,
        });
    };
    let vouched = hinted_user == Some(session.user.id());
    if !vouched && !confirmed {
        return Ok(LogoutOutcome::Confirm {
            client_name: client.map(|client| client.row.name.clone()),
        });
    }
    let now = deps.clock.now();
    let mut transaction = deps.store.begin().await?;
    let grants = transaction
        .revoke_session_grants(session.session.id, now, "logout")
        .await?;
    let mut event = AuditEvent::new(Actor::User(session.user.id()), "oauth.logout");
    event.subject = Some(session.user.id());
    event.details = Some(json!({
        "client": client_id,
        "grants_revoked": grants.len(),
        "confirmed": confirmed,
    }));
    record(&mut *transaction, &deps.keyring, now, event).await?;
    transaction.commit().await?;
    for grant in grants {
        deps.tokens.forget_grant(grant);
    }
    Ok(LogoutOutcome::Done {
        session: Some(session.session.id),
        redirect,
    })
}

/// The claims of an ID token Gatehouse signed (expired ones too: a hint may be old).
async fn verify_hint(
    deps: &OAuth,
    hint: &str,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, DomainError> {
    let Ok(unverified) = jose::decode(hint) else {
        return Ok(None);
    };
    let Some(kid) = unverified.header.kid.as_deref() else {
        return Ok(None);
    };
    let Some(key) = deps.keys.public_key(kid).await? else {
        return Ok(None);
    };
    let Ok(claims) = jose::verify(hint, |_| Some(&*key), Some("JWT")) else {
        return Ok(None);
    };
    if claims.get("iss").and_then(|iss| iss.as_str()) != Some(deps.settings.issuer.as_str()) {
        return Ok(None);
    }
    Ok(Some(claims))
}

/// The OAuth side of signing a user out everywhere or disabling them: revokes all their
/// grants. Returns how many.
pub async fn revoke_all_grants(
    deps: &OAuth,
    user: Uuid,
    reason: &str,
) -> Result<usize, DomainError> {
    let now = deps.clock.now();
    let mut transaction = deps.store.begin().await?;
    let grants = transaction
        .revoke_user_grants(user, None, now, reason)
        .await?;
    transaction.commit().await?;
    for grant in &grants {
        deps.tokens.forget_grant(*grant);
    }
    Ok(grants.len())
}
