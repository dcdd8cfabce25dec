//! The administration console under `/console` (simple server-rendered pages; the console
//! issue polishes them): APIs, capabilities, roles, groups, a user's roles, OAuth clients and
//! token-signing keys. Each route is declared with its capability in `declared.rs`; the use
//! cases check it again.

pub mod apis;
pub mod capabilities;
pub mod capability_edit;
pub mod clients;
pub mod effect;
pub mod error;
pub mod group_delete;
pub mod groups;
pub mod keys;
pub mod role_delete;
pub mod roles;
pub mod user_mfa;
pub mod user_roles;

use axum::{body::Bytes, http::StatusCode};
use gatehouse_domain::{
    authorization::{Admin, AuthorizationError},
    store::RbacModel,
};
use uuid::Uuid;

use crate::{
    account::{
        error::Failure,
        page::{FormState, Page},
    },
    surface::Halt,
};

/// The administrator behind a console request (the guard already required a session).
pub fn admin(page: &Page) -> Result<Admin, Halt> {
    let session = page.require_session()?;
    Ok(Admin {
        user_id: session.user.id(),
        context: page.caller.context.clone(),
    })
}

/// A page explaining a use case's failure.
pub fn fail(page: &Page, error: AuthorizationError) -> Halt {
    page.fail(&error::failure(error)).into()
}

/// The form state showing a use case's failure on the page, or (for server faults) the error
/// page to answer.
pub fn form_failure(page: &Page, error: AuthorizationError) -> Result<FormState, Halt> {
    page.form_failure_of(error::failure(error))
}

/// Shows the console notice that `?done=` names (`console.notice.*`), if the catalogue has it.
/// (`?notice=` reads the `[notice]` section of the account pages.)
pub fn show_done(page: &mut Page) {
    let Some(name) = page.query("done") else {
        return;
    };
    let key = format!("console.notice.{name}");
    let lang = page.lang();
    if lang.has(&key) {
        page.view.notice = Some(lang.t(&key));
    }
}

/// A 404 page for an id that names nothing.
pub fn not_found(page: &Page) -> Halt {
    page.fail(&Failure::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "console.error.not_found",
    ))
    .into()
}

/// `raw` as an id, or a 404 page.
pub fn parse_id(page: &Page, raw: &str) -> Result<Uuid, Halt> {
    Uuid::parse_str(raw).map_err(|_| not_found(page))
}

/// The whole model, for pages that show it.
pub async fn model(page: &Page, actor: &Admin) -> Result<RbacModel, Halt> {
    let deps = &page.state().authorization;
    gatehouse_domain::authorization::list_model(deps, actor)
        .await
        .map_err(|error| fail(page, error))
}

/// A submitted form with repeated fields (checkbox groups), read as name/value pairs.
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The pairs of a form-urlencoded body.
    pub fn parse(body: &Bytes) -> Self {
        Self(
            form_urlencoded::parse(body)
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, trimmed (empty when absent).
    pub fn one(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim().to_owned())
            .unwrap_or_default()
    }

    /// Every value of `name` that is an id (others are ignored: the use cases name unknown ids).
    pub fn ids(&self, name: &str) -> Vec<Uuid> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .filter_map(|(_, value)| Uuid::parse_str(value).ok())
            .collect()
    }

    /// `name` as a number (`0` when absent or unreadable: the version check then refuses).
    pub fn number(&self, name: &str) -> i64 {
        self.one(name).parse().unwrap_or(0)
    }
}
