//! The JSON twin of two-step sign-in: answering a sign-in's (or step-up's) second step, step-up
//! with the password, and managing authenticator apps and recovery codes.

use axum::{
    Json,
    extract::Path,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use gatehouse_domain::{
    accounts::AccountError,
    mfa::{self, Completed, StepUp},
};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{UserBody, problem, signed_in as require_session};
use crate::{
    caller::Caller,
    cookies,
    input::ApiJson,
    text::{CodeText, PasswordText, Text},
};

/// A code.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    code: CodeText,
}

async fn finish(caller: &Caller, result: Result<Completed, AccountError>) -> Response {
    match result {
        Ok(Completed::SignedIn(signed_in)) => {
            caller.end_previous_session().await;
            let session = json!({
                "id": signed_in.session.id,
                "expires_at": signed_in.session.expires_at,
                "amr": mfa::amr::decode(&signed_in.session.amr),
            });
            let user = UserBody::from(&signed_in.user.row);
            let mut response = Json(json!({ "user": user, "session": session })).into_response();
            cookies::append(&mut response, caller.session_cookie(&signed_in.token));
            cookies::append(&mut response, cookies::clear(cookies::CHALLENGE));
            response
        }
        Ok(Completed::SteppedUp { token, .. }) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            cookies::append(&mut response, cookies::clear(cookies::CHALLENGE));
            cookies::append(&mut response, caller.session_cookie(&token));
            response
        }
        Err(error) => problem(caller, error),
    }
}

/// `POST sign-in/totp`: answers the pending second step with a TOTP code.
pub async fn totp(caller: Caller, ApiJson(body): ApiJson<CodeBody>) -> Response {
    let token = caller.challenge.clone().unwrap_or_default();
    let result =
        mfa::verify_totp(&caller.state.accounts, &caller.context, &token, &body.code).await;
    finish(&caller, result).await
}

/// `POST sign-in/recovery-code`: answers the pending second step with a recovery code.
pub async fn recovery_code(caller: Caller, ApiJson(body): ApiJson<CodeBody>) -> Response {
    let token = caller.challenge.clone().unwrap_or_default();
    let result =
        mfa::verify_recovery_code(&caller.state.accounts, &caller.context, &token, &body.code)
            .await;
    finish(&caller, result).await
}

/// `POST confirm-identity`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    password: PasswordText,
}

/// `POST confirm-identity`: 204 when done; 200 `{second_factor}` (challenge cookie set) when a
/// second step must follow (answer it at `sign-in/totp` or `sign-in/recovery-code`).
pub async fn confirm_identity(caller: Caller, ApiJson(body): ApiJson<PasswordBody>) -> Response {
    let current = match require_session(&caller) {
        Ok(current) => current,
        Err(halt) => return halt.into_response(),
    };
    match mfa::reauthenticate_with_password(
        &caller.state.accounts,
        &caller.context,
        current,
        &body.password,
        None,
    )
    .await
    {
        Ok(StepUp::Done { token }) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            cookies::append(&mut response, caller.session_cookie(&token));
            response
        }
        Ok(StepUp::SecondFactor { token }) => {
            let mut response =
                Json(json!({ "second_factor": { "required": true } })).into_response();
            cookies::append(&mut response, caller.challenge_cookie(&token));
            response
        }
        Err(error) => problem(&caller, error),
    }
}

/// `GET mfa`: the caller's factors (no secrets).
pub async fn factors(caller: Caller) -> Response {
    let current = match require_session(&caller) {
        Ok(current) => current,
        Err(halt) => return halt.into_response(),
    };
    match mfa::factors(&caller.state.accounts, current.user.id()).await {
        Ok(factors) => Json(json!({
            "totp": factors.totp.iter().map(|d| json!({
                "id": d.id, "name": d.name, "created_at": d.created_at, "last_used_at": d.last_used_at,
            })).collect::<Vec<_>>(),
            "webauthn": factors.webauthn.iter().map(|c| json!({
                "id": c.id, "name": c.name, "kind": c.kind, "backed_up": c.backed_up,
                "created_at": c.created_at, "last_used_at": c.last_used_at,
            })).collect::<Vec<_>>(),
            "recovery_codes_remaining": factors.recovery_codes_remaining,
        }))
        .into_response(),
        Err(error) => problem(&caller, error),
    }
}

