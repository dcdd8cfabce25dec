//! `/api/v1/audit-events`: the audit log, newest first, filtered. Personal data (IP, user
//! agent, email typed) is sealed per subject; it is opened only when asked for
//! (`personal=true`), and such a read is itself audited (`audit.personal_data_read`).

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use gatehouse_domain::{
    audit::{AuditEvent, PersonalView, read_personal, record_alone},
    authorization::capability::AUDIT_READ,
    store::{AuditFilter, AuditRow},
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{ApiError, ApiQuery, Page, PageQuery, cursor_position, position_cursor, problem};
use crate::{AppState, bearer::ApiCaller};

/// An audit record.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventBody {
    /// Its id (UUIDv7).
    pub id: Uuid,
    /// Insertion order.
    pub position: i64,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// `user`, `client`, `system` or `anonymous`.
    pub actor_kind: String,
    /// The acting user's or client's id.
    pub actor_id: Option<String>,
    /// What happened (`user.disabled`).
    pub action: String,
    /// What it happened to (`user:<id>`).
    pub target: Option<String>,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// Whose personal data the record holds.
    pub subject_id: Option<Uuid>,
    /// Non-personal details.
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
    /// Whether the chainer has linked it into the tamper-evident chain yet.
    pub chained: bool,
    /// Its personal data, when asked for with `personal=true`.
    pub personal: Option<PersonalBody>,
}

/// What is left of a record's personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonalBody {
    /// `absent`, `readable`, `erased` (the subject's key was destroyed) or `expired`.
    pub state: String,
    /// The client IP.
    pub ip: Option<String>,
    /// The browser.
    pub user_agent: Option<String>,
    /// The email address typed.
    pub email: Option<String>,
}

fn body(row: AuditRow, personal: Option<PersonalBody>) -> AuditEventBody {
    AuditEventBody {
        details: row
            .details
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok()),
        chained: row.chain_seq.is_some(),
        id: row.id,
        position: row.position,
        occurred_at: row.occurred_at,
        actor_kind: row.actor_kind,
        actor_id: row.actor_id,
        action: row.action,
        target: row.target,
        outcome: row.outcome,
        request_id: row.request_id,
        subject_id: row.subject_id,
        personal,
    }
}

fn personal_body(view: PersonalView) -> PersonalBody {
    let (state, data) = match view {
        PersonalView::Absent => ("absent", None),
        PersonalView::Readable(data) => ("readable", Some(data)),
        PersonalView::Erased => ("erased", None),
        PersonalView::Expired => ("expired", None),
    };
    let data = data.unwrap_or_default();
    PersonalBody {
        state: state.to_owned(),
        ip: data.ip,
        user_agent: data.user_agent,
        email: data.email,
    }
}

/// An audit record's outcome.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeName {
    /// It happened.
    Success,
    /// It was attempted and failed.
    Failure,
    /// It was refused for want of a capability.
    Denied,
}

/// Filters and the page wanted.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Exactly this action (`user.disabled`; no control characters).
    #[param(max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub action: Option<String>,
    /// Exactly this actor id (a user id or a `client_id`; no control characters).
    #[param(max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub actor: Option<String>,
    /// About this subject (user).
    pub subject: Option<Uuid>,
    /// `success`, `failure` or `denied`.
    #[param(value_type = Option<OutcomeName>, inline)]
    pub outcome: Option<String>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
    /// Open personal data (audited as `audit.personal_data_read`).
    #[serde(default)]
    pub personal: bool,
    /// The previous page's `next_cursor`.
    #[param(max_length = 64)]
    pub cursor: Option<String>,
    /// Items per page (1 to 200; default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Audit records matching the filters, newest first.
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit", operation_id = "list_audit_events", params(AuditQuery),
    responses((status = 200, description = "One page of records", body = Page<AuditEventBody>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<Page<AuditEventBody>>, ApiError> {
    caller.operator(&state).await?.require(AUDIT_READ)?;
    for (field, value) in [("action", &query.action), ("actor", &query.actor)] {
        let Some(text) = value else { continue };
        if text.chars().count() > 200 {
            return Err(problem::invalid(field, "at most 200 characters").into());
        }
        // No record holds one, and PostgreSQL cannot even compare text with a NUL in it.
        if text.chars().any(char::is_control) {
            return Err(problem::invalid(field, "no control characters").into());
        }
    }
    if let Some(outcome) = &query.outcome
        && !["success", "failure", "denied"].contains(&outcome.as_str())
    {
        return Err(problem::invalid("outcome", "success, failure or denied").into());
    }
    let limit = PageQuery {
        cursor: None,
        limit: query.limit,
    }
    .limit()?;
    let before = cursor_position(query.cursor.as_deref())?;
    let filter = AuditFilter {
        action: query.action,
        actor_id: query.actor,
        subject_id: query.subject,
        outcome: query.outcome,
        since: query.since,
        until: query.until,
    };
    let page = state
        .store
        .audit()
        .list(&filter, before, limit)
        .await
        .map_err(gatehouse_domain::DomainError::from)?;
    let mut items = Vec::with_capacity(page.rows.len());
    let mut opened = 0_usize;
    for row in page.rows {
        let personal = if query.personal {
            let view = read_personal(&*state.store, &state.accounts.keyring, &row).await?;
            if matches!(view, PersonalView::Readable(_)) {
                opened += 1;
            }
            Some(personal_body(view))
        } else {
            None
        };
        items.push(body(row, personal));
    }
    if opened > 0 {
        let mut event = AuditEvent::new(caller.principal.actor(), "audit.personal_data_read");
        event.request_id.clone_from(&caller.context.request_id);
        event.details = Some(json!({
            "records": opened,
            "ids": items
                .iter()
                .filter(|item| item.personal.as_ref().is_some_and(|p| p.state == "readable"))
                .map(|item| item.id)
                .collect::<Vec<_>>(),
        }));
        let now = state.accounts.clock.now();
        record_alone(&*state.store, &state.accounts.keyring, now, event).await?;
    }
    Ok(Json(Page {
        items,
        next_cursor: page.next_before.map(position_cursor),
    }))
}
