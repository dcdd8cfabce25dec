//! `/sign-up` (when offered). The answer is the same whether or not the address already has an
//! account: the verification page, saying a link and code are on their way.

use askama::Template;
use axum::response::{IntoResponse, Response};
use gatehouse_domain::accounts::{self, AccountError, SignUp};
use serde::Deserialize;

use super::{
    page::{FormState, Page, PageView},
    verify_email,
};
use crate::{
    input::PageForm,
    surface::Halt,
    text::{EmailText, PasswordText, ShortText},
};

#[derive(Template)]
#[template(path = "sign_up.html")]
struct SignUpTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    email: &'a str,
    display_name: &'a str,
    password_hint: String,
}

/// The sign-up form.
#[derive(Debug, Deserialize)]
pub struct SignUpForm {
    email: EmailText,
    password: PasswordText,
    #[serde(default)]
    display_name: Option<ShortText>,
}

fn render(page: &Page, form: &FormState, email: &str, display_name: &str) -> Response {
    let password_hint = page.password_hint();
    page.render_form(
        form,
        &SignUpTemplate {
            page: &page.view,
            form,
            email,
            display_name,
            password_hint,
        },
    )
}

fn refuse_when_off(page: &Page) -> Result<(), Halt> {
    if page.state().site.sign_up_enabled {
        return Ok(());
    }
    Err(page
        .fail(&page.caller.failure(AccountError::SignUpDisabled))
        .into())
}

/// `GET /sign-up`.
pub async fn show(page: Page) -> Response {
    if let Err(halt) = refuse_when_off(&page) {
        return halt.into_response();
    }
    render(&page, &FormState::default(), "", "")
}

/// `POST /sign-up`.
pub async fn submit(page: Page, PageForm(form): PageForm<SignUpForm>) -> Response {
    if let Err(halt) = refuse_when_off(&page) {
        return halt.into_response();
    }
    let display_name = form.display_name.as_deref().unwrap_or_default().to_owned();
    let input = SignUp {
        email: form.email.as_str().to_owned(),
        password: form.password.into_string(),
        display_name: Some(display_name.clone()),
    };
    match accounts::sign_up(&page.state().accounts, &page.caller.context, input).await {
        Ok(()) => verify_email::render_sent(&page, &form.email),
        Err(error) => match page.form_failure(error) {
            Ok(state) => render(&page, &state, &form.email, &display_name),
            Err(halt) => halt.into_response(),
        },
    }
}
