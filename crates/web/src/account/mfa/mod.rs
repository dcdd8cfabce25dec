//! Two-step sign-in pages: the second step of a sign-in (or of a step-up), enrolment during
//! sign-in when the policy requires it, `/confirm-identity` (step-up), and `/account/mfa` where
//! users add, rename and remove authenticator apps, security keys and passkeys and make new
//! recovery codes. Every change to factors needs a recent authentication: without one the
//! browser is sent to `/confirm-identity` and then back.

use askama::Template;
use axum::{
    extract::Path,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use gatehouse_domain::{
    accounts::{AccountError, CurrentSession},
    mfa::{self, Completed, Pending, PendingKind, StepUp, TotpEnrolment},
};
use qrcode::{QrCode, render::svg};
use serde::Deserialize;
use uuid::Uuid;

use super::page::{FormState, Page, PageView};
use crate::{
    cookies,
    input::PageForm,
    redirect::safe_next,
    surface::Halt,
    text::{CodeText, PasswordText, ShortText, Text},
};

mod challenge;
mod enrol;
mod factors;
mod step_up;

pub use challenge::{second_step, show_challenge, submit_code, submit_recovery_code};
pub use enrol::{begin_enrol, confirm_enrol_totp, finish_enrol, show_enrol, show_enrol_totp};
pub use factors::{
    add_app, confirm_app, done, regenerate_codes, remove_app, remove_key, rename_app, rename_key,
    show_account, show_app_setup,
};
pub use step_up::{show_step_up, step_up};

use challenge::live_pending;

fn challenge_token(page: &Page) -> Option<String> {
    page.caller.challenge.clone()
}

fn next_of(raw: Option<&str>) -> String {
    raw.and_then(safe_next).unwrap_or("").to_owned()
}

fn with_next(path: &str, next: &str) -> String {
    if next.is_empty() {
        return path.to_owned();
    }
    let encoded: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("{path}?next={encoded}")
}

/// Where a finished step goes: `next`, or the account page.
fn destination(next: &str) -> &str {
    if next.is_empty() { "/account" } else { next }
}

fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The redirect to confirm-identity and back to `back`.
pub fn step_up_redirect(back: &str) -> Response {
    let back = safe_next(back).unwrap_or("/account");
    axum::response::Redirect::to(&with_next("/confirm-identity", back)).into_response()
}

/// `Err(redirect to /confirm-identity)` unless the caller's authentication is recent enough.
pub(super) async fn require_recent<'a>(
    page: &'a Page,
    back: &str,
) -> Result<&'a CurrentSession, Halt> {
    let current = page.require_session()?;
    match mfa::ensure_recent(&page.state().accounts, current).await {
        Ok(()) => Ok(current),
        Err(AccountError::StepUpRequired) => Err(step_up_redirect(back).into()),
        Err(error) => Err(page.fail(&page.caller.failure(error)).into()),
    }
}

/// An SVG QR code of `text` (no script, no style attribute: allowed by the page CSP).
fn qr_svg(text: &str) -> String {
    QrCode::new(text.as_bytes())
        .map(|code| {
            code.render::<svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default()
}

/// After a challenge is answered: a new session (sign-in) or back to where the user was.
fn completed(page: &Page, completed: Completed, next: &str) -> Response {
    match completed {
        Completed::SignedIn(signed_in) => {
            let mut response = page.see_other(destination(next));
            cookies::append(&mut response, page.caller.session_cookie(&signed_in.token));
            cookies::append(&mut response, cookies::clear(cookies::CHALLENGE));
            response
        }
        Completed::SteppedUp {
            next: stored,
            token,
        } => {
            let target = stored
                .as_deref()
                .and_then(safe_next)
                .unwrap_or(destination(next));
            let mut response = page.see_other(target);
            cookies::append(&mut response, cookies::clear(cookies::CHALLENGE));
            cookies::append(&mut response, page.caller.session_cookie(&token));
            response
        }
    }
}

/// A code answering the challenge.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    code: CodeText,
    #[serde(default)]
    next: Option<ShortText>,
}

/// A new authenticator app.
#[derive(Debug, Deserialize)]
pub struct NewAppForm {
    #[serde(default)]
    name: Option<Text<200>>,
    #[serde(default)]
    next: Option<ShortText>,
}

#[derive(Template)]
#[template(path = "mfa_totp_setup.html")]
struct TotpSetupTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    qr: String,
    secret: &'a str,
    action: String,
    back: &'a str,
    next: &'a str,
}

fn render_setup(
    page: &Page,
    form: &FormState,
    enrolment: &TotpEnrolment,
    action: String,
    back: &str,
    next: &str,
) -> Response {
    let template = TotpSetupTemplate {
        page: &page.view,
        form,
        qr: qr_svg(&enrolment.uri),
        secret: &enrolment.secret,
        action,
        back,
        next,
    };
    page.render_form(form, &template)
}

#[derive(Template)]
#[template(path = "mfa_recovery_codes.html")]
struct RecoveryCodesTemplate<'a> {
    page: &'a PageView,
    codes: &'a [String],
    action: &'a str,
    next: &'a str,
}

/// The recovery codes, shown once (like every answer, `Cache-Control: no-store` unless a
/// handler says otherwise: `layers.rs`).
fn render_codes(page: &Page, codes: &[String], action: &str, next: &str) -> Response {
    page.render(
        axum::http::StatusCode::OK,
        &RecoveryCodesTemplate {
            page: &page.view,
            codes,
            action,
            next,
        },
    )
}
