//! `GET/PATCH me`, `POST me/password`, `POST me/email`, `POST confirm-email`.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use gatehouse_domain::accounts::{self, ProfileChanges};
use serde::Deserialize;

use super::{UserBody, accepted, problem, signed_in};
use crate::{
    caller::Caller,
    cookies,
    input::ApiJson,
    surface::Halt,
    text::{EmailText, PasswordText, ShortText, TokenText},
};

/// `PATCH me`: members left out (or `null`) stay as they are; `""` clears a text member.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    #[serde(default)]
    display_name: Option<ShortText>,
    #[serde(default)]
    given_name: Option<ShortText>,
    #[serde(default)]
    family_name: Option<ShortText>,
    #[serde(default)]
    locale: Option<ShortText>,
    #[serde(default)]
    picture_url: Option<ShortText>,
    #[serde(default)]
    attributes: Option<serde_json::Value>,
}

/// `POST me/password`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    current_password: PasswordText,
    password: PasswordText,
}

/// `POST me/email`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailBody {
    current_password: PasswordText,
    email: EmailText,
}

/// `POST confirm-email`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    token: TokenText,
}

/// The signed-in user.
pub async fn show(caller: Caller) -> Result<Response, Halt> {
    let current = signed_in(&caller)?;
    Ok(Json(UserBody::from(&current.user.row)).into_response())
}

/// The updated user.
pub async fn update(
    caller: Caller,
    ApiJson(patch): ApiJson<ProfilePatch>,
) -> Result<Response, Halt> {
    let current = signed_in(&caller)?;
    let text = |value: Option<ShortText>| value.map(ShortText::into_string);
    let changes = ProfileChanges {
        display_name: text(patch.display_name),
        given_name: text(patch.given_name),
        family_name: text(patch.family_name),
        locale: text(patch.locale),
        picture_url: text(patch.picture_url),
        attributes: patch.attributes,
    };
    match accounts::update_profile(&caller.state.accounts, &caller.context, current, changes).await
    {
        Ok(row) => Ok(Json(UserBody::from(&row)).into_response()),
        Err(error) => Err(problem(&caller, error).into()),
    }
}

/// 204 with a new session cookie; every other session has ended.
pub async fn change_password(
    caller: Caller,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<Response, Halt> {
    let current = signed_in(&caller)?;
    let accounts = &caller.state.accounts;
    match accounts::change_password(
        accounts,
        &caller.context,
        current,
        &body.current_password,
        &body.password,
    )
    .await
    {
        Ok((token, _)) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            cookies::append(&mut response, caller.session_cookie(&token));
            Ok(response)
        }
        Err(error) => Err(caller
            .failure(error)
            .reauthentication()
            .problem(caller.language)
            .into_response()
            .into()),
    }
}

/// 202: a confirmation link went to the new address, a notice to the old one.
pub async fn change_email(
    caller: Caller,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<Response, Halt> {
    let current = signed_in(&caller)?;
    let accounts = &caller.state.accounts;
    match accounts::change_email(
        accounts,
        &caller.context,
        current,
        &body.current_password,
        &body.email,
    )
    .await
    {
        Ok(()) => Ok(accepted()),
        Err(error) => Err(caller
            .failure(error)
            .reauthentication()
            .problem(caller.language)
            .into_response()
            .into()),
    }
}

/// 204 when the new address is confirmed (no session needed: the link may open elsewhere).
pub async fn confirm_email(caller: Caller, ApiJson(body): ApiJson<ConfirmBody>) -> Response {
    match accounts::confirm_email_change(&caller.state.accounts, &caller.context, &body.token).await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => problem(&caller, error),
    }
}
