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

/// The challenge cookie lives as long as a challenge may.
fn challenge_cookie(page: &Page, token: &str) -> Option<axum::http::HeaderValue> {
    let seconds = page
        .state()
        .accounts
        .settings
        .mfa
        .challenge_lifetime
        .num_seconds();
    cookies::set(cookies::CHALLENGE, token, Some(seconds))
}

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

// ---------------------------------------------------------------------------------------------
// The second step of a sign-in or step-up.

#[derive(Template)]
#[template(path = "mfa_challenge.html")]
struct ChallengeTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    step_up: bool,
    recovery: bool,
    has_app: bool,
    has_key: bool,
    has_recovery: bool,
    next: &'a str,
    app_link: String,
    recovery_link: String,
}

async fn live_pending(page: &Page) -> Result<Pending, Halt> {
    let start_over = || -> Halt {
        let mut response = page.see_other("/sign-in?notice=challenge_expired");
        cookies::append(&mut response, cookies::clear(cookies::CHALLENGE));
        response.into()
    };
    let Some(token) = challenge_token(page) else {
        return Err(start_over());
    };
    match mfa::pending(&page.state().accounts, &token).await {
        Ok(Some(pending)) => Ok(pending),
        Ok(None) => Err(start_over()),
        Err(error) => Err(page.fail(&page.caller.failure(error)).into()),
    }
}

fn render_challenge(
    page: &Page,
    form: &FormState,
    pending: &Pending,
    recovery: bool,
    next: &str,
) -> Response {
    let factors = &pending.factors;
    let has_app = factors.totp > 0;
    let template = ChallengeTemplate {
        page: &page.view,
        form,
        step_up: pending.kind == PendingKind::StepUp,
        recovery: recovery || !(has_app || factors.security_keys + factors.passkeys > 0),
        has_app,
        has_key: factors.security_keys + factors.passkeys > 0
            && page.state().accounts.settings.mfa.webauthn.is_some(),
        has_recovery: factors.recovery_codes > 0,
        next,
        app_link: with_next("/sign-in/second-factor", next),
        recovery_link: if next.is_empty() {
            "/sign-in/second-factor?method=recovery".to_owned()
        } else {
            format!(
                "{}&method=recovery",
                with_next("/sign-in/second-factor", next)
            )
        },
    };
    page.render_form(form, &template)
}

/// `GET /sign-in/second-factor[?method=recovery][&next=…]`.
pub async fn show_challenge(page: Page) -> Result<Response, Halt> {
    let pending = live_pending(&page).await?;
    let next = next_of(page.query("next").as_deref());
    if pending.enrol {
        return Ok(page.see_other(&with_next("/sign-in/enrol", &next)));
    }
    let recovery = page.query("method").as_deref() == Some("recovery");
    Ok(render_challenge(
        &page,
        &FormState::default(),
        &pending,
        recovery,
        &next,
    ))
}

/// A code answering the challenge.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    code: CodeText,
    #[serde(default)]
    next: Option<ShortText>,
}

async fn answer(page: Page, form: CodeForm, recovery: bool) -> Result<Response, Halt> {
    let pending = live_pending(&page).await?;
    let next = next_of(form.next.as_deref());
    let token = challenge_token(&page).unwrap_or_default();
    let accounts = &page.state().accounts;
    let result = if recovery {
        mfa::verify_recovery_code(accounts, &page.caller.context, &token, &form.code).await
    } else {
        mfa::verify_totp(accounts, &page.caller.context, &token, &form.code).await
    };
    match result {
        Ok(done) => {
            if matches!(done, Completed::SignedIn(_)) {
                page.caller.end_previous_session().await;
            }
            Ok(completed(&page, done, &next))
        }
        Err(AccountError::ChallengeExpired) => {
            let mut response = page.see_other("/sign-in?notice=challenge_expired");
            cookies::append(&mut response, cookies::clear(cookies::CHALLENGE));
            Ok(response)
        }
        Err(error) => {
            let state = page.form_failure(error)?;
            Ok(render_challenge(&page, &state, &pending, recovery, &next))
        }
    }
}

/// `POST /sign-in/second-factor`: a TOTP code.
pub async fn submit_code(page: Page, PageForm(form): PageForm<CodeForm>) -> Result<Response, Halt> {
    answer(page, form, false).await
}

/// `POST /sign-in/recovery-code`: a recovery code.
pub async fn submit_recovery_code(
    page: Page,
    PageForm(form): PageForm<CodeForm>,
) -> Result<Response, Halt> {
    answer(page, form, true).await
}

