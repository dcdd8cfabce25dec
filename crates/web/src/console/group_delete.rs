//! `/console/groups/{id}/delete`: the group's members and the roles it gives them, shown
//! before the deletion is confirmed. The use case refuses when the group is what keeps the
//! last administrator; the page then says so.

use askama::Template;
use axum::{extract::Path, response::Response};
use gatehouse_domain::{authorization, store::GroupRow};
use uuid::Uuid;

use super::{
    admin, effect::RoleLink, form_failure, groups::MemberLine, model, not_found, parse_id,
};
use crate::{
    account::page::{FormState, Page, PageView},
    surface::Halt,
};

#[derive(Template)]
#[template(path = "console_group_delete.html")]
struct ConfirmTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    group: GroupRow,
    id: String,
    members: Vec<MemberLine>,
    roles: Vec<RoleLink>,
}

async fn render(page: &Page, id: Uuid, form: FormState) -> Result<Response, Halt> {
    let actor = admin(page)?;
    let model = model(page, &actor).await?;
    let group = model
        .groups
        .iter()
        .find(|row| row.id == id)
        .cloned()
        .ok_or_else(|| not_found(page))?;
    let roles = model
        .roles
        .iter()
        .filter(|role| model.group_roles.contains(&(id, role.id)))
        .map(|role| RoleLink {
            id: role.id.to_string(),
            name: role.name.clone(),
        })
        .collect();
    let members = super::groups::members(page, id).await?;
    let status = form.status;
    let template = ConfirmTemplate {
        page: &page.view,
        form,
        id: group.id.to_string(),
        group,
        members,
        roles,
    };
    Ok(page.render(status, &template))
}

/// `GET /console/groups/{id}/delete`: the members and roles, and a confirm button.
pub async fn confirm(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let id = parse_id(&page, &id)?;
    render(&page, id, FormState::default()).await
}

/// `POST /console/groups/{id}/delete`.
pub async fn delete(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    match authorization::delete_group(&page.state().authorization, &actor, id).await {
        Ok(()) => Ok(page.see_other("/console/groups?done=group_deleted")),
        Err(error) => render(&page, id, form_failure(&page, error)?).await,
    }
}
