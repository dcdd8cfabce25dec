//! `/sign-in` and `POST /sign-out`. After signing in the browser goes to `next` (same-site
//! paths only) or `/account`; the session cookie is new at every sign-in.

use askama::Template;
use axum::response::{IntoResponse, Response};
use gatehouse_domain::accounts;
use serde::Deserialize;

use super::page::{FormState, Page, PageView};
use crate::{
    cookies,
    input::PageForm,
    redirect::safe_next,
    text::{EmailText, PasswordText, Text},
};

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    email: &'a str,
    next: &'a str,
    sign_up_enabled: bool,
    passkeys: bool,
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    email: EmailText,
    password: PasswordText,
    #[serde(default)]
    next: Option<Text<2_048>>,
}

fn render(page: &Page, form: &FormState, email: &str, next: &str) -> Response {
    page.render_form(
        form,
        &SignInTemplate {
            page: &page.view,
            form,
            email,
            next,
            sign_up_enabled: page.state().site.sign_up_enabled,
            passkeys: page.state().accounts.settings.mfa.webauthn.is_some(),
        },
    )
}

/// `GET /sign-in[?next=…]`; a signed-in visitor goes straight on.
pub async fn show(page: Page) -> Response {
    let next = page
        .query("next")
        .filter(|next| safe_next(next).is_some())
        .unwrap_or_default();
    if page.caller.session.is_some() {
        return page.see_other(if next.is_empty() { "/account" } else { &next });
    }
    // An OAuth client's `login_hint` pre-fills the address (it is only a suggestion).
    let hint: String = page
        .query("login_hint")
        .unwrap_or_default()
        .chars()
        .take(320)
        .collect();
    render(&page, &FormState::default(), &hint, &next)
}

/// `POST /sign-in`.
pub async fn submit(page: Page, PageForm(form): PageForm<SignInForm>) -> Response {
    let next = form
        .next
        .as_deref()
        .and_then(safe_next)
        .unwrap_or("/account");
    let accounts = &page.state().accounts;
    match accounts::sign_in(accounts, &page.caller.context, &form.email, &form.password).await {
        Ok(accounts::SignInStep::SecondFactor { token, enrol }) => {
            super::mfa::second_step(&page, &token, enrol, next)
        }
        Ok(accounts::SignInStep::SignedIn(signed_in)) => {
            page.caller.end_previous_session().await;
            let mut response = page.see_other(next);
            cookies::append(&mut response, page.caller.session_cookie(&signed_in.token));
            response
        }
        Err(error) => match page.form_failure(error) {
            Ok(state) => render(
                &page,
                &state,
                &form.email,
                form.next.as_deref().and_then(safe_next).unwrap_or(""),
            ),
            Err(halt) => halt.into_response(),
        },
    }
}

/// `POST /sign-out`: ends the session server-side and clears the cookie.
pub async fn sign_out(page: Page) -> Response {
    if let Some(current) = &page.caller.session
        && let Err(error) =
            accounts::sign_out(&page.state().accounts, &page.caller.context, current).await
    {
        return page.fail(&page.caller.failure(error));
    }
    let mut response = page.see_other("/sign-in?notice=signed_out");
    cookies::append(&mut response, cookies::clear(cookies::SESSION));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_renders_labels_and_autocomplete() {
        let view = PageView {
            lang: crate::i18n::Language::English,
            product_name: "Acme <ID>".to_owned(),
            has_logo: false,
            csrf_token: "tok".to_owned(),
            signed_in: false,
            notice: None,
        };
        let form = FormState::default();
        let html = SignInTemplate {
            page: &view,
            form: &form,
            email: "a@b.c",
            next: "/x",
            sign_up_enabled: true,
            passkeys: true,
        }
        .render()
        .unwrap();
        assert!(
            html.contains("Acme &#60;ID&#62;") || html.contains("Acme &lt;ID&gt;"),
            "{html}"
        );
        assert!(html.contains(r#"autocomplete="current-password""#));
        assert!(html.contains(r#"<label class="label" for="email">"#));
        assert!(html.contains(r#"name="csrf_token" value="tok""#));
        // Scripts only from files (the CSP allows no inline script), no inline style.
        assert!(!html.contains("style="));
        for script in html.split("<script").skip(1) {
            let (tag, rest) = script.split_once('>').unwrap();
            assert!(tag.contains(r#"src="/assets/"#), "{tag}");
            assert!(rest.starts_with("</script>"), "inline script: {rest}");
        }
        assert!(html.contains("autocomplete=\"username webauthn\""));
    }
}
