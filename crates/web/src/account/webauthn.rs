//! The JSON endpoints of the WebAuthn ceremonies that `/assets/webauthn.js` runs from the hosted
//! pages. Each ceremony is two POSTs: `start` answers the options for
//! `navigator.credentials.create()`/`get()`, `finish` takes the browser's result. Like the JSON
//! twin they are authenticated by the session cookie (where a session is needed), guarded by
//! the `X-CSRF-Token` header, and answer errors as problem+json.
//!
//! - `/webauthn/register/start|finish`: add a passkey or security key (signed in, recently
//!   authenticated; otherwise 403 `step_up_required`).
//! - `/webauthn/authenticate/start|finish`: the second step of a sign-in or step-up waiting in
//!   the challenge cookie (`__Host-gatehouse_mfa`).
//! - `/webauthn/passkey/start|finish`: passwordless sign-in with a passkey.
//! - `/webauthn/step-up/start|finish`: confirm it is you with a passkey alone.
//!
//! The verifier's state stays on the server; the browser holds only a challenge token, in the
//! challenge cookie or, for registration and passkey ceremonies, in `__Host-gatehouse_webauthn`
//! (as long as a challenge lives).

use axum::{
    Json, Router,
    http::{HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
    routing::post,
};
use gatehouse_domain::{
    accounts::{AccountError, CurrentSession},
    mfa::{self, Completed},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    AppState,
    caller::Caller,
    cookies,
    input::ApiJson,
    redirect::safe_next,
    surface::Halt,
    text::{ShortText, Text},
};

/// The cookie naming a registration, passkey sign-in or passkey step-up in progress.
pub const CEREMONY: &str = "__Host-gatehouse_webauthn";

/// Where a finished ceremony sends the browser when nothing else is asked for.
const HOME: &str = "/account";

/// The routes (the caller puts them behind the CSRF check).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webauthn/register/start", post(register_start))
        .route("/webauthn/register/finish", post(register_finish))
        .route("/webauthn/authenticate/start", post(authenticate_start))
        .route("/webauthn/authenticate/finish", post(authenticate_finish))
        .route("/webauthn/passkey/start", post(passkey_start))
        .route("/webauthn/passkey/finish", post(passkey_finish))
        .route("/webauthn/step-up/start", post(step_up_start))
        .route("/webauthn/step-up/finish", post(step_up_finish))
}

/// `POST /webauthn/register/start`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterStart {
    /// `passkey` or `security_key`.
    kind: Text<32>,
    /// What the user calls it (empty: a default).
    #[serde(default)]
    name: Option<Text<200>>,
}

/// Every `finish`: the browser's `PublicKeyCredential` as JSON (binary members base64url), and
/// where the page wants to continue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finish {
    credential: Value,
    #[serde(default)]
    next: Option<ShortText>,
}

/// The problem for a failed use case. A refused credential is a problem with the `credential`
/// member, so the page can show the catalogue's message while `detail` says why.
fn problem(caller: &Caller, error: AccountError) -> Response {
    let failure = caller.failure(error);
    let failure = if failure.field.is_none() && failure.code == "webauthn_failed" {
        failure.on_field("credential")
    } else {
        failure
    };
    failure.problem(caller.language).into_response()
}

fn halt(caller: &Caller, error: AccountError) -> Halt {
    problem(caller, error).into()
}

fn signed_in(caller: &Caller) -> Result<&CurrentSession, Halt> {
    caller
        .session
        .as_ref()
        .ok_or_else(|| halt(caller, AccountError::NotSignedIn))
}

/// The session, if it authenticated recently (and strongly) enough to change factors.
async fn recent(caller: &Caller) -> Result<&CurrentSession, Halt> {
    let current = signed_in(caller)?;
    mfa::ensure_recent(&caller.state.accounts, current)
        .await
        .map_err(|error| halt(caller, error))?;
    Ok(current)
}

fn ceremony_cookie(caller: &Caller, token: &str) -> Option<HeaderValue> {
    let seconds = caller
        .state
        .accounts
        .settings
        .mfa
        .challenge_lifetime
        .num_seconds();
    cookies::set(CEREMONY, token, Some(seconds))
}

fn ceremony_token(caller: &Caller, headers: &HeaderMap) -> Result<String, Halt> {
    cookies::read(headers, CEREMONY)
        .map(str::to_owned)
        .ok_or_else(|| halt(caller, AccountError::ChallengeExpired))
}

/// The options, with the cookie naming the ceremony.
fn options(caller: &Caller, options: Value, token: Option<&str>) -> Response {
    let mut response = Json(options).into_response();
    if let Some(token) = token {
        cookies::append(&mut response, ceremony_cookie(caller, token));
    }
    response
}

/// `{"redirect": …}`, clearing `cookie`.
fn redirect(target: &str, cookie: &str) -> Response {
    let mut response = Json(json!({ "redirect": target })).into_response();
    cookies::append(&mut response, cookies::clear(cookie));
    response
}

fn next_of(finish: &Finish) -> Option<&str> {
    finish.next.as_deref().and_then(safe_next)
}

/// Answers `error`; a ceremony that can no longer finish also loses its cookie.
fn failed(caller: &Caller, error: AccountError, cookie: &str) -> Response {
    let expired = matches!(error, AccountError::ChallengeExpired);
    let mut response = problem(caller, error);
    if expired {
        cookies::append(&mut response, cookies::clear(cookie));
    }
    response
}