/// `POST mfa/totp`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTotpBody {
    #[serde(default)]
    name: Option<Text<200>>,
}

/// `POST mfa/totp`: begins adding an app (recent authentication required): 201 with the key
/// and the `otpauth://` URI; confirm with a first code.
pub async fn begin_totp(caller: Caller, ApiJson(body): ApiJson<NewTotpBody>) -> Response {
    let current = match require_session(&caller) {
        Ok(current) => current,
        Err(halt) => return halt.into_response(),
    };
    let accounts = &caller.state.accounts;
    if let Err(error) = mfa::ensure_recent(accounts, current).await {
        return problem(&caller, error);
    }
    match mfa::begin_totp(accounts, &current.user, body.name.as_deref().unwrap_or("")).await {
        Ok(enrolment) => (
            StatusCode::CREATED,
            Json(json!({
                "id": enrolment.device_id,
                "name": enrolment.name,
                "secret": enrolment.secret.replace(' ', ""),
                "otpauth_uri": enrolment.uri,
            })),
        )
            .into_response(),
        Err(error) => problem(&caller, error),
    }
}

/// `POST mfa/totp/{id}/confirm`: 200 with `recovery_codes` (shown once; empty when the user
/// already had some).
pub async fn confirm_totp(
    caller: Caller,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<CodeBody>,
) -> Response {
    let current = match require_session(&caller) {
        Ok(current) => current,
        Err(halt) => return halt.into_response(),
    };
    let accounts = &caller.state.accounts;
    if let Err(error) = mfa::ensure_recent(accounts, current).await {
        return problem(&caller, error);
    }
    let confirmed =
        mfa::confirm_totp(accounts, &caller.context, &current.user, id, &body.code).await;
    let mut renewed = None;
    if confirmed.is_ok() {
        match mfa::note_enrolment(accounts, current, mfa::amr::OTP).await {
            Ok(token) => renewed = token,
            Err(error) => return problem(&caller, error),
        }
    }
    match confirmed {
        Ok(codes) => {
            let mut response =
                Json(json!({ "recovery_codes": codes.unwrap_or_default() })).into_response();
            if let Some(token) = renewed {
                cookies::append(&mut response, caller.session_cookie(&token));
            }
            response
        }
        Err(error) => problem(&caller, error),
    }
}

/// `POST mfa/totp/{id}/remove` with `{ "password": … }` when it is the last second factor.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveBody {
    #[serde(default)]
    password: Option<PasswordText>,
}

/// `POST mfa/totp/{id}/remove`: 204.
pub async fn remove_totp(
    caller: Caller,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<RemoveBody>,
) -> Response {
    let current = match require_session(&caller) {
        Ok(current) => current,
        Err(halt) => return halt.into_response(),
    };
    let accounts = &caller.state.accounts;
    if let Err(error) = mfa::ensure_recent(accounts, current).await {
        return problem(&caller, error);
    }
    match mfa::remove_factor(
        accounts,
        &caller.context,
        current,
        mfa::FactorId::Totp(id),
        body.password.as_deref(),
    )
    .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => problem(&caller, error),
    }
}

/// `POST mfa/recovery-codes`: a new set (the old ones die), shown once.
pub async fn regenerate(caller: Caller) -> Response {
    let current = match require_session(&caller) {
        Ok(current) => current,
        Err(halt) => return halt.into_response(),
    };
    let accounts = &caller.state.accounts;
    if let Err(error) = mfa::ensure_recent(accounts, current).await {
        return problem(&caller, error);
    }
    match mfa::regenerate_recovery_codes(accounts, &caller.context, current).await {
        Ok(codes) => Json(json!({ "recovery_codes": codes })).into_response(),
        Err(error) => problem(&caller, error),
    }
}
