//! `/console/capabilities/{id}`: one capability's page (rename, description, the roles that
//! grant it) and its deletion, whose effect is shown first: the roles that lose it, directly
//! or through a role they include. Gatehouse's own capabilities are refused by the use cases;
//! their pages say so and offer no change.

use askama::Template;
use axum::{body::Bytes, extract::Path, response::Response};
use gatehouse_domain::{
    authorization::{self, Admin, CapabilityUpdate},
    store::{ApiRow, CapabilityRow},
};
use uuid::Uuid;

use super::{
    Fields, admin,
    effect::{self, Granting},
    form_failure, model, not_found, parse_id, show_done,
};
use crate::{
    account::page::{FormState, Page, PageView},
    surface::Halt,
};

#[derive(Template)]
#[template(path = "console_capability.html")]
struct CapabilityTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    capability: CapabilityRow,
    id: String,
    api: ApiRow,
    api_id: String,
    shown_name: String,
    shown_description: String,
    granting: Granting,
}

#[derive(Template)]
#[template(path = "console_capability_delete.html")]
struct DeleteTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    capability: CapabilityRow,
    id: String,
    api: ApiRow,
    granting: Granting,
}

/// The capability, its API and the roles granting it.
struct Loaded {
    capability: CapabilityRow,
    api: ApiRow,
    granting: Granting,
}

async fn load(page: &Page, actor: &Admin, id: Uuid) -> Result<Loaded, Halt> {
    let model = model(page, actor).await?;
    let capability = model
        .capabilities
        .iter()
        .find(|row| row.id == id)
        .cloned()
        .ok_or_else(|| not_found(page))?;
    let api = model
        .apis
        .iter()
        .find(|row| row.id == capability.api_id)
        .cloned()
        .ok_or_else(|| not_found(page))?;
    let compiled = effect::compile(&model);
    let granting = effect::granting(&model, compiled.as_ref(), &capability);
    Ok(Loaded {
        capability,
        api,
        granting,
    })
}

async fn render(
    page: &Page,
    actor: &Admin,
    id: Uuid,
    form: FormState,
    entered: Option<(String, String)>,
) -> Result<Response, Halt> {
    let Loaded {
        capability,
        api,
        granting,
    } = load(page, actor, id).await?;
    let (name, description) =
        entered.unwrap_or_else(|| (capability.name.clone(), capability.description.clone()));
    let status = form.status;
    let template = CapabilityTemplate {
        page: &page.view,
        form,
        id: capability.id.to_string(),
        capability,
        api_id: api.id.to_string(),
        api,
        shown_name: name,
        shown_description: description,
        granting,
    };
    Ok(page.render(status, &template))
}

/// `GET /console/capabilities/{id}`.
pub async fn show(mut page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    show_done(&mut page);
    render(&page, &actor, id, FormState::default(), None).await
}

/// `POST /console/capabilities/{id}`: saves its name and description (roles keep it).
pub async fn save(page: Page, Path(id): Path<String>, body: Bytes) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    let fields = Fields::parse(&body);
    let input = CapabilityUpdate {
        capability: id,
        name: fields.one("name"),
        description: fields.one("description"),
    };
    let entered = (input.name.clone(), input.description.clone());
    match authorization::update_capability(&page.state().authorization, &actor, input).await {
        Ok(_) => Ok(page.see_other(&format!("/console/capabilities/{id}?done=capability_saved"))),
        Err(error) => {
            let form = form_failure(&page, error)?;
            render(&page, &actor, id, form, Some(entered)).await
        }
    }
}

async fn render_delete(
    page: &Page,
    actor: &Admin,
    id: Uuid,
    form: FormState,
) -> Result<Response, Halt> {
    let Loaded {
        capability,
        api,
        granting,
    } = load(page, actor, id).await?;
    let status = form.status;
    let template = DeleteTemplate {
        page: &page.view,
        form,
        id: capability.id.to_string(),
        capability,
        api,
        granting,
    };
    Ok(page.render(status, &template))
}

/// `GET /console/capabilities/{id}/delete`: the roles that would lose it.
pub async fn confirm(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    render_delete(&page, &actor, id, FormState::default()).await
}

/// `POST /console/capabilities/{id}/delete`.
pub async fn delete(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let id = parse_id(&page, &id)?;
    match authorization::delete_capability(&page.state().authorization, &actor, id).await {
        Ok(()) => Ok(page.see_other("/console/capabilities?done=capability_deleted")),
        Err(error) => render_delete(&page, &actor, id, form_failure(&page, error)?).await,
    }
}
