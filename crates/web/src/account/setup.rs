//! `/setup`: the one-time link printed at first start creates the first administrator. The
//! link shows the form; the token travels in the POST.

use askama::Template;
use axum::{http::StatusCode, response::IntoResponse, response::Response};
use gatehouse_domain::accounts::{self, AccountError, NewAccount};
use serde::Deserialize;

use super::{
    message,
    page::{FormState, Page, PageView},
};
use crate::{
    input::PageForm,
    text::{EmailText, PasswordText, ShortText, TokenText},
};

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    token: &'a str,
    email: &'a str,
    display_name: &'a str,
    password_hint: String,
}

/// The setup form.
#[derive(Debug, Deserialize)]
pub struct SetupForm {
    token: TokenText,
    email: EmailText,
    password: PasswordText,
    #[serde(default)]
    display_name: Option<ShortText>,
}

fn render(page: &Page, form: &FormState, token: &str, email: &str, display_name: &str) -> Response {
    let template = SetupTemplate {
        page: &page.view,
        form,
        token,
        email,
        display_name,
        password_hint: page.password_hint(),
    };
    page.render_form(form, &template)
}

/// `GET /setup?token=…`.
pub async fn show(page: Page) -> Response {
    match page.query("token").filter(|token| !token.is_empty()) {
        Some(token) => render(&page, &FormState::default(), &token, "", ""),
        None => page.fail(&page.caller.failure(AccountError::InvalidLink)),
    }
}

/// `POST /setup`.
pub async fn submit(page: Page, PageForm(form): PageForm<SetupForm>) -> Response {
    let display_name = form.display_name.as_deref().unwrap_or_default().to_owned();
    let account = NewAccount {
        email: form.email.as_str().to_owned(),
        password: form.password.as_str().to_owned(),
        display_name: Some(display_name.clone()),
    };
    match accounts::complete_setup(
        &page.state().accounts,
        &page.caller.context,
        &form.token,
        account,
    )
    .await
    {
        Ok(_) => {
            let link = ("/sign-in", page.view.t("sign_in.title"));
            page.render(
                StatusCode::CREATED,
                &message::success(&page.view, "setup.done_title", "setup.done_body", link),
            )
        }
        Err(AccountError::InvalidLink) => {
            page.fail(&page.caller.failure(AccountError::InvalidLink))
        }
        Err(error) => match page.form_failure(error) {
            Ok(state) => render(&page, &state, &form.token, &form.email, &display_name),
            Err(halt) => halt.into_response(),
        },
    }
}