// ---------------------------------------------------------------------------------------------
// Enrolment during sign-in (policy requires a second factor).

#[derive(Template)]
#[template(path = "mfa_enrol.html")]
struct EnrolTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    grace_until: Option<String>,
    enrolled: bool,
    next: &'a str,
}

/// `GET /sign-in/enrol`.
pub async fn show_enrol(page: Page) -> Result<Response, Halt> {
    let pending = live_pending(&page).await?;
    let next = next_of(page.query("next").as_deref());
    if !pending.enrol {
        return Ok(page.see_other(&with_next("/sign-in/second-factor", &next)));
    }
    let template = EnrolTemplate {
        page: &page.view,
        form: &FormState::default(),
        grace_until: pending.may_skip_until.map(|until| {
            page.lang()
                .format("challenge.enrol_grace", &[("date", &date(until))])
        }),
        enrolled: pending.factors.has_second_factor(),
        next: &next,
    };
    Ok(page.render(axum::http::StatusCode::OK, &template))
}

/// A new authenticator app.
#[derive(Debug, Deserialize)]
pub struct NewAppForm {
    #[serde(default)]
    name: Option<Text<200>>,
    #[serde(default)]
    next: Option<ShortText>,
}

/// `POST /sign-in/enrol`: begins enrolling an app for the pending sign-in's user.
pub async fn begin_enrol(
    page: Page,
    PageForm(form): PageForm<NewAppForm>,
) -> Result<Response, Halt> {
    let pending = live_pending(&page).await?;
    let next = next_of(form.next.as_deref());
    if !pending.enrol {
        return Ok(page.see_other("/sign-in/second-factor"));
    }
    match mfa::begin_totp(
        &page.state().accounts,
        &pending.user,
        form.name.as_deref().unwrap_or(""),
    )
    .await
    {
        Ok(enrolment) => {
            let path = format!("/sign-in/enrol/totp/{}", enrolment.device_id);
            Ok(page.see_other(&with_next(&path, &next)))
        }
        Err(error) => Err(page.fail(&page.caller.failure(error)).into()),
    }
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

fn render_codes(page: &Page, codes: &[String], action: &str, next: &str) -> Response {
    let mut response = page.render(
        axum::http::StatusCode::OK,
        &RecoveryCodesTemplate {
            page: &page.view,
            codes,
            action,
            next,
        },
    );
    // Shown once: never from a cache.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// `GET /sign-in/enrol/totp/{id}`.
pub async fn show_enrol_totp(page: Page, Path(device): Path<Uuid>) -> Result<Response, Halt> {
    let pending = live_pending(&page).await?;
    let next = next_of(page.query("next").as_deref());
    let accounts = &page.state().accounts;
    match mfa::totp_enrolment(accounts, &pending.user, device).await {
        Ok(Some(enrolment)) => Ok(render_setup(
            &page,
            &FormState::default(),
            &enrolment,
            format!("/sign-in/enrol/totp/{device}"),
            "/sign-in/enrol",
            &next,
        )),
        Ok(None) => Ok(page.see_other(&with_next("/sign-in/enrol", &next))),
        Err(error) => Err(page.fail(&page.caller.failure(error)).into()),
    }
}

/// `POST /sign-in/enrol/totp/{id}`: the first code confirms the app; the recovery codes follow.
pub async fn confirm_enrol_totp(
    page: Page,
    Path(device): Path<Uuid>,
    PageForm(form): PageForm<CodeForm>,
) -> Result<Response, Halt> {
    let pending = live_pending(&page).await?;
    let next = next_of(form.next.as_deref());
    let accounts = &page.state().accounts;
    match mfa::confirm_totp(
        accounts,
        &page.caller.context,
        &pending.user,
        device,
        &form.code,
    )
    .await
    {
        Ok(codes) => {
            let codes = codes.unwrap_or_default();
            Ok(render_codes(&page, &codes, "/sign-in/enrol/finish", &next))
        }
        Err(error) => {
            let state = page.form_failure(error)?;
            match mfa::totp_enrolment(accounts, &pending.user, device).await {
                Ok(Some(enrolment)) => Ok(render_setup(
                    &page,
                    &state,
                    &enrolment,
                    format!("/sign-in/enrol/totp/{device}"),
                    "/sign-in/enrol",
                    &next,
                )),
                _ => Ok(page.see_other(&with_next("/sign-in/enrol", &next))),
            }
        }
    }
}

/// Continue after enrolment (or postpone it).
#[derive(Debug, Deserialize)]
pub struct ContinueForm {
    #[serde(default)]
    next: Option<ShortText>,
}

/// `POST /sign-in/enrol/finish`: finishes the sign-in once enrolled, or postpones within the
/// grace period.
pub async fn finish_enrol(
    page: Page,
    PageForm(form): PageForm<ContinueForm>,
) -> Result<Response, Halt> {
    let next = next_of(form.next.as_deref());
    let token = challenge_token(&page).unwrap_or_default();
    match mfa::skip_enrolment(&page.state().accounts, &page.caller.context, &token).await {
        Ok(done) => {
            page.caller.end_previous_session().await;
            Ok(completed(&page, done, &next))
        }
        Err(AccountError::ChallengeExpired) => {
            let mut response = page.see_other("/sign-in?notice=challenge_expired");
            cookies::append(&mut response, cookies::clear(cookies::CHALLENGE));
            Ok(response)
        }
        Err(error) => Err(page.fail(&page.caller.failure(error)).into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Step-up.

#[derive(Template)]
#[template(path = "step_up.html")]
struct StepUpTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    next: &'a str,
    passkeys: bool,
}

fn render_step_up(page: &Page, form: &FormState, next: &str, passkeys: bool) -> Response {
    page.render_form(
        form,
        &StepUpTemplate {
            page: &page.view,
            form,
            next,
            passkeys,
        },
    )
}

async fn has_passkeys(page: &Page, current: &CurrentSession) -> bool {
    page.state().accounts.settings.mfa.webauthn.is_some()
        && page
            .state()
            .accounts
            .store
            .mfa()
            .factor_summary(current.user.id())
            .await
            .is_ok_and(|summary| summary.passkeys > 0)
}

/// `GET /confirm-identity?next=…`.
pub async fn show_step_up(page: Page) -> Result<Response, Halt> {
    let current = page.require_session()?;
    let next = next_of(page.query("next").as_deref());
    let passkeys = has_passkeys(&page, current).await;
    Ok(render_step_up(
        &page,
        &FormState::default(),
        &next,
        passkeys,
    ))
}

/// The step-up form.
#[derive(Debug, Deserialize)]
pub struct StepUpForm {
    current_password: PasswordText,
    #[serde(default)]
    next: Option<ShortText>,
}

/// `POST /confirm-identity`: the password; then, for users with one, the second step.
pub async fn step_up(page: Page, PageForm(form): PageForm<StepUpForm>) -> Result<Response, Halt> {
    let current = page.require_session()?;
    let next = next_of(form.next.as_deref());
    let accounts = &page.state().accounts;
    match mfa::reauthenticate_with_password(
        accounts,
        &page.caller.context,
        current,
        &form.current_password,
        (!next.is_empty()).then(|| next.clone()),
    )
    .await
    {
        Ok(StepUp::Done { token }) => {
            let mut response = page.see_other(destination(&next));
            cookies::append(&mut response, page.caller.session_cookie(&token));
            Ok(response)
        }
        Ok(StepUp::SecondFactor { token }) => {
            let mut response = page.see_other(&with_next("/sign-in/second-factor", &next));
            cookies::append(&mut response, challenge_cookie(&page, &token));
            Ok(response)
        }
        Err(error) => {
            let state = page.form_failure_of(page.caller.failure(error).reauthentication())?;
            let passkeys = has_passkeys(&page, current).await;
            Ok(render_step_up(&page, &state, &next, passkeys))
        }
    }
}

/// Sets the challenge cookie on a sign-in that needs a second step and sends the browser on.
pub fn second_step(page: &Page, token: &str, enrol: bool, next: &str) -> Response {
    let path = if enrol {
        "/sign-in/enrol"
    } else {
        "/sign-in/second-factor"
    };
    let next = if next == "/account" { "" } else { next };
    let mut response = page.see_other(&with_next(path, next));
    cookies::append(&mut response, challenge_cookie(page, token));
    response
}

// ---------------------------------------------------------------------------------------------
// /account/mfa

struct FactorView {
    id: Uuid,
    name: String,
    kind: &'static str,
    added: String,
    last_used: Option<String>,
    synced: bool,
}

#[derive(Template)]
#[template(path = "account_mfa.html")]
struct AccountMfaTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    apps: Vec<FactorView>,
    keys: Vec<FactorView>,
    recovery_remaining: i64,
    has_second_factor: bool,
    enrolment_allowed: bool,
    webauthn: bool,
    required_by: Option<String>,
    recovery_text: String,
}

async fn render_account(page: &Page, form: &FormState) -> Result<Response, Halt> {
    let current = page.require_session()?;
    let accounts = &page.state().accounts;
    let fail = |error| -> Halt { page.fail(&page.caller.failure(error)).into() };
    let factors = mfa::factors(accounts, current.user.id())
        .await
        .map_err(fail)?;
    let summary = accounts
        .store
        .mfa()
        .factor_summary(current.user.id())
        .await
        .map_err(|e| fail(e.into()))?;
    let requirement = mfa::requirement(accounts, current.user.id(), &summary, accounts.clock.now())
        .await
        .map_err(fail)?;
    let apps = factors
        .totp
        .iter()
        .map(|device| FactorView {
            id: device.id,
            name: device.name.clone(),
            kind: "totp",
            added: date(device.created_at),
            last_used: device.last_used_at.map(date),
            synced: false,
        })
        .collect();
    let keys = factors
        .webauthn
        .iter()
        .map(|credential| FactorView {
            id: credential.id,
            name: credential.name.clone(),
            kind: if credential.kind == "passkey" {
                "passkey"
            } else {
                "security_key"
            },
            added: date(credential.created_at),
            last_used: credential.last_used_at.map(date),
            synced: credential.backed_up,
        })
        .collect();
    let template = AccountMfaTemplate {
        page: &page.view,
        form,
        apps,
        keys,
        recovery_remaining: factors.recovery_codes_remaining,
        has_second_factor: factors.has_second_factor(),
        enrolment_allowed: accounts.settings.mfa.policy != mfa::MfaPolicy::Off,
        webauthn: accounts.settings.mfa.webauthn.is_some(),
        required_by: (requirement.required && !requirement.enrolled).then(|| {
            match requirement.grace_until {
                Some(until) => page
                    .lang()
                    .format("mfa.required_by", &[("date", &date(until))]),
                None => page.lang().t("mfa.required").to_owned(),
            }
        }),
        recovery_text: page.lang().format(
            "mfa.recovery_remaining",
            &[("count", &factors.recovery_codes_remaining.to_string())],
        ),
    };
    Ok(page.render_form(form, &template))
}

/// `GET /account/mfa` (after a recent authentication).
pub async fn show_account(page: Page) -> Result<Response, Halt> {
    require_recent(&page, "/account/mfa").await?;
    render_account(&page, &FormState::default()).await
}

async fn after_change(
    page: &Page,
    result: Result<(), AccountError>,
    notice: &str,
) -> Result<Response, Halt> {
    match result {
        Ok(()) => Ok(page.see_other(&format!("/account/mfa?notice={notice}"))),
        Err(AccountError::StepUpRequired) => Ok(step_up_redirect("/account/mfa")),
        Err(error) => {
            let state = page.form_failure(error)?;
            render_account(page, &state).await
        }
    }
}

/// `POST /account/mfa/totp`: begins adding an authenticator app.
pub async fn add_app(page: Page, PageForm(form): PageForm<NewAppForm>) -> Result<Response, Halt> {
    let current = require_recent(&page, "/account/mfa").await?;
    match mfa::begin_totp(
        &page.state().accounts,
        &current.user,
        form.name.as_deref().unwrap_or(""),
    )
    .await
    {
        Ok(enrolment) => Ok(page.see_other(&format!("/account/mfa/totp/{}", enrolment.device_id))),
        Err(error) => {
            let state = page.form_failure(error)?;
            render_account(&page, &state).await
        }
    }
}

/// `GET /account/mfa/totp/{id}`: the QR code of an app being added.
pub async fn show_app_setup(page: Page, Path(device): Path<Uuid>) -> Result<Response, Halt> {
    let current = require_recent(&page, "/account/mfa").await?;
    match mfa::totp_enrolment(&page.state().accounts, &current.user, device).await {
        Ok(Some(enrolment)) => Ok(render_setup(
            &page,
            &FormState::default(),
            &enrolment,
            format!("/account/mfa/totp/{device}"),
            "/account/mfa",
            "",
        )),
        Ok(None) => Ok(page.see_other("/account/mfa")),
        Err(error) => Err(page.fail(&page.caller.failure(error)).into()),
    }
}

/// `POST /account/mfa/totp/{id}`: the first code confirms the app.
pub async fn confirm_app(
    page: Page,
    Path(device): Path<Uuid>,
    PageForm(form): PageForm<CodeForm>,
) -> Result<Response, Halt> {
    let current = require_recent(&page, "/account/mfa").await?;
    let accounts = &page.state().accounts;
    let confirmed = mfa::confirm_totp(
        accounts,
        &page.caller.context,
        &current.user,
        device,
        &form.code,
    )
    .await;
    let mut renewed = None;
    if confirmed.is_ok() {
        match mfa::note_enrolment(accounts, current, mfa::amr::OTP).await {
            Ok(token) => renewed = token,
            Err(error) => return Err(page.fail(&page.caller.failure(error)).into()),
        }
    }
    let with_session = |mut response: Response| {
        if let Some(token) = &renewed {
            cookies::append(&mut response, page.caller.session_cookie(token));
        }
        response
    };
    match confirmed {
        Ok(Some(codes)) => Ok(with_session(render_codes(
            &page,
            &codes,
            "/account/mfa/done",
            "",
        ))),
        Ok(None) => Ok(with_session(
            page.see_other("/account/mfa?notice=factor_added"),
        )),
        Err(error) => {
            let state = page.form_failure(error)?;
            match mfa::totp_enrolment(accounts, &current.user, device).await {
                Ok(Some(enrolment)) => Ok(render_setup(
                    &page,
                    &state,
                    &enrolment,
                    format!("/account/mfa/totp/{device}"),
                    "/account/mfa",
                    "",
                )),
                _ => Ok(page.see_other("/account/mfa")),
            }
        }
    }
}

/// `POST /account/mfa/done`: back from the recovery codes.
pub async fn done(page: Page) -> Result<Response, Halt> {
    page.require_session()?;
    Ok(page.see_other("/account/mfa?notice=factor_added"))
}

/// A new name.
#[derive(Debug, Deserialize)]
pub struct RenameForm {
    name: Text<200>,
}

/// The password, needed to remove the last second factor.
#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    password: Option<PasswordText>,
}

/// `POST /account/mfa/totp/{id}/rename`.
pub async fn rename_app(
    page: Page,
    Path(device): Path<Uuid>,
    PageForm(form): PageForm<RenameForm>,
) -> Result<Response, Halt> {
    let current = require_recent(&page, "/account/mfa").await?;
    let result = mfa::rename_totp(
        &page.state().accounts,
        &page.caller.context,
        current,
        device,
        &form.name,
    )
    .await;
    after_change(&page, result, "factor_renamed").await
}

/// `POST /account/mfa/totp/{id}/remove`.
pub async fn remove_app(
    page: Page,
    Path(device): Path<Uuid>,
    PageForm(form): PageForm<RemoveForm>,
) -> Result<Response, Halt> {
    let current = require_recent(&page, "/account/mfa").await?;
    let result = mfa::remove_totp(
        &page.state().accounts,
        &page.caller.context,
        current,
        device,
        form.password.as_deref(),
    )
    .await;
    after_change(&page, result, "factor_removed").await
}

/// `POST /account/mfa/webauthn/{id}/rename`.
pub async fn rename_key(
    page: Page,
    Path(credential): Path<Uuid>,
    PageForm(form): PageForm<RenameForm>,
) -> Result<Response, Halt> {
    let current = require_recent(&page, "/account/mfa").await?;
    let result = mfa::rename_webauthn(
        &page.state().accounts,
        &page.caller.context,
        current,
        credential,
        &form.name,
    )
    .await;
    after_change(&page, result, "factor_renamed").await
}

/// `POST /account/mfa/webauthn/{id}/remove`.
pub async fn remove_key(
    page: Page,
    Path(credential): Path<Uuid>,
    PageForm(form): PageForm<RemoveForm>,
) -> Result<Response, Halt> {
    let current = require_recent(&page, "/account/mfa").await?;
    let result = mfa::remove_webauthn(
        &page.state().accounts,
        &page.caller.context,
        current,
        credential,
        form.password.as_deref(),
    )
    .await;
    after_change(&page, result, "factor_removed").await
}

/// `POST /account/mfa/recovery-codes`: a new set, shown once.
pub async fn regenerate_codes(page: Page) -> Result<Response, Halt> {
    let current = require_recent(&page, "/account/mfa").await?;
    match mfa::regenerate_recovery_codes(&page.state().accounts, &page.caller.context, current)
        .await
    {
        Ok(codes) => Ok(render_codes(&page, &codes, "/account/mfa/done", "")),
        Err(error) => {
            let state = page.form_failure(error)?;
            render_account(&page, &state).await
        }
    }
}
