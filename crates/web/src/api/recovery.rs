//! `POST forgot-password` (`{email}`, the same answer for every address) and
//! `POST reset-password` (`{token, password}`).

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use gatehouse_domain::accounts;
use serde::Deserialize;

use super::{accepted, problem};
use crate::{
    caller::Caller,
    input::ApiJson,
    text::{EmailText, PasswordText, TokenText},
};

/// `POST forgot-password`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForgotBody {
    email: EmailText,
}

/// `POST reset-password`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    token: TokenText,
    password: PasswordText,
}

/// 202 for every address.
pub async fn request(caller: Caller, ApiJson(body): ApiJson<ForgotBody>) -> Response {
    match accounts::request_password_reset(&caller.state.accounts, &caller.context, &body.email)
        .await
    {
        Ok(()) => accepted(),
        Err(error) => problem(&caller, error),
    }
}

/// 204 when the password was reset (every session of the user has ended).
pub async fn reset(caller: Caller, ApiJson(body): ApiJson<ResetBody>) -> Response {
    match accounts::reset_password(
        &caller.state.accounts,
        &caller.context,
        &body.token,
        &body.password,
    )
    .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => problem(&caller, error),
    }
}
