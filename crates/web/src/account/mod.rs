//! The hosted account pages: server-rendered (askama), no inline script or style, every form
//! protected by a CSRF token (checked by `csrf::enforce` before any handler), strings from the
//! catalogue in the caller's language. One file per page or page group.

mod email;
pub mod error;
pub mod message;
pub mod page;
mod password;
mod profile;
mod recovery;
mod sessions;
mod setup;
mod sign_in;
mod sign_up;
mod verify_email;

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
        .route_layer(middleware::from_fn_with_state(state.clone(), csrf::enforce))
}
