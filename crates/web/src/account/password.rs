//! `/account/password`: change the password (current one required). Every other session ends
//! and this one is renewed, so the browser gets a new session cookie.

use askama::Template;
use axum::response::Response;
use gatehouse_domain::accounts;
use serde::Deserialize;

use super::page::{FormState, Page, PageView};
use crate::{cookies, input::PageForm, surface::Halt, text::PasswordText};

#[derive(Template)]
#[template(path = "account_password.html")]
struct PasswordTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    password_hint: String,
}

/// The change form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    current_password: PasswordText,
    password: PasswordText,
}

fn render(page: &Page, form: &FormState) -> Result<Response, Halt> {
    page.require_session()?;
    let template = PasswordTemplate {
        page: &page.view,
        form,
        password_hint: page.password_hint(),
    };
    Ok(page.render_form(form, &template))
}

/// `GET /account/password`.
pub async fn show(page: Page) -> Result<Response, Halt> {
    super::mfa::require_recent(&page, "/account/password").await?;
    render(&page, &FormState::default())
}

/// `POST /account/password`.
pub async fn change(page: Page, PageForm(form): PageForm<PasswordForm>) -> Result<Response, Halt> {
    let current = page.require_session()?;
    let accounts = &page.state().accounts;
    match accounts::change_password(
        accounts,
        &page.caller.context,
        current,
        &form.current_password,
        &form.password,
    )
    .await
    {
        Ok((token, _)) => {
            let mut response = page.see_other("/account?notice=password_changed");
            cookies::append(&mut response, page.caller.session_cookie(&token));
            Ok(response)
        }
        Err(accounts::AccountError::StepUpRequired) => {
            Ok(super::mfa::step_up_redirect("/account/password"))
        }
        Err(error) => render(
            &page,
            &page.form_failure_of(page.caller.failure(error).reauthentication())?,
        ),
    }
}
