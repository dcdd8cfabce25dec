//! `/console/roles`: the roles with their capabilities and version, a create form, and one
//! role's page (description, capability picker grouped by API, included roles) whose hidden
//! version makes a stale save a conflict instead of a silent overwrite.

use askama::Template;
use axum::{body::Bytes, extract::Path, response::Response};
use gatehouse_domain::{
    authorization::{self, Admin, NewRole, RoleCapabilities, RoleIncludes, RoleUpdate},
    store::{RbacModel, RoleRow},
};
use uuid::Uuid;

use super::{Fields, admin, form_failure, model, not_found, parse_id};
use crate::{
    account::page::{FormState, Page, PageView},
    surface::Halt,
};

/// A role in the list.
pub struct RoleLine {
    id: String,
    name: String,
    description: String,
    capabilities: String,
    version: i64,
    system: bool,
}

#[derive(Template)]
#[template(path = "console_roles.html")]
struct RolesTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    roles: Vec<RoleLine>,
}

/// A checkbox.
pub struct Choice {
    /// The value (an id).
    pub id: String,
    /// The label.
    pub name: String,
    /// A hint beside the label.
    pub description: String,
    /// Whether it is ticked.
    pub checked: bool,
}

/// An API's capabilities, for the picker.
pub struct ApiChoices {
    /// The API's name.
    pub name: String,
    /// Its audience.
    pub audience: String,
    /// Its capabilities.
    pub capabilities: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "console_role.html")]
struct RoleTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    role: RoleRow,
    id: String,
    apis: Vec<ApiChoices>,
    includes: Vec<Choice>,
}

/// The capability names of `role`, comma-separated.
fn capability_names(model: &RbacModel, role: Uuid) -> String {
    let names: Vec<&str> = model
        .role_capabilities
        .iter()
        .filter(|(owner, _)| *owner == role)
        .filter_map(|(_, id)| model.capabilities.iter().find(|c| c.id == *id))
        .map(|row| row.name.as_str())
        .collect();
    names.join(", ")
}

async fn render_list(page: &Page, actor: &Admin, form: FormState) -> Result<Response, Halt> {
    let model = model(page, actor).await?;
    let roles = model
        .roles
        .iter()
        .map(|row| RoleLine {
            id: row.id.to_string(),
            name: row.name.clone(),
            description: row.description.clone(),
            capabilities: capability_names(&model, row.id),
            version: row.version,
            system: row.system,
        })
        .collect();
    let status = form.status;
    let template = RolesTemplate {
        page: &page.view,
        form,
        roles,
    };
    Ok(page.render(status, &template))
}

/// `GET /console/roles`.
pub async fn list(page: Page) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    render_list(&page, &actor, FormState::default()).await
}

/// `POST /console/roles`: creates a role (capabilities are picked on its page).
pub async fn create(page: Page, body: Bytes) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let fields = Fields::parse(&body);
    let input = NewRole {
        name: fields.one("name"),
        description: fields.one("description"),
        ..NewRole::default()
    };
    match authorization::create_role(&page.state().authorization, &actor, input).await {
        Ok(row) => Ok(page.see_other(&format!("/console/roles/{}?notice=role_created", row.id))),
        Err(error) => render_list(&page, &actor, form_failure(&page, error)?).await,
    }
}

fn choices<'a>(
    rows: impl Iterator<Item = (Uuid, &'a str, &'a str)>,
    links: &[(Uuid, Uuid)],
    owner: Uuid,
) -> Vec<Choice> {
    rows.map(|(id, name, description)| Choice {
        id: id.to_string(),
        name: name.to_owned(),
        description: description.to_owned(),
        checked: links.contains(&(owner, id)),
    })
    .collect()
}

async fn render_role(
    page: &Page,
    actor: &Admin,
    id: Uuid,
    form: FormState,
) -> Result<Response, Halt> {
    let model = model(page, actor).await?;
    let role = model
        .roles
        .iter()
        .find(|row| row.id == id)
        .cloned()
        .ok_or_else(|| not_found(page))?;
    let apis = model
        .apis
        .iter()
        .map(|api| ApiChoices {
            name: api.name.clone(),
            audience: api.audience.clone(),
            capabilities: choices(
                model
                    .capabilities
                    .iter()
                    .filter(|c| c.api_id == api.id)
                    .map(|c| (c.id, c.name.as_str(), c.description.as_str())),
                &model.role_capabilities,
                id,
            ),
        })
        .collect();
    let includes = choices(
        model
            .roles
            .iter()
            .filter(|r| r.id != id)
            .map(|r| (r.id, r.name.as_str(), r.description.as_str())),
        &model.role_includes,
        id,
    );
    let status = form.status;
    let template = RoleTemplate {
        page: &page.view,
        form,
        id: role.id.to_string(),
        role,
        apis,
        includes,
    };
    Ok(page.render(status, &template))
}

/// `GET /console/roles/{id}`.
pub async fn show(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    render_role(&page, &actor, id, FormState::default()).await
}

/// `POST /console/roles/{id}`: saves name, description, capabilities and included roles, each
/// step only if it changes something, each checked against the version the form was read at.
pub async fn save(page: Page, Path(id): Path<String>, body: Bytes) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    let fields = Fields::parse(&body);
    match apply(&page, &actor, id, &fields).await {
        Ok(()) => Ok(page.see_other(&format!("/console/roles/{id}?notice=role_saved"))),
        Err(error) => render_role(&page, &actor, id, form_failure(&page, error)?).await,
    }
}

async fn apply(
    page: &Page,
    actor: &Admin,
    id: Uuid,
    fields: &Fields,
) -> Result<(), authorization::AuthorizationError> {
    let deps = &page.state().authorization;
    let model = authorization::list_model(deps, actor).await?;
    let Some(current) = model.roles.iter().find(|row| row.id == id) else {
        return Err(authorization::AuthorizationError::NotFound {
            kind: "role",
            name: id.to_string(),
        });
    };
    let mut version = fields.number("version");
    let (name, description) = (fields.one("name"), fields.one("description"));
    if name != current.name || description != current.description {
        let update = RoleUpdate {
            role: id,
            expected_version: version,
            name,
            description,
        };
        version = authorization::update_role(deps, actor, update)
            .await?
            .version;
    }
    let linked = |links: &[(Uuid, Uuid)]| -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = links
            .iter()
            .filter(|(o, _)| *o == id)
            .map(|(_, t)| *t)
            .collect();
        ids.sort_unstable();
        ids
    };
    let mut capabilities = fields.ids("capability");
    capabilities.sort_unstable();
    if capabilities != linked(&model.role_capabilities) {
        let input = RoleCapabilities {
            role: id,
            expected_version: version,
            capabilities,
        };
        version = authorization::set_role_capabilities(deps, actor, input)
            .await?
            .version;
    }
    let mut includes = fields.ids("include");
    includes.sort_unstable();
    if includes != linked(&model.role_includes) {
        let input = RoleIncludes {
            role: id,
            expected_version: version,
            includes,
        };
        authorization::set_role_includes(deps, actor, input).await?;
    }
    Ok(())
}
