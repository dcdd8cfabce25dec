//! `/verify-email`: the mailed link shows a page whose button POSTs the token (GET never changes
//! state); without a token, the six-digit code form and "send a new code".

use askama::Template;
use axum::{http::StatusCode, response::IntoResponse, response::Response};
use gatehouse_domain::accounts;
use serde::Deserialize;

use super::{
    message,
    page::{FormState, Page, PageView},
};
use crate::{
    input::PageForm,
    text::{CodeText, EmailText, TokenText},
};

#[derive(Template)]
#[template(path = "verify_email.html")]
struct VerifyTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    token: &'a str,
    email: &'a str,
    sent: bool,
}

/// The link form: the token from the mail.
#[derive(Debug, Deserialize)]
pub struct LinkForm {
    token: TokenText,
}

/// The code form.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    email: EmailText,
    code: CodeText,
}

/// The resend form (its own field name: the code form on the same page has `email`).
#[derive(Debug, Deserialize)]
pub struct ResendForm {
    resend_email: EmailText,
}

fn render(page: &Page, form: &FormState, token: &str, email: &str, sent: bool) -> Response {
    page.render_form(
        form,
        &VerifyTemplate {
            page: &page.view,
            form,
            token,
            email,
            sent,
        },
    )
}

/// The code form after sign-up or resend: "if the address needs it, a code is on its way".
pub fn render_sent(page: &Page, email: &str) -> Response {
    render(page, &FormState::default(), "", email, true)
}

fn verified(page: &Page) -> Response {
    let link = if page.view.signed_in {
        ("/account", page.view.t("layout.account"))
    } else {
        ("/sign-in", page.view.t("sign_in.title"))
    };
    page.render(
        StatusCode::OK,
        &message::success(&page.view, "verify.done_title", "verify.done_body", link),
    )
}

/// `GET /verify-email[?token=…]`.
pub async fn show(page: Page) -> Response {
    let token = page.query("token").unwrap_or_default();
    render(&page, &FormState::default(), &token, "", false)
}

/// `POST /verify-email`: the link's token.
pub async fn confirm_link(page: Page, PageForm(form): PageForm<LinkForm>) -> Response {
    match accounts::verify_with_link(&page.state().accounts, &page.caller.context, &form.token)
        .await
    {
        Ok(_) => verified(&page),
        Err(error) => match page.form_failure(error) {
            Ok(state) => render(&page, &state, "", "", false),
            Err(halt) => halt.into_response(),
        },
    }
}

/// `POST /verify-email/code`.
pub async fn confirm_code(page: Page, PageForm(form): PageForm<CodeForm>) -> Response {
    let accounts = &page.state().accounts;
    match accounts::verify_with_code(accounts, &page.caller.context, &form.email, &form.code).await
    {
        Ok(_) => verified(&page),
        Err(error) => match page.form_failure(error) {
            Ok(state) => render(&page, &state, "", &form.email, false),
            Err(halt) => halt.into_response(),
        },
    }
}

/// `POST /verify-email/resend`: the same answer for every address.
pub async fn resend(page: Page, PageForm(form): PageForm<ResendForm>) -> Response {
    let accounts = &page.state().accounts;
    match accounts::resend_verification(accounts, &page.caller.context, &form.resend_email).await {
        Ok(()) => render_sent(&page, &form.resend_email),
        Err(error) => match page.form_failure(error) {
            Ok(state) => render(&page, &state.moved("email", "resend_email"), "", "", false),
            Err(halt) => halt.into_response(),
        },
    }
}
