//! `/console/apis`: the APIs (resource servers) with their audience and a create form; one
//! API's page (name and description; the audience is fixed once created, as `update_api`
//! has it) with its capabilities; and its deletion, whose effect is shown first: its
//! capabilities go and the roles granting them lose them. The system API `gatehouse` is
//! refused by the use cases; its page says so and offers no change.

use askama::Template;
use axum::{body::Bytes, extract::Path, response::Response};
use gatehouse_domain::{
    authorization::{self, Admin, ApiUpdate, AuthorizationError, NewApi},
    store::{ApiRow, RbacModel},
};
use uuid::Uuid;

use super::{
    Fields, admin,
    effect::{self, RoleLink},
    form_failure, model, not_found, parse_id, show_done,
};
use crate::{
    account::page::{FormState, Page, PageView},
    surface::Halt,
};

/// An API in the list.
struct ApiLine {
    id: String,
    name: String,
    audience: String,
    description: String,
    capabilities: usize,
    system: bool,
}

/// What the create form shows again after a refusal.
#[derive(Default)]
struct Entered {
    audience: String,
    name: String,
    description: String,
}

#[derive(Template)]
#[template(path = "console_apis.html")]
struct ApisTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    apis: Vec<ApiLine>,
    entered: Entered,
}

/// A capability on an API's page or its deletion page.
struct CapabilityLine {
    id: String,
    name: String,
    description: String,
    system: bool,
    /// The roles granting it, comma-separated.
    granted_by: String,
}

#[derive(Template)]
#[template(path = "console_api.html")]
struct ApiTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    api: ApiRow,
    id: String,
    shown_name: String,
    shown_description: String,
    capabilities: Vec<CapabilityLine>,
}

/// A role that loses capabilities, and whether it loses them only through a role it includes.
struct AffectedRole {
    role: RoleLink,
    through_include: bool,
}

#[derive(Template)]
#[template(path = "console_api_delete.html")]
struct DeleteTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    api: ApiRow,
    id: String,
    capabilities: Vec<CapabilityLine>,
    roles: Vec<AffectedRole>,
}

/// The form state for a failure; audience problems (its format, or another API's audience)
/// are shown on the audience field.
fn failure(page: &Page, error: AuthorizationError) -> Result<FormState, Halt> {
    let on_audience = matches!(
        &error,
        AuthorizationError::Invalid {
            field: "audience",
            ..
        } | AuthorizationError::AlreadyExists { kind: "api", .. }
    );
    let form = form_failure(page, error)?;
    Ok(if on_audience {
        form.moved("name", "audience")
    } else {
        form
    })
}

async fn render_list(
    page: &Page,
    actor: &Admin,
    form: FormState,
    entered: Entered,
) -> Result<Response, Halt> {
    let model = model(page, actor).await?;
    let apis = model
        .apis
        .iter()
        .map(|api| ApiLine {
            id: api.id.to_string(),
            name: api.name.clone(),
            audience: api.audience.clone(),
            description: api.description.clone(),
            capabilities: model
                .capabilities
                .iter()
                .filter(|row| row.api_id == api.id)
                .count(),
            system: api.system,
        })
        .collect();
    let status = form.status;
    let template = ApisTemplate {
        page: &page.view,
        form,
        apis,
        entered,
    };
    Ok(page.render(status, &template))
}

/// `GET /console/apis`.
pub async fn list(mut page: Page) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    show_done(&mut page);
    render_list(&page, &actor, FormState::default(), Entered::default()).await
}

/// `POST /console/apis`: creates an API; its capabilities are added on the capabilities page.
pub async fn create(page: Page, body: Bytes) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let fields = Fields::parse(&body);
    let input = NewApi {
        audience: fields.one("audience"),
        name: fields.one("name"),
        description: fields.one("description"),
    };
    let entered = Entered {
        audience: input.audience.clone(),
        name: input.name.clone(),
        description: input.description.clone(),
    };
    match authorization::create_api(&page.state().authorization, &actor, input).await {
        Ok(row) => Ok(page.see_other(&format!("/console/apis/{}?done=api_created", row.id))),
        Err(error) => render_list(&page, &actor, failure(&page, error)?, entered).await,
    }
}

