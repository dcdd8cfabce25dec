//! `/console/users/{id}/mfa`: which second steps a user has (counts and names, never secrets)
//! and resetting them all (audited; the user is told by email).

use askama::Template;
use axum::{extract::Path, http::StatusCode, response::Response};
use gatehouse_domain::mfa;

use super::{admin, not_found, parse_id};
use crate::{
    account::page::{FormState, Page, PageView},
    surface::Halt,
};

#[derive(Template)]
#[template(path = "console_user_mfa.html")]
struct UserMfaTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    user_id: String,
    email: String,
    apps: String,
    keys: String,
    recovery: String,
    names: Vec<String>,
    none: bool,
}

/// `GET /console/users/{id}/mfa`.
pub async fn show(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    admin(&page)?;
    let user = parse_id(&page, &id)?;
    let accounts = &page.state().accounts;
    let email = match accounts.store.users().by_id(user).await {
        Ok(Some(row)) => row.email,
        Ok(None) => return Err(not_found(&page)),
        Err(error) => return Err(page.fail(&page.caller.failure(error.into())).into()),
    };
    let factors = mfa::user_factors(accounts, user)
        .await
        .map_err(|error| -> Halt { page.fail(&page.caller.failure(error)).into() })?;
    let lang = page.lang();
    let names = factors
        .totp
        .iter()
        .map(|device| device.name.clone())
        .chain(
            factors
                .webauthn
                .iter()
                .map(|key| format!("{} ({})", key.name, key.kind)),
        )
        .collect();
    let template = UserMfaTemplate {
        page: &page.view,
        form: FormState::default(),
        user_id: user.to_string(),
        email,
        apps: lang.format(
            "console.mfa.apps",
            &[("count", &factors.totp.len().to_string())],
        ),
        keys: lang.format(
            "console.mfa.keys",
            &[("count", &factors.webauthn.len().to_string())],
        ),
        recovery: lang.format(
            "console.mfa.recovery",
            &[("count", &factors.recovery_codes_remaining.to_string())],
        ),
        names,
        none: !factors.has_second_factor() && factors.recovery_codes_remaining == 0,
    };
    Ok(page.render(StatusCode::OK, &template))
}

/// `POST /console/users/{id}/mfa/reset`.
pub async fn reset(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let user = parse_id(&page, &id)?;
    match mfa::reset_factors(&page.state().accounts, &actor.context, actor.user_id, user).await {
        Ok(_) => Ok(page.see_other(&format!("/console/users/{user}/mfa?notice=mfa_reset"))),
        Err(gatehouse_domain::accounts::AccountError::NotFound) => Err(not_found(&page)),
        Err(error) => Err(page.fail(&page.caller.failure(error)).into()),
    }
}
