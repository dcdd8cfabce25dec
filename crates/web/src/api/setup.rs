//! `POST setup` (`{token, email, password, display_name?}`): the first administrator.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use gatehouse_domain::accounts::{self, NewAccount};
use serde::Deserialize;
use serde_json::json;

use super::problem;
use crate::{
    caller::Caller,
    input::ApiJson,
    text::{EmailText, PasswordText, ShortText, TokenText},
};

/// `POST setup`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupBody {
    token: TokenText,
    email: EmailText,
    password: PasswordText,
    #[serde(default)]
    display_name: Option<ShortText>,
}

/// 201 with the new administrator's id.
pub async fn complete(caller: Caller, ApiJson(body): ApiJson<SetupBody>) -> Response {
    let account = NewAccount {
        email: body.email.into_string(),
        password: body.password.into_string(),
        display_name: body.display_name.map(ShortText::into_string),
    };
    match accounts::complete_setup(
        &caller.state.accounts,
        &caller.context,
        &body.token,
        account,
    )
    .await
    {
        Ok(id) => (StatusCode::CREATED, Json(json!({ "user_id": id }))).into_response(),
        Err(error) => problem(&caller, error),
    }
}