/// The API `id` in `model`, or a 404 page.
fn find(page: &Page, model: &RbacModel, id: Uuid) -> Result<ApiRow, Halt> {
    model
        .apis
        .iter()
        .find(|row| row.id == id)
        .cloned()
        .ok_or_else(|| not_found(page))
}

/// The capabilities of `api`, each with the roles granting it.
fn capabilities_of(model: &RbacModel, api: Uuid) -> Vec<CapabilityLine> {
    let compiled = effect::compile(model);
    model
        .capabilities
        .iter()
        .filter(|row| row.api_id == api)
        .map(|row| CapabilityLine {
            id: row.id.to_string(),
            name: row.name.clone(),
            description: row.description.clone(),
            system: row.system,
            granted_by: effect::granting(model, compiled.as_ref(), row).names(),
        })
        .collect()
}

async fn render_api(
    page: &Page,
    actor: &Admin,
    id: Uuid,
    form: FormState,
    entered: Option<(String, String)>,
) -> Result<Response, Halt> {
    let model = model(page, actor).await?;
    let api = find(page, &model, id)?;
    let (name, description) =
        entered.unwrap_or_else(|| (api.name.clone(), api.description.clone()));
    let status = form.status;
    let template = ApiTemplate {
        page: &page.view,
        form,
        id: api.id.to_string(),
        capabilities: capabilities_of(&model, api.id),
        api,
        shown_name: name,
        shown_description: description,
    };
    Ok(page.render(status, &template))
}

/// `GET /console/apis/{id}`.
pub async fn show(mut page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    show_done(&mut page);
    render_api(&page, &actor, id, FormState::default(), None).await
}

/// `POST /console/apis/{id}`: saves the name and description (the audience cannot change).
pub async fn save(page: Page, Path(id): Path<String>, body: Bytes) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    let fields = Fields::parse(&body);
    let input = ApiUpdate {
        api: id,
        name: fields.one("name"),
        description: fields.one("description"),
    };
    let entered = (input.name.clone(), input.description.clone());
    match authorization::update_api(&page.state().authorization, &actor, input).await {
        Ok(_) => Ok(page.see_other(&format!("/console/apis/{id}?done=api_saved"))),
        Err(error) => {
            let form = failure(&page, error)?;
            render_api(&page, &actor, id, form, Some(entered)).await
        }
    }
}

async fn render_delete(
    page: &Page,
    actor: &Admin,
    id: Uuid,
    form: FormState,
) -> Result<Response, Halt> {
    let model = model(page, actor).await?;
    let api = find(page, &model, id)?;
    let compiled = effect::compile(&model);
    let mut roles: Vec<AffectedRole> = Vec::new();
    for row in model.capabilities.iter().filter(|row| row.api_id == id) {
        let granting = effect::granting(&model, compiled.as_ref(), row);
        let direct = granting.direct.into_iter().map(|role| (role, false));
        let included = granting.included.into_iter().map(|role| (role, true));
        for (role, through_include) in direct.chain(included) {
            match roles.iter_mut().find(|known| known.role == role) {
                Some(known) => known.through_include &= through_include,
                None => roles.push(AffectedRole {
                    role,
                    through_include,
                }),
            }
        }
    }
    roles.sort_by(|a, b| a.role.name.cmp(&b.role.name));
    let status = form.status;
    let template = DeleteTemplate {
        page: &page.view,
        form,
        id: api.id.to_string(),
        capabilities: capabilities_of(&model, api.id),
        api,
        roles,
    };
    Ok(page.render(status, &template))
}

/// `GET /console/apis/{id}/delete`: the capabilities that go and the roles that lose them.
pub async fn confirm(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    render_delete(&page, &actor, id, FormState::default()).await
}

/// `POST /console/apis/{id}/delete`.
pub async fn delete(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    match authorization::delete_api(&page.state().authorization, &actor, id).await {
        Ok(()) => Ok(page.see_other("/console/apis?done=api_deleted")),
        Err(error) => render_delete(&page, &actor, id, form_failure(&page, error)?).await,
    }
}
