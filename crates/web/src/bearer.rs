//! Who calls the management API (`/api/v1`): a Gatehouse-issued access token in
//! `Authorization: Bearer …` (RFC 6750) for the audience `gatehouse`, or — the second way, for
//! the console's own scripts — the session cookie with the CSRF header. A request that carries
//! an `Authorization` header is judged by the header alone.
//!
//! Tokens are verified by `oauth::verify_access_token` (signature by a published key, `typ`
//! `at+jwt`, issuer, expiry, grant and client still live; cached per node by digest until
//! expiry). A user's token acts with the user's *live* capabilities, so a role taken away
//! counts at once; a client acting for itself holds the capabilities its token carries (those
//! of its service account's roles when it was issued).

use std::{collections::BTreeSet, sync::Arc};

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use gatehouse_domain::{
    DomainError,
    accounts::RequestContext,
    audit::Actor,
    authorization::{Admin, Administrator, GATEHOUSE_API, Who},
    oauth::{ErrorCode, OAuthError, Operator, verify_access_token},
};
use uuid::Uuid;

use crate::{AppState, Problem, client_ip::ClientIp};

/// Longest token considered (Gatehouse's are well under 2 KiB).
const MAX_TOKEN_LENGTH: usize = 8 * 1024;
/// Longest user agent recorded.
const MAX_USER_AGENT: usize = 512;

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A bearer access token.
    Bearer,
    /// The session cookie (with the CSRF header on changes).
    Session,
}

/// Who calls.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A user (their token, or their browser session).
    User(Uuid),
    /// A client acting for itself (client credentials), with its token's capabilities.
    Client {
        /// The public `client_id`.
        client_id: String,
        /// The `gatehouse:*` capabilities the token carries.
        capabilities: Arc<BTreeSet<String>>,
    },
}

impl Principal {
    /// Whether the caller holds `capability` now.
    pub async fn holds(&self, state: &AppState, capability: &str) -> Result<bool, DomainError> {
        match self {
            Self::User(user) => Ok(state.authorizer.check(*user, capability).await?.allowed),
            Self::Client { capabilities, .. } => Ok(capabilities.contains(capability)),
        }
    }

    /// The actor audit events name.
    pub fn actor(&self) -> Actor {
        match self {
            Self::User(user) => Actor::User(*user),
            Self::Client { client_id, .. } => Actor::Client(client_id.clone()),
        }
    }

    /// The user, when a user calls.
    pub fn user(&self) -> Option<Uuid> {
        match self {
            Self::User(user) => Some(*user),
            Self::Client { .. } => None,
        }
    }
}

/// The authenticated caller of a management API route, put in the request's extensions by the
/// route guard; handlers extract it.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    /// Who.
    pub principal: Principal,
    /// How they authenticated.
    pub via: Via,
    /// What use cases record about the request.
    pub context: RequestContext,
}

impl ApiCaller {
    /// The caller as an operator of the administrative use cases: a user with the `gatehouse`
    /// capabilities they hold now, or a client with its token's.
    pub async fn operator(&self, state: &AppState) -> Result<Operator, DomainError> {
        match &self.principal {
            Principal::User(user) => {
                Operator::user(&state.authorizer, *user, self.context.clone()).await
            }
            Principal::Client {
                client_id,
                capabilities,
            } => Ok(Operator::with_capabilities(
                Actor::Client(client_id.clone()),
                (**capabilities).clone(),
                self.context.clone(),
            )),
        }
    }

    /// The caller as the authorization-model use cases take it: a user as [`Admin`] (checked
    /// live), a client as an [`Operator`].
    pub async fn administrator(&self, state: &AppState) -> Result<ApiAdministrator, DomainError> {
        Ok(match &self.principal {
            Principal::User(user) => ApiAdministrator::User(Admin {
                user_id: *user,
                context: self.context.clone(),
            }),
            Principal::Client { .. } => ApiAdministrator::Service(self.operator(state).await?),
        })
    }

    /// The idempotency store's key for the caller (`user:<id>`, `client:<client_id>`).
    pub fn actor_key(&self) -> String {
        gatehouse_domain::users::actor_key(&self.principal.actor())
    }
}

/// [`ApiCaller::administrator`]'s answer.
#[derive(Debug, Clone)]
pub enum ApiAdministrator {
    /// A user.
    User(Admin),
    /// A service account.
    Service(Operator),
}

impl Administrator for ApiAdministrator {
    fn who(&self) -> Who<'_> {
        match self {
            Self::User(admin) => admin.who(),
            Self::Service(operator) => operator.who(),
        }
    }

    fn context(&self) -> &RequestContext {
        match self {
            Self::User(admin) => admin.context(),
            Self::Service(operator) => Administrator::context(operator),
        }
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Response> {
        parts.extensions.get::<Self>().cloned().ok_or_else(|| {
            // Only reachable when a handler is mounted without the guard: refuse.
            unauthenticated(None).into_response()
        })
    }
}

fn header_text(headers: &HeaderMap, name: &str, limit: usize) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?;
    Some(value.chars().take(limit).collect())
}

/// The request facts use cases record (IP after trusted-proxy rules, user agent, request id).
pub async fn request_context(parts: &mut Parts, state: &AppState) -> RequestContext {
    let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
    RequestContext {
        ip: ip.map(|address| address.to_string()),
        user_agent: header_text(&parts.headers, "user-agent", MAX_USER_AGENT),
        request_id: header_text(&parts.headers, "x-request-id", 64),
        locale: None,
    }
}

/// Whether the request carries an `Authorization` header (then it is judged by it alone).
pub fn has_authorization(headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION)
}

