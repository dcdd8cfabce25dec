//! Who is calling: the signed-in session (from the `__Host-gatehouse_session` cookie), the
//! language to answer in, and the request facts use cases record (IP, user agent, request id).

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, request::Parts},
    response::Response,
};
use gatehouse_domain::accounts::{AccountError, CurrentSession, RequestContext, authenticate};

use crate::{
    AppState, account::error::Failure, client_ip::ClientIp, cookies, i18n::Language, surface,
};

/// Session tokens are 43 characters; anything much longer is not one.
const MAX_TOKEN_LENGTH: usize = 128;
/// Longest user agent recorded.
const MAX_USER_AGENT: usize = 512;

/// The caller of a page or JSON endpoint.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The application state.
    pub state: AppState,
    /// The signed-in session, if any.
    pub session: Option<CurrentSession>,
    /// The language to answer in.
    pub language: Language,
    /// The token of a sign-in or step-up waiting for its second step (its cookie), if any.
    pub challenge: Option<String>,
    /// What use cases record about the request.
    pub context: RequestContext,
}

/// A session lookup already made for this request.
#[derive(Debug, Clone)]
struct SessionLookup(Option<CurrentSession>);

/// The request's session, looked up once per request.
async fn current_session(
    parts: &mut Parts,
    state: &AppState,
) -> Result<Option<CurrentSession>, AccountError> {
    if let Some(SessionLookup(found)) = parts.extensions.get::<SessionLookup>() {
        return Ok(found.clone());
    }
    let found = match cookies::read(&parts.headers, cookies::SESSION) {
        Some(token) if token.len() <= MAX_TOKEN_LENGTH => {
            authenticate(&state.accounts, token).await?
        }
        _ => None,
    };
    parts.extensions.insert(SessionLookup(found.clone()));
    Ok(found)
}

fn header_text(headers: &HeaderMap, name: &str, limit: usize) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?;
    Some(value.chars().take(limit).collect())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = match current_session(parts, state).await {
            Ok(session) => session,
            Err(error) => {
                let now = state.accounts.clock.now();
                return Err(surface::respond(
                    state,
                    parts,
                    Failure::classify(error, now),
                ));
            }
        };
        let locale = session
            .as_ref()
            .and_then(|current| current.user.row.locale.as_deref());
        let language = Language::negotiate(locale, &parts.headers);
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
        let context = RequestContext {
            ip: ip.map(|address| address.to_string()),
            user_agent: header_text(&parts.headers, "user-agent", MAX_USER_AGENT),
            request_id: header_text(&parts.headers, "x-request-id", 64),
            locale: Some(language.tag().to_owned()),
        };
        let challenge = cookies::read(&parts.headers, cookies::CHALLENGE).map(str::to_owned);
        Ok(Self {
            state: state.clone(),
            session,
            language,
            challenge,
            context,
        })
    }
}

impl Caller {
    /// The session cookie for a token `sign_in` or `change_password` returned.
    pub fn session_cookie(&self, token: &str) -> Option<axum::http::HeaderValue> {
        cookies::session(
            token,
            self.state.accounts.settings.sessions.absolute.num_seconds(),
        )
    }

    /// The cookie holding a sign-in's or step-up's challenge token, living as long as a
    /// challenge may.
    pub fn challenge_cookie(&self, token: &str) -> Option<axum::http::HeaderValue> {
        let lifetime = self.state.accounts.settings.mfa.challenge_lifetime;
        cookies::set(cookies::CHALLENGE, token, Some(lifetime.num_seconds()))
    }

    /// Ends the session this request came with, if any (before a new one replaces it). A
    /// failure is logged, not answered: the new session is what matters.
    pub async fn end_previous_session(&self) {
        if let Some(previous) = &self.session
            && let Err(error) =
                gatehouse_domain::accounts::sign_out(&self.state.accounts, &self.context, previous)
                    .await
        {
            tracing::warn!(
                code = error.code(),
                "the previous session could not be ended"
            );
        }
    }

    /// Classifies an account error at this moment (throttle waits are counted from now).
    pub fn failure(&self, error: AccountError) -> Failure {
        Failure::classify(error, self.state.accounts.clock.now())
    }
}
