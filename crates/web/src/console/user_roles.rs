//! `/console/users/{id}/roles`: a user's direct roles (with expiry), groups, and effective
//! capabilities with the roles each comes from; assign a role (optionally until a time) or
//! take one away.

use askama::Template;
use axum::{body::Bytes, extract::Path, response::Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use gatehouse_domain::authorization::{self, Admin, Assignment, AuthorizationError, Unassignment};
use uuid::Uuid;

use super::{Fields, admin, fail, form_failure, model, parse_id};
use crate::{
    account::page::{FormState, Page, PageView},
    surface::Halt,
};

/// A role held directly.
struct HeldLine {
    id: String,
    name: String,
    expires: Option<String>,
    active: bool,
}

/// An effective capability and its sources.
struct CapabilityLine {
    name: String,
    audience: String,
    granted_by: String,
}

/// A role to pick.
struct RoleOption {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "console_user_roles.html")]
struct UserRolesTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    user_id: String,
    email: String,
    direct: Vec<HeldLine>,
    groups: Vec<String>,
    capabilities: Vec<CapabilityLine>,
    roles: Vec<RoleOption>,
}

fn shown(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

async fn render(page: &Page, actor: &Admin, user: Uuid, form: FormState) -> Result<Response, Halt> {
    let deps = &page.state().authorization;
    let held = authorization::user_roles(deps, actor, user)
        .await
        .map_err(|error| fail(page, error))?;
    let model = model(page, actor).await?;
    let email = match page.state().store.users().by_id(user).await {
        Ok(Some(row)) => row.email,
        _ => user.to_string(),
    };
    let status = form.status;
    let template = UserRolesTemplate {
        page: &page.view,
        form,
        user_id: user.to_string(),
        email,
        direct: held
            .direct
            .into_iter()
            .map(|line| HeldLine {
                id: line.role.id.to_string(),
                name: line.role.name,
                expires: line.expires_at.map(shown),
                active: line.active,
            })
            .collect(),
        groups: held.groups.into_iter().map(|row| row.name).collect(),
        capabilities: held
            .capabilities
            .into_iter()
            .map(|line| CapabilityLine {
                name: line.name,
                audience: line.audience.unwrap_or_default(),
                granted_by: line.granted_by.join(", "),
            })
            .collect(),
        roles: model
            .roles
            .into_iter()
            .map(|row| RoleOption {
                id: row.id.to_string(),
                name: row.name,
            })
            .collect(),
    };
    Ok(page.render(status, &template))
}

/// `GET /console/users/{id}/roles`.
pub async fn show(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let user = parse_id(&page, &id)?;
    render(&page, &actor, user, FormState::default()).await
}

/// `expires_at` from a `datetime-local` field, read as UTC; `None` when empty.
fn expiry(raw: &str) -> Result<Option<DateTime<Utc>>, AuthorizationError> {
    if raw.is_empty() {
        return Ok(None);
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
        .map(|time| Some(time.and_utc()))
        .ok_or_else(|| AuthorizationError::Invalid {
            field: "expires_at",
            message: "use the form YYYY-MM-DDTHH:MM (UTC)".to_owned(),
        })
}

/// `POST /console/users/{id}/roles`: gives the role (or changes its expiry).
pub async fn assign(page: Page, Path(id): Path<String>, body: Bytes) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let user = parse_id(&page, &id)?;
    let fields = Fields::parse(&body);
    let result = match (
        fields.ids("role").first(),
        expiry(&fields.one("expires_at")),
    ) {
        (Some(&role), Ok(expires_at)) => {
            let input = Assignment {
                user,
                role,
                expires_at,
            };
            authorization::assign_role(&page.state().authorization, &actor, input).await
        }
        (None, _) => Err(AuthorizationError::Invalid {
            field: "roles",
            message: "choose a role".to_owned(),
        }),
        (_, Err(error)) => Err(error),
    };
    match result {
        Ok(()) => Ok(page.see_other(&format!("/console/users/{user}/roles?notice=role_assigned"))),
        Err(error) => render(&page, &actor, user, form_failure(&page, error)?).await,
    }
}

/// `POST /console/users/{id}/roles/{role}/unassign`.
pub async fn unassign(
    page: Page,
    Path((id, role)): Path<(String, String)>,
) -> Result<Response, Halt> {
    let actor = admin(&page)?;
    let user = parse_id(&page, &id)?;
    let role = parse_id(&page, &role)?;
    let input = Unassignment { user, role };
    match authorization::unassign_role(&page.state().authorization, &actor, input).await {
        Ok(()) => Ok(page.see_other(&format!(
            "/console/users/{user}/roles?notice=role_unassigned"
        ))),
        Err(error) => render(&page, &actor, user, form_failure(&page, error)?).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expiry_is_read_as_utc_or_refused() {
        assert_eq!(expiry("").unwrap(), None);
        let time = expiry("2030-05-01T12:30").unwrap().unwrap();
        assert_eq!(time.to_rfc3339(), "2030-05-01T12:30:00+00:00");
        assert!(expiry("tomorrow").is_err());
    }
}