/// The token of an `Authorization: Bearer <token>` header; `Err` with the 401 to send when the
/// header is another scheme or malformed.
fn bearer_token(headers: &HeaderMap) -> Result<&str, Unauthenticated> {
    let malformed = || {
        unauthenticated(Some((
            ErrorCode::InvalidRequest,
            "send Authorization: Bearer <access token>",
        )))
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(malformed)?;
    let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer")
        || token.is_empty()
        || token.len() > MAX_TOKEN_LENGTH
        || token.contains(' ')
    {
        return Err(malformed());
    }
    Ok(token)
}

/// Authenticates the bearer token of the request: the principal, or the answer to send (401
/// with `WWW-Authenticate`, or 503 when the database cannot answer).
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Principal, Response> {
    let token = bearer_token(headers).map_err(IntoResponse::into_response)?;
    let verified = match verify_access_token(&state.oauth, token).await {
        Ok(verified) => verified,
        Err(error) => return Err(oauth_failure(&error)),
    };
    let claims = &verified.claims;
    if claims.aud != GATEHOUSE_API {
        return Err(invalid_token(
            "the access token is not for the audience gatehouse",
        ));
    }
    match claims.user_id() {
        Some(user) => match state.authorizer.is_active(user).await {
            Ok(true) => Ok(Principal::User(user)),
            Ok(false) => Err(invalid_token("the access token's user is not active")),
            Err(error) => Err(Problem::from(error).into_response()),
        },
        None if claims.sub == claims.client_id => {
            let capabilities = claims
                .capabilities
                .iter()
                .filter(|name| name.starts_with("gatehouse:"))
                .cloned()
                .collect();
            Ok(Principal::Client {
                client_id: claims.client_id.clone(),
                capabilities: Arc::new(capabilities),
            })
        }
        None => Err(invalid_token("the access token's subject is unknown")),
    }
}

fn oauth_failure(error: &OAuthError) -> Response {
    match error.code {
        ErrorCode::TemporarilyUnavailable => Problem::new(StatusCode::SERVICE_UNAVAILABLE)
            .code("unavailable")
            .detail(error.description.clone())
            .retry_after(crate::error::UNAVAILABLE_RETRY_AFTER_SECS)
            .into_response(),
        ErrorCode::ServerError => Problem::new(StatusCode::INTERNAL_SERVER_ERROR).into_response(),
        _ => invalid_token(&error.description),
    }
}

/// 401 for a token that is not (or no longer) acceptable.
pub fn invalid_token(description: &str) -> Response {
    unauthenticated(Some((ErrorCode::InvalidToken, description))).into_response()
}

/// A 401 problem with its `WWW-Authenticate` challenge (RFC 6750 §3): with an error code when
/// credentials were sent and refused, without one when none were sent.
pub fn unauthenticated(error: Option<(ErrorCode, &str)>) -> Unauthenticated {
    Unauthenticated {
        error: error.map(|(code, description)| (code, description.to_owned())),
    }
}

/// See [`unauthenticated`].
#[derive(Debug)]
pub struct Unauthenticated {
    error: Option<(ErrorCode, String)>,
}

impl IntoResponse for Unauthenticated {
    fn into_response(self) -> Response {
        let (problem, challenge) = match &self.error {
            Some((code, description)) => (
                Problem::new(StatusCode::UNAUTHORIZED)
                    .code(code.as_str())
                    .detail(description.clone()),
                format!(
                    "Bearer realm=\"gatehouse\", error=\"{}\", error_description=\"{}\"",
                    code.as_str(),
                    description.replace(['"', '\\'], "'")
                ),
            ),
            None => (
                Problem::new(StatusCode::UNAUTHORIZED)
                    .code("not_signed_in")
                    .detail("send a bearer access token for the audience gatehouse"),
                "Bearer realm=\"gatehouse\"".to_owned(),
            ),
        };
        let mut response = problem.into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// 403 for a bearer caller lacking `capability` (RFC 6750 `insufficient_scope`).
pub fn insufficient(capability: &str, via: Via) -> Response {
    let mut response = Problem::new(StatusCode::FORBIDDEN)
        .code("forbidden")
        .detail(format!("this needs the capability {capability}"))
        .into_response();
    if via == Via::Bearer
        && let Ok(value) = HeaderValue::from_str(&format!(
            "Bearer realm=\"gatehouse\", error=\"insufficient_scope\", \
             error_description=\"this needs the capability {capability}\""
        ))
    {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn only_a_bearer_token_is_taken() {
        assert_eq!(
            bearer_token(&headers("Bearer abc.def.ghi")).unwrap(),
            "abc.def.ghi"
        );
        assert_eq!(bearer_token(&headers("bearer  abc")).unwrap(), "abc");
        for refused in ["Basic YTpi", "Bearer", "Bearer ", "Bearer a b", "abc"] {
            let response = bearer_token(&headers(refused)).unwrap_err().into_response();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{refused}");
            let challenge = response.headers()[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap();
            assert!(challenge.starts_with("Bearer "), "{challenge}");
        }
    }

    #[test]
    fn refusals_carry_the_rfc_6750_challenge() {
        let response = invalid_token("the access token is invalid or expired");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let challenge = response.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap();
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
        let missing = unauthenticated(None).into_response();
        let challenge = missing.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap();
        assert_eq!(challenge, "Bearer realm=\"gatehouse\"");
        let forbidden = insufficient("gatehouse:users.read", Via::Bearer);
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
        assert!(
            forbidden.headers()[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .contains("insufficient_scope")
        );
        assert!(
            !insufficient("x", Via::Session)
                .headers()
                .contains_key(header::WWW_AUTHENTICATE)
        );
    }
}
