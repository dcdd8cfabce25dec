//! `POST verify-email` (`{token}`), `POST verify-email/code` (`{email, code}`),
//! `POST resend-verification` (`{email}`, the same answer for every address).

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
    text::{CodeText, EmailText, TokenText},
};

/// `POST verify-email`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    token: TokenText,
}

/// `POST verify-email/code`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    email: EmailText,
    code: CodeText,
}

/// `POST resend-verification`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResendBody {
    email: EmailText,
}

/// 204 when the link's token verified the address.
pub async fn link(caller: Caller, ApiJson(body): ApiJson<LinkBody>) -> Response {
    match accounts::verify_with_link(&caller.state.accounts, &caller.context, &body.token).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => problem(&caller, error),
    }
}

/// 204 when the code verified the address.
pub async fn code(caller: Caller, ApiJson(body): ApiJson<CodeBody>) -> Response {
    match accounts::verify_with_code(
        &caller.state.accounts,
        &caller.context,
        &body.email,
        &body.code,
    )
    .await
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => problem(&caller, error),
    }
}

/// 202 for every address.
pub async fn resend(caller: Caller, ApiJson(body): ApiJson<ResendBody>) -> Response {
    match accounts::resend_verification(&caller.state.accounts, &caller.context, &body.email).await
    {
        Ok(()) => accepted(),
        Err(error) => problem(&caller, error),
    }
}
