//! `/forgot-password` (the same answer for every address) and `/reset-password` (the mailed
//! link shows a form that POSTs the token with the new password).

use askama::Template;
use axum::{http::StatusCode, response::IntoResponse, response::Response};
use gatehouse_domain::accounts::{self, AccountError};
use serde::Deserialize;

use super::{
    message,
    page::{FormState, Page, PageView},
};
use crate::{
    input::PageForm,
    text::{EmailText, PasswordText, TokenText},
};

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    email: &'a str,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    token: &'a str,
    password_hint: String,
}

/// The reset request form.
#[derive(Debug, Deserialize)]
pub struct ForgotForm {
    email: EmailText,
}

/// The new password form.
#[derive(Debug, Deserialize)]
pub struct ResetForm {
    token: TokenText,
    password: PasswordText,
}

fn render_reset(page: &Page, form: &FormState, token: &str) -> Response {
    let template = ResetTemplate {
        page: &page.view,
        form,
        token,
        password_hint: page.password_hint(),
    };
    page.render_form(form, &template)
}

/// `GET /forgot-password`.
pub async fn show_request(page: Page) -> Response {
    let form = FormState::default();
    page.render_form(
        &form,
        &ForgotTemplate {
            page: &page.view,
            form: &form,
            email: "",
        },
    )
}

/// `POST /forgot-password`.
pub async fn request(page: Page, PageForm(form): PageForm<ForgotForm>) -> Response {
    let accounts = &page.state().accounts;
    match accounts::request_password_reset(accounts, &page.caller.context, &form.email).await {
        Ok(()) => {
            let link = ("/sign-in", page.view.t("sign_in.title"));
            page.render(
                StatusCode::OK,
                &message::success(&page.view, "forgot.sent_title", "forgot.sent_body", link),
            )
        }
        Err(error) => match page.form_failure(error) {
            Ok(state) => page.render_form(
                &state,
                &ForgotTemplate {
                    page: &page.view,
                    form: &state,
                    email: &form.email,
                },
            ),
            Err(halt) => halt.into_response(),
        },
    }
}

/// `GET /reset-password?token=…`.
pub async fn show_reset(page: Page) -> Response {
    match page.query("token").filter(|token| !token.is_empty()) {
        Some(token) => render_reset(&page, &FormState::default(), &token),
        None => page.fail(&page.caller.failure(AccountError::InvalidLink)),
    }
}

/// `POST /reset-password`.
pub async fn reset(page: Page, PageForm(form): PageForm<ResetForm>) -> Response {
    let accounts = &page.state().accounts;
    match accounts::reset_password(accounts, &page.caller.context, &form.token, &form.password)
        .await
    {
        Ok(()) => {
            let link = ("/sign-in", page.view.t("sign_in.title"));
            page.render(
                StatusCode::OK,
                &message::success(&page.view, "reset.done_title", "reset.done_body", link),
            )
        }
        Err(AccountError::InvalidLink) => {
            let failure = page.caller.failure(AccountError::InvalidLink);
            page.fail(&failure)
        }
        Err(error) => match page.form_failure(error) {
            Ok(state) => render_reset(&page, &state, &form.token),
            Err(halt) => halt.into_response(),
        },
    }
}
