//! `/account/email` (current password required; a link goes to the new address and a notice
//! to the old one) and `/confirm-email` (the link shows a form that POSTs the token).

use askama::Template;
use axum::{http::StatusCode, response::Response};
use gatehouse_domain::accounts::{self, AccountError};
use serde::Deserialize;

use super::{
    message,
    page::{FormState, Page, PageView},
};
use crate::{
    input::PageForm,
    surface::Halt,
    text::{EmailText, PasswordText, TokenText},
};

#[derive(Template)]
#[template(path = "account_email.html")]
struct EmailTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    current_email: &'a str,
    email: &'a str,
}

#[derive(Template)]
#[template(path = "confirm_email.html")]
struct ConfirmTemplate<'a> {
    page: &'a PageView,
    token: &'a str,
}

/// The change form.
#[derive(Debug, Deserialize)]
pub struct EmailForm {
    current_password: PasswordText,
    email: EmailText,
}

/// The confirmation form: the token from the mail.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    token: TokenText,
}

fn render(page: &Page, form: &FormState, email: &str) -> Result<Response, Halt> {
    let current = page.require_session()?;
    let template = EmailTemplate {
        page: &page.view,
        form,
        current_email: current.user.email(),
        email,
    };
    Ok(page.render_form(form, &template))
}

/// `GET /account/email`.
pub async fn show(page: Page) -> Result<Response, Halt> {
    super::mfa::require_recent(&page, "/account/email").await?;
    render(&page, &FormState::default(), "")
}

/// `POST /account/email`.
pub async fn change(page: Page, PageForm(form): PageForm<EmailForm>) -> Result<Response, Halt> {
    let current = page.require_session()?;
    let accounts = &page.state().accounts;
    match accounts::change_email(
        accounts,
        &page.caller.context,
        current,
        &form.current_password,
        &form.email,
    )
    .await
    {
        Ok(()) => Ok(page.see_other("/account?notice=email_change_sent")),
        Err(gatehouse_domain::accounts::AccountError::StepUpRequired) => {
            Ok(super::mfa::step_up_redirect("/account/email"))
        }
        Err(error) => render(
            &page,
            &page.form_failure_of(page.caller.failure(error).reauthentication())?,
            &form.email,
        ),
    }
}

/// `GET /confirm-email?token=…`.
pub async fn show_confirm(page: Page) -> Response {
    match page.query("token").filter(|token| !token.is_empty()) {
        Some(token) => page.render(
            StatusCode::OK,
            &ConfirmTemplate {
                page: &page.view,
                token: &token,
            },
        ),
        None => page.fail(&page.caller.failure(AccountError::InvalidLink)),
    }
}

/// `POST /confirm-email`.
pub async fn confirm(page: Page, PageForm(form): PageForm<ConfirmForm>) -> Response {
    match accounts::confirm_email_change(&page.state().accounts, &page.caller.context, &form.token)
        .await
    {
        Ok(()) => {
            let link = if page.view.signed_in {
                ("/account", page.view.t("layout.account"))
            } else {
                ("/sign-in", page.view.t("sign_in.title"))
            };
            page.render(
                StatusCode::OK,
                &message::success(
                    &page.view,
                    "email_change.done_title",
                    "email_change.done_body",
                    link,
                ),
            )
        }
        Err(error) => page.fail(&page.caller.failure(error)),
    }
}
