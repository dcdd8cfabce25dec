//! `/console/roles/{id}/delete`: who and what a role reaches (users, groups, including roles),
//! shown before the deletion is confirmed.

use askama::Template;
use axum::{extract::Path, http::StatusCode, response::Response};
use gatehouse_domain::authorization;

use super::{admin, fail, parse_id};
use crate::{
    account::page::{Page, PageView},
    surface::Halt,
};

#[derive(Template)]
#[template(path = "console_role_delete.html")]
struct ConfirmTemplate<'a> {
    page: &'a PageView,
    id: String,
    name: String,
    users: Vec<String>,
    groups: Vec<String>,
    including_roles: Vec<String>,
}

/// `GET /console/roles/{id}/delete`: the usage and a confirm button.
pub async fn confirm(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    let deps = &page.state().authorization;
    let usage = authorization::role_usage(deps, &actor, id)
        .await
        .map_err(|error| fail(&page, error))?;
    let mut users = Vec::with_capacity(usage.users.len());
    for user in &usage.users {
        let row = page.state().store.users().by_id(*user).await;
        let shown = match row {
            Ok(Some(row)) => row.email,
            _ => user.to_string(),
        };
        users.push(shown);
    }
    let template = ConfirmTemplate {
        page: &page.view,
        id: usage.role.id.to_string(),
        name: usage.role.name.clone(),
        users,
        groups: usage.groups.into_iter().map(|row| row.name).collect(),
        including_roles: usage
            .including_roles
            .into_iter()
            .map(|row| row.name)
            .collect(),
    };
    Ok(page.render(StatusCode::OK, &template))
}

/// `POST /console/roles/{id}/delete`.
pub async fn delete(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    authorization::delete_role(&page.state().authorization, &actor, id)
        .await
        .map_err(|error| fail(&page, error))?;
    Ok(page.see_other("/console/roles?notice=role_deleted"))
}
