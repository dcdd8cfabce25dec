//! The JSON twin of the hosted pages under `/account-api`, for headless front ends: the same
//! use cases, authenticated by the session cookie, every state-changing request guarded by the
//! `X-CSRF-Token` header (get one from `GET /account-api/csrf`). Errors are problem+json.

mod auth;
mod me;
mod mfa;
mod recovery;
mod sessions;
mod setup;
mod verification;

use axum::{
    Json, Router,
    http::StatusCode,
    middleware,
    response::{IntoResponse, Response},
    routing::{delete, get, post},
};
use chrono::{DateTime, Utc};
use gatehouse_domain::{
    accounts::{AccountError, CurrentSession},
    store::UserRow,
};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::{AppState, caller::Caller, csrf, surface::Halt};

/// The JSON routes, each state-changing one behind the CSRF check.
pub fn routes(state: &AppState) -> Router<AppState> {
    let api = Router::new()
        .route("/csrf", get(auth::csrf))
        .route("/sign-up", post(auth::sign_up))
        .route("/sign-in", post(auth::sign_in))
        .route("/sign-out", post(auth::sign_out))
        .route("/sign-in/totp", post(mfa::totp))
        .route("/sign-in/recovery-code", post(mfa::recovery_code))
        .route("/confirm-identity", post(mfa::confirm_identity))
        .route("/mfa", get(mfa::factors))
        .route("/mfa/totp", post(mfa::begin_totp))
        .route("/mfa/totp/{id}/confirm", post(mfa::confirm_totp))
        .route("/mfa/totp/{id}/remove", post(mfa::remove_totp))
        .route("/mfa/recovery-codes", post(mfa::regenerate))
        .route("/verify-email", post(verification::link))
        .route("/verify-email/code", post(verification::code))
        .route("/resend-verification", post(verification::resend))
        .route("/forgot-password", post(recovery::request))
        .route("/reset-password", post(recovery::reset))
        .route("/me", get(me::show).patch(me::update))
        .route("/me/password", post(me::change_password))
        .route("/me/email", post(me::change_email))
        .route("/confirm-email", post(me::confirm_email))
        .route("/sessions", get(sessions::list))
        .route("/sessions/revoke-others", post(sessions::revoke_others))
        .route("/sessions/{id}", delete(sessions::revoke))
        .route("/setup", post(setup::complete))
        .route_layer(middleware::from_fn_with_state(state.clone(), csrf::enforce));
    Router::new().nest(crate::surface::API_PREFIX, api)
}

/// The problem for a failed use case.
fn problem(caller: &Caller, error: AccountError) -> Response {
    caller
        .failure(error)
        .problem(caller.language)
        .into_response()
}

/// The signed-in session, or 401.
fn signed_in(caller: &Caller) -> Result<&CurrentSession, Halt> {
    caller
        .session
        .as_ref()
        .ok_or_else(|| problem(caller, AccountError::NotSignedIn).into())
}

/// 202 for requests whose effect is a mail (the same answer whether or not one was sent).
fn accepted() -> Response {
    (StatusCode::ACCEPTED, Json(json!({ "status": "accepted" }))).into_response()
}

/// A user as the twin shows it.
#[derive(Debug, Serialize)]
struct UserBody {
    id: Uuid,
    email: String,
    email_verified: bool,
    email_verified_at: Option<DateTime<Utc>>,
    display_name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    locale: Option<String>,
    picture_url: Option<String>,
    attributes: serde_json::Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_sign_in_at: Option<DateTime<Utc>>,
}

impl From<&UserRow> for UserBody {
    fn from(row: &UserRow) -> Self {
        Self {
            id: row.id,
            email: row.email.clone(),
            email_verified: row.email_verified_at.is_some(),
            email_verified_at: row.email_verified_at,
            display_name: row.display_name.clone(),
            given_name: row.given_name.clone(),
            family_name: row.family_name.clone(),
            locale: row.locale.clone(),
            picture_url: row.picture_url.clone(),
            attributes: serde_json::from_str(&row.attributes).unwrap_or_else(|_| json!({})),
            created_at: row.created_at,
            updated_at: row.updated_at,
            last_sign_in_at: row.last_sign_in_at,
        }
    }
}
