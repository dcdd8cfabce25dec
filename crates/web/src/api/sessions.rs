//! `GET sessions`, `DELETE sessions/{id}`, `POST sessions/revoke-others`.

use axum::{
    Json,
    extract::Path,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use gatehouse_domain::{accounts, store::SessionRow};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{problem, signed_in};
use crate::{Problem, caller::Caller, surface::Halt, user_agent};

/// A session as the twin shows it.
#[derive(Debug, Serialize)]
struct SessionBody {
    id: Uuid,
    current: bool,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    ip: Option<String>,
    user_agent: Option<String>,
    browser: Option<&'static str>,
    system: Option<&'static str>,
}

impl SessionBody {
    fn new(row: SessionRow, current: Uuid) -> Self {
        let device = user_agent::parse(row.user_agent.as_deref().unwrap_or_default());
        Self {
            id: row.id,
            current: row.id == current,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            expires_at: row.expires_at,
            ip: row.ip,
            user_agent: row.user_agent,
            browser: device.browser,
            system: device.system,
        }
    }
}

/// The user's live sessions, newest first.
pub async fn list(caller: Caller) -> Result<Response, Halt> {
    let current = signed_in(&caller)?;
    let rows = accounts::list_sessions(&caller.state.accounts, current)
        .await
        .map_err(|error| problem(&caller, error))?;
    let sessions: Vec<SessionBody> = rows
        .into_iter()
        .map(|row| SessionBody::new(row, current.session.id))
        .collect();
    Ok(Json(json!({ "sessions": sessions })).into_response())
}

/// 204, or 404 when the user has no such live session.
pub async fn revoke(caller: Caller, Path(id): Path<String>) -> Result<Response, Halt> {
    let current = signed_in(&caller)?;
    let not_found = || {
        Problem::new(StatusCode::NOT_FOUND)
            .code("not_found")
            .into_response()
    };
    let id = Uuid::parse_str(&id).map_err(|_| not_found())?;
    match accounts::revoke_session(&caller.state.accounts, &caller.context, current, id).await {
        Ok(true) => Ok(StatusCode::NO_CONTENT.into_response()),
        Ok(false) => Err(not_found().into()),
        Err(error) => Err(problem(&caller, error).into()),
    }
}

/// 200 with how many sessions ended.
pub async fn revoke_others(caller: Caller) -> Result<Response, Halt> {
    let current = signed_in(&caller)?;
    match accounts::revoke_other_sessions(&caller.state.accounts, &caller.context, current).await {
        Ok(count) => Ok(Json(json!({ "revoked": count })).into_response()),
        Err(error) => Err(problem(&caller, error).into()),
    }
}