/// 200 with the options for `navigator.credentials.create()`.
pub async fn register_start(
    caller: Caller,
    ApiJson(body): ApiJson<RegisterStart>,
) -> Result<Response, Halt> {
    let current = recent(&caller).await?;
    let name = body.name.as_deref().unwrap_or("");
    match mfa::begin_registration(&caller.state.accounts, current, &body.kind, name).await {
        Ok((created, token)) => Ok(options(&caller, created, Some(&token))),
        Err(error) => Err(halt(&caller, error)),
    }
}

/// 200 with where to go; with the recovery codes (and the words to show them with) when this
/// was the first second factor.
pub async fn register_finish(
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Finish>,
) -> Result<Response, Halt> {
    let current = recent(&caller).await?;
    let token = ceremony_token(&caller, &headers)?;
    let accounts = &caller.state.accounts;
    match mfa::finish_registration(accounts, &caller.context, current, &token, &body.credential)
        .await
    {
        Ok(registered) => {
            let target = "/account/mfa?notice=factor_added";
            let mut answer = json!({ "redirect": target });
            if let Some(codes) = registered.recovery_codes {
                let lang = caller.language;
                answer["recovery_codes"] = json!(codes);
                answer["text"] = json!({
                    "title": lang.t("recovery_codes.title"),
                    "intro": lang.t("recovery_codes.intro"),
                    "continue": lang.t("recovery_codes.continue"),
                });
            }
            // Recovery codes are shown once; every answer is `no-store` (layers.rs).
            let mut response = Json(answer).into_response();
            cookies::append(&mut response, cookies::clear(CEREMONY));
            if let Some(token) = registered.session_token {
                cookies::append(&mut response, caller.session_cookie(&token));
            }
            Ok(response)
        }
        Err(error) => Err(failed(&caller, error, CEREMONY).into()),
    }
}

/// 200 with the options for `navigator.credentials.get()` answering the challenge cookie.
pub async fn authenticate_start(caller: Caller) -> Result<Response, Halt> {
    let Some(token) = caller.challenge.clone() else {
        return Err(halt(&caller, AccountError::ChallengeExpired));
    };
    match mfa::begin_authentication(&caller.state.accounts, &token).await {
        Ok(requested) => Ok(options(&caller, requested, None)),
        Err(error) => Err(failed(&caller, error, cookies::CHALLENGE).into()),
    }
}

/// 200 with where to go: a new session (sign-in) or a fresh one (step-up).
pub async fn authenticate_finish(
    caller: Caller,
    ApiJson(body): ApiJson<Finish>,
) -> Result<Response, Halt> {
    let Some(token) = caller.challenge.clone() else {
        return Err(halt(&caller, AccountError::ChallengeExpired));
    };
    let accounts = &caller.state.accounts;
    match mfa::verify_webauthn(accounts, &caller.context, &token, &body.credential).await {
        Ok(Completed::SignedIn(signed_in)) => {
            caller.end_previous_session().await;
            let mut response = redirect(next_of(&body).unwrap_or(HOME), cookies::CHALLENGE);
            cookies::append(&mut response, caller.session_cookie(&signed_in.token));
            Ok(response)
        }
        Ok(Completed::SteppedUp { next, token }) => {
            let target = next
                .as_deref()
                .and_then(safe_next)
                .or_else(|| next_of(&body))
                .unwrap_or(HOME);
            let mut response = redirect(target, cookies::CHALLENGE);
            cookies::append(&mut response, caller.session_cookie(&token));
            Ok(response)
        }
        Err(error) => Err(failed(&caller, error, cookies::CHALLENGE).into()),
    }
}

/// 200 with the options for a discoverable `navigator.credentials.get()` (conditional
/// mediation unless the page drops it).
pub async fn passkey_start(caller: Caller) -> Result<Response, Halt> {
    match mfa::begin_passkey_sign_in(&caller.state.accounts).await {
        Ok((requested, token)) => Ok(options(&caller, requested, Some(&token))),
        Err(error) => Err(halt(&caller, error)),
    }
}

/// 200 with where to go; the new session's cookie.
pub async fn passkey_finish(
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Finish>,
) -> Result<Response, Halt> {
    let token = ceremony_token(&caller, &headers)?;
    let accounts = &caller.state.accounts;
    match mfa::finish_passkey_sign_in(accounts, &caller.context, &token, &body.credential).await {
        Ok(signed_in) => {
            caller.end_previous_session().await;
            let mut response = redirect(next_of(&body).unwrap_or(HOME), CEREMONY);
            cookies::append(&mut response, caller.session_cookie(&signed_in.token));
            Ok(response)
        }
        Err(error) => Err(failed(&caller, error, CEREMONY).into()),
    }
}

/// 200 with the options for `navigator.credentials.get()` with the user's passkeys.
pub async fn step_up_start(caller: Caller) -> Result<Response, Halt> {
    let current = signed_in(&caller)?;
    match mfa::begin_passkey_step_up(&caller.state.accounts, current).await {
        Ok((requested, token)) => Ok(options(&caller, requested, Some(&token))),
        Err(error) => Err(halt(&caller, error)),
    }
}

/// 200 with where to go; the session counts as freshly authenticated.
pub async fn step_up_finish(
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Finish>,
) -> Result<Response, Halt> {
    let current = signed_in(&caller)?;
    let token = ceremony_token(&caller, &headers)?;
    let accounts = &caller.state.accounts;
    match mfa::finish_passkey_step_up(accounts, &caller.context, current, &token, &body.credential)
        .await
    {
        Ok(token) => {
            let mut response = redirect(next_of(&body).unwrap_or(HOME), CEREMONY);
            cookies::append(&mut response, caller.session_cookie(&token));
            Ok(response)
        }
        Err(error) => Err(failed(&caller, error, CEREMONY).into()),
    }
}
