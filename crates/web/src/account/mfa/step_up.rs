//! `/confirm-identity`: step-up with the password (then the second step, if the user has one)
//! or a passkey alone.

use super::*;

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
            cookies::append(&mut response, page.caller.challenge_cookie(&token));
            Ok(response)
        }
        Err(error) => {
            let state = page.form_failure_of(page.caller.failure(error).reauthentication())?;
            let passkeys = has_passkeys(&page, current).await;
            Ok(render_step_up(&page, &state, &next, passkeys))
        }
    }
}
