//! `/account`: the profile, its edit form, and the way to the other account pages.

use askama::Template;
use axum::response::Response;
use gatehouse_domain::accounts::{self, ProfileChanges};
use serde::Deserialize;

use super::page::{FormState, Page, PageView};
use crate::{i18n::Language, input::PageForm, surface::Halt};

#[derive(Template)]
#[template(path = "account.html")]
struct AccountTemplate<'a> {
    page: &'a PageView,
    form: &'a FormState,
    email: &'a str,
    verified: bool,
    values: &'a ProfileValues,
    languages: Vec<(&'static str, &'static str)>,
}

/// The profile form (every field submitted; an empty one clears the value). The domain checks
/// each value's length and shape.
#[derive(Debug, Default, Deserialize)]
pub struct ProfileValues {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    picture_url: String,
}

impl ProfileValues {
    fn changes(&self) -> ProfileChanges {
        let value = |text: &String| Some(text.clone());
        ProfileChanges {
            display_name: value(&self.display_name),
            given_name: value(&self.given_name),
            family_name: value(&self.family_name),
            locale: value(&self.locale),
            picture_url: value(&self.picture_url),
            attributes: None,
        }
    }
}

fn stored(value: Option<&String>) -> String {
    value.cloned().unwrap_or_default()
}

fn render(page: &Page, form: &FormState, values: &ProfileValues) -> Result<Response, Halt> {
    let current = page.require_session()?;
    let languages = Language::ALL
        .iter()
        .map(|language| {
            (
                language.tag(),
                page.view.t(&format!("language.{}", language.tag())),
            )
        })
        .collect();
    Ok(page.render_form(
        form,
        &AccountTemplate {
            page: &page.view,
            form,
            email: current.user.email(),
            verified: current.user.email_verified_at().is_some(),
            values,
            languages,
        },
    ))
}

/// `GET /account`.
pub async fn show(page: Page) -> Result<Response, Halt> {
    let current = page.require_session()?;
    let row = &current.user.row;
    let values = ProfileValues {
        display_name: stored(row.display_name.as_ref()),
        given_name: stored(row.given_name.as_ref()),
        family_name: stored(row.family_name.as_ref()),
        locale: stored(row.locale.as_ref()),
        picture_url: stored(row.picture_url.as_ref()),
    };
    render(&page, &FormState::default(), &values)
}

/// `POST /account`.
pub async fn update(
    page: Page,
    PageForm(values): PageForm<ProfileValues>,
) -> Result<Response, Halt> {
    let current = page.require_session()?;
    match accounts::update_profile(
        &page.state().accounts,
        &page.caller.context,
        current,
        values.changes(),
    )
    .await
    {
        Ok(_) => Ok(page.see_other("/account?notice=profile_saved")),
        Err(error) => render(&page, &page.form_failure(error)?, &values),
    }
}
