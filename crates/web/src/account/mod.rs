//! The hosted account pages: server-rendered (askama), no inline script or style, every form
//! protected by a CSRF token (checked by `csrf::enforce` before any handler), strings from the
//! catalogue in the caller's language. One file per page or page group.

mod email;
pub mod error;
pub mod message;
mod mfa;
pub mod page;
pub use mfa::step_up_redirect as mfa_step_up_redirect;
mod password;
mod profile;
mod recovery;
mod sessions;
mod setup;
mod sign_in;
mod sign_up;
mod verify_email;
pub mod webauthn;

use axum::{
    Router, middleware,
    routing::{get, post},
};

use crate::{AppState, csrf};

/// The page routes, each state-changing one behind the CSRF check.
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/sign-up", get(sign_up::show).post(sign_up::submit))
        .route("/sign-in", get(sign_in::show).post(sign_in::submit))
        .route("/sign-out", post(sign_in::sign_out))
        .route(
            "/verify-email",
            get(verify_email::show).post(verify_email::confirm_link),
        )
        .route("/verify-email/code", post(verify_email::confirm_code))
        .route("/verify-email/resend", post(verify_email::resend))
        .route(
            "/forgot-password",
            get(recovery::show_request).post(recovery::request),
        )
        .route(
            "/reset-password",
            get(recovery::show_reset).post(recovery::reset),
        )
        .route("/account", get(profile::show).post(profile::update))
        .route(
            "/account/password",
            get(password::show).post(password::change),
        )
        .route("/account/email", get(email::show).post(email::change))
        .route(
            "/confirm-email",
            get(email::show_confirm).post(email::confirm),
        )
        .route("/account/sessions", get(sessions::list))
        .route(
            "/account/sessions/revoke-others",
            post(sessions::revoke_others),
        )
        .route("/account/sessions/{id}/revoke", post(sessions::revoke))
        .route("/setup", get(setup::show).post(setup::submit))
        .route(
            "/sign-in/second-factor",
            get(mfa::show_challenge).post(mfa::submit_code),
        )
        .route("/sign-in/recovery-code", post(mfa::submit_recovery_code))
        .route(
            "/sign-in/enrol",
            get(mfa::show_enrol).post(mfa::begin_enrol),
        )
        .route(
            "/sign-in/enrol/totp/{id}",
            get(mfa::show_enrol_totp).post(mfa::confirm_enrol_totp),
        )
        .route("/sign-in/enrol/finish", post(mfa::finish_enrol))
        .route(
            "/confirm-identity",
            get(mfa::show_step_up).post(mfa::step_up),
        )
        .route("/account/mfa", get(mfa::show_account))
        .route("/account/mfa/done", post(mfa::done))
        .route("/account/mfa/totp", post(mfa::add_app))
        .route(
            "/account/mfa/totp/{id}",
            get(mfa::show_app_setup).post(mfa::confirm_app),
        )
        .route("/account/mfa/totp/{id}/rename", post(mfa::rename_app))
        .route("/account/mfa/totp/{id}/remove", post(mfa::remove_app))
        .route("/account/mfa/webauthn/{id}/rename", post(mfa::rename_key))
        .route("/account/mfa/webauthn/{id}/remove", post(mfa::remove_key))
        .route("/account/mfa/recovery-codes", post(mfa::regenerate_codes))
        .merge(webauthn::routes())
        .route_layer(middleware::from_fn_with_state(state.clone(), csrf::enforce))
}
