//! `/console/capabilities`: capabilities grouped by API (each linked to its page, see
//! `capability_edit`), and a form to add one to an API.

use askama::Template;
use axum::{body::Bytes, response::Response};
use gatehouse_domain::authorization::{self, Admin, NewCapability};

use super::{Fields, admin, form_failure, model, show_done};
use crate::{
    account::page::{FormState, Page, PageView},
    surface::Halt,
};

/// One capability in the list.
struct CapabilityLine {
    id: String,
    name: String,
    description: String,
    system: bool,
}

/// An API and its capabilities.
struct ApiSection {
    id: String,
    name: String,
    audience: String,
    capabilities: Vec<CapabilityLine>,
}

#[derive(Template)]
#[template(path = "console_capabilities.html")]
struct CapabilitiesTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    apis: Vec<ApiSection>,
}

async fn render(page: &Page, actor: &Admin, form: FormState) -> Result<Response, Halt> {
    let model = model(page, actor).await?;
    let apis = model
        .apis
        .iter()
        .map(|api| ApiSection {
            id: api.id.to_string(),
            name: api.name.clone(),
            audience: api.audience.clone(),
            capabilities: model
                .capabilities
                .iter()
                .filter(|row| row.api_id == api.id)
                .map(|row| CapabilityLine {
                    id: row.id.to_string(),
                    name: row.name.clone(),
                    description: row.description.clone(),
                    system: row.system,
                })
                .collect(),
        })
        .collect();
    let status = form.status;
    let template = CapabilitiesTemplate {
        page: &page.view,
        form,
        apis,
    };
    Ok(page.render(status, &template))
}

/// `GET /console/capabilities`.
pub async fn list(mut page: Page) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    show_done(&mut page);
    render(&page, &actor, FormState::default()).await
}

/// `POST /console/capabilities`.
pub async fn create(page: Page, body: Bytes) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let fields = Fields::parse(&body);
    let Some(api) = fields.ids("api").first().copied() else {
        let error = authorization::AuthorizationError::Invalid {
            field: "api",
            message: "choose an API".to_owned(),
        };
        return render(&page, &actor, form_failure(&page, error)?).await;
    };
    let input = NewCapability {
        api,
        name: fields.one("name"),
        description: fields.one("description"),
    };
    match authorization::create_capability(&page.state().authorization, &actor, input).await {
        Ok(_) => Ok(page.see_other("/console/capabilities?notice=capability_created")),
        Err(error) => render(&page, &actor, form_failure(&page, error)?).await,
    }
}
