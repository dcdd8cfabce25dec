//! `/console/groups`: the groups and a create form; one group's page with its name and
//! description and its roles (each saved with the group's version, so a stale save is a
//! conflict), and its members (added by email address, removed one by one).

use askama::Template;
use axum::{body::Bytes, extract::Path, response::Response};
use gatehouse_domain::{
    accounts::EmailAddress,
    authorization::{
        self, Admin, AuthorizationError, GroupRoles, GroupUpdate, Membership, NewGroup,
    },
    store::GroupRow,
};
use uuid::Uuid;

use super::{
    Fields, admin, fail, form_failure, model, not_found, parse_id, roles::Choice, show_done,
};
use crate::{
    account::page::{FormState, Page, PageView},
    surface::Halt,
};

#[derive(Template)]
#[template(path = "console_groups.html")]
struct GroupsTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    groups: Vec<GroupRow>,
}

/// A member in the list.
pub(super) struct MemberLine {
    pub(super) id: String,
    pub(super) email: String,
}

#[derive(Template)]
#[template(path = "console_group.html")]
struct GroupTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    group: GroupRow,
    id: String,
    shown_name: String,
    shown_description: String,
    members: Vec<MemberLine>,
    roles: Vec<Choice>,
}

async fn render_list(page: &Page, actor: &Admin, form: FormState) -> Result<Response, Halt> {
    let groups = model(page, actor).await?.groups;
    let status = form.status;
    let template = GroupsTemplate {
        page: &page.view,
        form,
        groups,
    };
    Ok(page.render(status, &template))
}

/// `GET /console/groups`.
pub async fn list(mut page: Page) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    show_done(&mut page);
    render_list(&page, &actor, FormState::default()).await
}

/// `POST /console/groups`.
pub async fn create(page: Page, body: Bytes) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let fields = Fields::parse(&body);
    let input = NewGroup {
        name: fields.one("name"),
        description: fields.one("description"),
        roles: Vec::new(),
    };
    match authorization::create_group(&page.state().authorization, &actor, input).await {
        Ok(row) => Ok(page.see_other(&format!("/console/groups/{}?notice=group_created", row.id))),
        Err(error) => render_list(&page, &actor, form_failure(&page, error)?).await,
    }
}

/// The members of group `id`, by email address.
pub(super) async fn members(page: &Page, id: Uuid) -> Result<Vec<MemberLine>, Halt> {
    let store = &page.state().store;
    let member_ids = store
        .rbac()
        .group_members(id)
        .await
        .map_err(|error| fail(page, AuthorizationError::from(error)))?;
    let mut members = Vec::with_capacity(member_ids.len());
    for member in member_ids {
        let email = match store.users().by_id(member).await {
            Ok(Some(row)) => row.email,
            _ => member.to_string(),
        };
        members.push(MemberLine {
            id: member.to_string(),
            email,
        });
    }
    Ok(members)
}

/// The group's page; `entered` is the name and description to show in their form instead of
/// the stored ones (after a refusal other than a conflict).
async fn render_group(
    page: &Page,
    actor: &Admin,
    id: Uuid,
    form: FormState,
    entered: Option<(String, String)>,
) -> Result<Response, Halt> {
    let model = model(page, actor).await?;
    let group = model
        .groups
        .iter()
        .find(|row| row.id == id)
        .cloned()
        .ok_or_else(|| not_found(page))?;
    let members = members(page, id).await?;
    let (name, description) =
        entered.unwrap_or_else(|| (group.name.clone(), group.description.clone()));
    let roles = model
        .roles
        .iter()
        .map(|role| Choice {
            id: role.id.to_string(),
            name: role.name.clone(),
            description: role.description.clone(),
            checked: model.group_roles.contains(&(id, role.id)),
        })
        .collect();
    let status = form.status;
    let template = GroupTemplate {
        page: &page.view,
        form,
        id: group.id.to_string(),
        group,
        shown_name: name,
        shown_description: description,
        members,
        roles,
    };
    Ok(page.render(status, &template))
}

/// `GET /console/groups/{id}`.
pub async fn show(mut page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    show_done(&mut page);
    render_group(&page, &actor, id, FormState::default(), None).await
}

/// `POST /console/groups/{id}`: renames the group or changes its description at the version
/// read (nothing is written when neither changed).
pub async fn save(page: Page, Path(id): Path<String>, body: Bytes) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    let fields = Fields::parse(&body);
    let input = GroupUpdate {
        group: id,
        expected_version: fields.number("version"),
        name: fields.one("name"),
        description: fields.one("description"),
    };
    let entered = (input.name.clone(), input.description.clone());
    let deps = &page.state().authorization;
    let stored = model(&page, &actor).await?;
    let unchanged = stored
        .groups
        .iter()
        .any(|row| row.id == id && row.name == input.name && row.description == input.description);
    let result = if unchanged {
        Ok(())
    } else {
        authorization::update_group(deps, &actor, input)
            .await
            .map(drop)
    };
    match result {
        Ok(()) => Ok(page.see_other(&format!("/console/groups/{id}?done=group_renamed"))),
        Err(error) => {
            // After a conflict the form shows the other person's change.
            let conflict = matches!(error, AuthorizationError::Conflict { .. });
            let form = form_failure(&page, error)?;
            let entered = (!conflict).then_some(entered);
            render_group(&page, &actor, id, form, entered).await
        }
    }
}

/// `POST /console/groups/{id}/roles`: replaces the group's roles at the version read.
pub async fn save_roles(page: Page, Path(id): Path<String>, body: Bytes) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    let fields = Fields::parse(&body);
    let input = GroupRoles {
        group: id,
        expected_version: fields.number("version"),
        roles: fields.ids("role"),
    };
    match authorization::set_group_roles(&page.state().authorization, &actor, input).await {
        Ok(_) => Ok(page.see_other(&format!("/console/groups/{id}?notice=group_saved"))),
        Err(error) => render_group(&page, &actor, id, form_failure(&page, error)?, None).await,
    }
}

/// `POST /console/groups/{id}/members`: adds the user with that email address.
pub async fn add_member(page: Page, Path(id): Path<String>, body: Bytes) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    let email = Fields::parse(&body).one("email");
    let result = match find_user(&page, &email).await {
        Ok(user) => {
            let input = Membership { group: id, user };
            authorization::add_group_member(&page.state().authorization, &actor, input).await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => Ok(page.see_other(&format!("/console/groups/{id}?notice=member_added"))),
        Err(error) => render_group(&page, &actor, id, form_failure(&page, error)?, None).await,
    }
}

/// `POST /console/groups/{id}/members/{user}/remove`.
pub async fn remove_member(
    page: Page,
    Path((id, user)): Path<(String, String)>,
) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    let user = parse_id(&page, &user)?;
    let input = Membership { group: id, user };
    match authorization::remove_group_member(&page.state().authorization, &actor, input).await {
        Ok(()) => Ok(page.see_other(&format!("/console/groups/{id}?notice=member_removed"))),
        Err(error) => render_group(&page, &actor, id, form_failure(&page, error)?, None).await,
    }
}

/// The user with address `raw`.
async fn find_user(page: &Page, raw: &str) -> Result<Uuid, AuthorizationError> {
    let unknown = || AuthorizationError::NotFound {
        kind: "user",
        name: raw.to_owned(),
    };
    let address = EmailAddress::parse(raw).map_err(|_| unknown())?;
    let row = page
        .state()
        .store
        .users()
        .by_email(address.normalized())
        .await?;
    row.map(|row| row.id).ok_or_else(unknown)
}
