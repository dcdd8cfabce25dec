//! The second step of a sign-in or step-up: a code from an app, a recovery code, or (through
//! the browser script) a security key or passkey.

use super::*;

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

pub(super) async fn live_pending(page: &Page) -> Result<Pending, Halt> {
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

/// Sets the challenge cookie on a sign-in that needs a second step and sends the browser on.
pub fn second_step(page: &Page, token: &str, enrol: bool, next: &str) -> Response {
    let path = if enrol {
        "/sign-in/enrol"
    } else {
        "/sign-in/second-factor"
    };
    let next = if next == "/account" { "" } else { next };
    let mut response = page.see_other(&with_next(path, next));
    cookies::append(&mut response, page.caller.challenge_cookie(token));
    response
}
