//! `/account/sessions`: where the user is signed in (device and browser from the user agent,
//! created, last seen, IP), with "sign out this one" per row and "sign out all others".

use askama::Template;
use axum::{extract::Path, http::StatusCode, response::Response};
use gatehouse_domain::{accounts, store::SessionRow};
use uuid::Uuid;

use super::{
    error::Failure,
    page::{Page, PageView},
};
use crate::{i18n::Language, surface::Halt, user_agent};

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsTemplate<'a> {
    page: &'a PageView,
    sessions: Vec<SessionView>,
}

/// One row of the list.
struct SessionView {
    id: String,
    device: String,
    created: String,
    created_iso: String,
    last_seen: String,
    last_seen_iso: String,
    ip: String,
    is_current: bool,
}

/// "Firefox on Windows", or the parts that are known.
pub fn describe_device(lang: Language, agent: Option<&str>) -> String {
    let device = user_agent::parse(agent.unwrap_or_default());
    match (device.browser, device.system) {
        (Some(browser), Some(system)) => lang.format(
            "sessions.browser_on_system",
            &[("browser", browser), ("system", system)],
        ),
        (Some(name), None) | (None, Some(name)) => name.to_owned(),
        (None, None) => lang.t("sessions.unknown_device").to_owned(),
    }
}

fn view(lang: Language, row: &SessionRow, current: Uuid) -> SessionView {
    let shown = |time: chrono::DateTime<chrono::Utc>| time.format("%Y-%m-%d %H:%M UTC").to_string();
    SessionView {
        id: row.id.to_string(),
        device: describe_device(lang, row.user_agent.as_deref()),
        created: shown(row.created_at),
        created_iso: row.created_at.to_rfc3339(),
        last_seen: shown(row.last_seen_at),
        last_seen_iso: row.last_seen_at.to_rfc3339(),
        ip: row
            .ip
            .clone()
            .unwrap_or_else(|| lang.t("sessions.unknown_ip").to_owned()),
        is_current: row.id == current,
    }
}

/// `GET /account/sessions`.
pub async fn list(page: Page) -> Result<Response, Halt> {
    let current = page.require_session()?;
    let rows = accounts::list_sessions(&page.state().accounts, current)
        .await
        .map_err(|error| page.fail(&page.caller.failure(error)))?;
    let sessions = rows
        .iter()
        .map(|row| view(page.lang(), row, current.session.id))
        .collect();
    Ok(page.render(
        StatusCode::OK,
        &SessionsTemplate {
            page: &page.view,
            sessions,
        },
    ))
}

/// `POST /account/sessions/{id}/revoke`.
pub async fn revoke(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let current = page.require_session()?;
    let not_found = || {
        page.fail(&Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "error.session_not_found",
        ))
    };
    let id = Uuid::parse_str(&id).map_err(|_| not_found())?;
    match accounts::revoke_session(&page.state().accounts, &page.caller.context, current, id).await
    {
        Ok(true) => Ok(page.see_other("/account/sessions?notice=session_revoked")),
        Ok(false) => Err(not_found().into()),
        Err(error) => Err(page.fail(&page.caller.failure(error)).into()),
    }
}

/// `POST /account/sessions/revoke-others`.
pub async fn revoke_others(page: Page) -> Result<Response, Halt> {
    let current = page.require_session()?;
    accounts::revoke_other_sessions(&page.state().accounts, &page.caller.context, current)
        .await
        .map_err(|error| page.fail(&page.caller.failure(error)))?;
    Ok(page.see_other("/account/sessions?notice=other_sessions_revoked"))
}
