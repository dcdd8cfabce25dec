//! `GET /account-api/csrf`, `POST sign-up`, `POST sign-in`, `POST sign-out`.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use gatehouse_domain::accounts::{self, AccountError, SignUp};
use serde::Deserialize;
use serde_json::json;

use super::{UserBody, accepted, problem};
use crate::{
    caller::Caller,
    cookies, csrf,
    input::ApiJson,
    text::{EmailText, PasswordText, ShortText},
};

/// `POST sign-up`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignUpBody {
    email: EmailText,
    password: PasswordText,
    #[serde(default)]
    display_name: Option<ShortText>,
}

/// `POST sign-in`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    email: EmailText,
    password: PasswordText,
}

/// Sets the CSRF cookie if missing and returns the token for `X-CSRF-Token`.
pub async fn csrf(caller: Caller, headers: axum::http::HeaderMap) -> Response {
    match csrf::issue(&caller.state, &headers).await {
        Ok(token) => {
            let mut response = Json(json!({ "csrf_token": token.token, "header": "X-CSRF-Token" }))
                .into_response();
            cookies::append(&mut response, token.set_cookie);
            response
        }
        Err(error) => problem(&caller, AccountError::Domain(error)),
    }
}

/// 202 whether or not the address already had an account.
pub async fn sign_up(caller: Caller, ApiJson(body): ApiJson<SignUpBody>) -> Response {
    if !caller.state.site.sign_up_enabled {
        return problem(&caller, AccountError::SignUpDisabled);
    }
    let input = SignUp {
        email: body.email.into_string(),
        password: body.password.into_string(),
        display_name: body.display_name.map(|name| name.into_string()),
    };
    match accounts::sign_up(&caller.state.accounts, &caller.context, input).await {
        Ok(()) => accepted(),
        Err(error) => problem(&caller, error),
    }
}

/// 200 with the user and the new session (sets the session cookie), or 200 with
/// `second_factor` when a second step is needed (sets the challenge cookie).
pub async fn sign_in(caller: Caller, ApiJson(body): ApiJson<SignInBody>) -> Response {
    match accounts::sign_in(
        &caller.state.accounts,
        &caller.context,
        &body.email,
        &body.password,
    )
    .await
    {
        Ok(accounts::SignInStep::SecondFactor { token, enrol }) => {
            let mut response = Json(json!({
                "second_factor": { "required": true, "enrol": enrol }
            }))
            .into_response();
            cookies::append(&mut response, caller.challenge_cookie(&token));
            response
        }
        Ok(accounts::SignInStep::SignedIn(signed_in)) => {
            caller.end_previous_session().await;
            let session =
                json!({ "id": signed_in.session.id, "expires_at": signed_in.session.expires_at });
            let user = UserBody::from(&signed_in.user.row);
            let mut response = Json(json!({ "user": user, "session": session })).into_response();
            cookies::append(&mut response, caller.session_cookie(&signed_in.token));
            response
        }
        Err(error) => problem(&caller, error),
    }
}

/// 204; ends the session server-side (if any) and clears the cookie.
pub async fn sign_out(caller: Caller) -> Response {
    if let Some(current) = &caller.session
        && let Err(error) =
            accounts::sign_out(&caller.state.accounts, &caller.context, current).await
    {
        return problem(&caller, error);
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    cookies::append(&mut response, cookies::clear(cookies::SESSION));
    response
}
