//! `/api/v1/users`: search, create, read, change, disable, enable and delete users; their
//! sessions, second factors and roles.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use gatehouse_domain::{
    accounts::ProfileChanges,
    authorization::{self, Assignment, Unassignment},
    store::{SessionRow, UserFilter, UserRow},
    users::{self, NewUser, UserChanges},
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    ApiError, ApiPath, ApiQuery, Page, PageQuery, id_cursor,
    idempotency::{self, Create},
    problem,
};
use crate::{AppState, bearer::ApiCaller, input::ApiJson, text::Text};

/// A user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserBody {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The address as typed.
    pub email: String,
    /// Whether the address is verified.
    pub email_verified: bool,
    /// When it was verified.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// How the user is shown.
    pub display_name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// BCP 47 language tag.
    pub locale: Option<String>,
    /// Picture URL (https).
    pub picture_url: Option<String>,
    /// Custom attributes.
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    /// `active`, `disabled`, `locked` or `pending_deletion`.
    pub status: String,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
    /// When the user last signed in.
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

impl From<UserRow> for UserBody {
    fn from(row: UserRow) -> Self {
        Self {
            id: row.id,
            email_verified: row.email_verified_at.is_some(),
            email_verified_at: row.email_verified_at,
            attributes: serde_json::from_str(&row.attributes).unwrap_or_else(|_| json!({})),
            email: row.email,
            display_name: row.display_name,
            given_name: row.given_name,
            family_name: row.family_name,
            locale: row.locale,
            picture_url: row.picture_url,
            status: row.status,
            created_at: row.created_at,
            updated_at: row.updated_at,
            last_sign_in_at: row.last_sign_in_at,
        }
    }
}

/// A user's status.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatusName {
    /// Signs in.
    Active,
    /// Disabled by an administrator.
    Disabled,
    /// Locked.
    Locked,
    /// Deletion requested.
    PendingDeletion,
}

/// Search filters and the page wanted.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// A case-insensitive part of the address or the display name (no control characters).
    #[param(max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub q: Option<String>,
    /// `active`, `disabled`, `locked` or `pending_deletion`.
    #[param(value_type = Option<UserStatusName>, inline)]
    pub status: Option<String>,
    /// Whether the address is verified.
    pub email_verified: Option<bool>,
    /// Holds this role directly.
    pub role: Option<Uuid>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
    /// The previous page's `next_cursor`.
    #[param(max_length = 64)]
    pub cursor: Option<String>,
    /// Items per page (1 to 200; default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

const STATUSES: [&str; 4] = ["active", "disabled", "locked", "pending_deletion"];

/// Lists users matching the filters, by id.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", operation_id = "list_users", params(UserQuery),
    responses((status = 200, description = "One page of users", body = Page<UserBody>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(query): ApiQuery<UserQuery>,
) -> Result<Json<Page<UserBody>>, ApiError> {
    if query.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(problem::invalid("q", "at most 200 characters").into());
    }
    // No address or name holds one, and PostgreSQL cannot even compare text with a NUL in it.
    if query
        .q
        .as_ref()
        .is_some_and(|q| q.chars().any(char::is_control))
    {
        return Err(problem::invalid("q", "no control characters").into());
    }
    if let Some(status) = &query.status
        && !STATUSES.contains(&status.as_str())
    {
        return Err(problem::invalid("status", STATUSES.join(", ")).into());
    }
    let page = PageQuery {
        cursor: query.cursor,
        limit: query.limit,
    };
    let filter = UserFilter {
        query: query.q.filter(|q| !q.trim().is_empty()),
        status: query.status,
        email_verified: query.email_verified,
        role_id: query.role,
        created_from: query.created_from,
        created_before: query.created_before,
    };
    let operator = caller.operator(&state).await?;
    let found = users::search_users(
        &state.accounts,
        &operator,
        &filter,
        page.after_id()?,
        page.limit()?,
    )
    .await?;
    Ok(Json(Page {
        items: found.users.into_iter().map(UserBody::from).collect(),
        next_cursor: found.next_after.map(id_cursor),
    }))
}

/// A user to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// The address.
    #[schema(value_type = String, max_length = 320, example = "ada@example.com")]
    pub email: Text<320>,
    /// A first password (the policy applies); without one, the user sets it through "forgot
    /// password".
    #[schema(value_type = Option<String>, max_length = 4096, example = "Analytical-Engine-1843")]
    pub password: Option<Text<4096>>,
    /// Whether the address counts as verified (default false).
    #[serde(default)]
    pub email_verified: bool,
    /// How the user is shown.
    #[schema(value_type = Option<String>, max_length = 200, example = "Ada Lovelace")]
    pub display_name: Option<Text<200>>,
    /// Given name.
    #[schema(value_type = Option<String>, max_length = 200)]
    pub given_name: Option<Text<200>>,
    /// Family name.
    #[schema(value_type = Option<String>, max_length = 200)]
    pub family_name: Option<Text<200>>,
    /// BCP 47 language tag.
    #[schema(value_type = Option<String>, max_length = 35)]
    pub locale: Option<Text<35>>,
    /// Picture URL (https).
    #[schema(value_type = Option<String>, max_length = 2048)]
    pub picture_url: Option<Text<2048>>,
    /// Custom attributes (a JSON object, size-limited).
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Value>,
}

/// The profile fields of a body (an empty string clears one).
macro_rules! profile_of {
    ($body:expr) => {
        ProfileChanges {
            display_name: $body.display_name.map(Text::into_string),
            given_name: $body.given_name.map(Text::into_string),
            family_name: $body.family_name.map(Text::into_string),
            locale: $body.locale.map(Text::into_string),
            picture_url: $body.picture_url.map(Text::into_string),
            attributes: $body.attributes,
        }
    };
}

/// Registers a user. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", operation_id = "create_user", request_body = NewUserBody,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$",
        description = "Makes retries of this create safe (1 to 255 visible ASCII characters)")),
    responses(
        (status = 201, description = "Registered", body = UserBody),
        (status = 409, description = "The address belongs to another account", body = super::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    request: Create<NewUserBody>,
) -> Result<Response, ApiError> {
    let operator = caller.operator(&state).await?;
    idempotency::once(&state, &caller, request, move |state, body| async move {
        let input = NewUser {
            email: body.email.into_string(),
            password: body.password.map(Text::into_string),
            email_verified: body.email_verified,
            profile: profile_of!(body),
        };
        let row = users::create_user(&state.accounts, &operator, input).await?;
        Ok((StatusCode::CREATED, json!(UserBody::from(row))))
    })
    .await
}

/// One user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", operation_id = "show_user",
    params(("id" = Uuid, Path, description = "The user")),
    responses((status = 200, description = "The user", body = UserBody),
        (status = 404, description = "No such user", body = super::ProblemDoc, content_type = "application/problem+json")))]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<UserBody>, ApiError> {
    let operator = caller.operator(&state).await?;
    let row = users::get_user(&state.accounts, &operator, id).await?;
    Ok(Json(row.into()))
}

/// Changes to a user; absent members stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchBody {
    /// A new address (unverified unless `email_verified` is true).
    #[schema(value_type = Option<String>, max_length = 320, example = "ada.king@example.com")]
    pub email: Option<Text<320>>,
    /// Mark the address verified or not.
    pub email_verified: Option<bool>,
    /// How the user is shown.
    #[schema(value_type = Option<String>, max_length = 200)]
    pub display_name: Option<Text<200>>,
    /// Given name.
    #[schema(value_type = Option<String>, max_length = 200)]
    pub given_name: Option<Text<200>>,
    /// Family name.
    #[schema(value_type = Option<String>, max_length = 200)]
    pub family_name: Option<Text<200>>,
    /// BCP 47 language tag.
    #[schema(value_type = Option<String>, max_length = 35)]
    pub locale: Option<Text<35>>,
    /// Picture URL (https).
    #[schema(value_type = Option<String>, max_length = 2048)]
    pub picture_url: Option<Text<2048>>,
    /// Custom attributes (a JSON object, size-limited).
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Value>,
}

/// Changes a user's address or profile.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", operation_id = "update_user", request_body = UserPatchBody,
    params(("id" = Uuid, Path, description = "The user")),
    responses((status = 200, description = "The user as changed", body = UserBody),
        (status = 409, description = "The address belongs to another account", body = super::ProblemDoc, content_type = "application/problem+json")))]
pub async fn update(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UserPatchBody>,
) -> Result<Json<UserBody>, ApiError> {
    let operator = caller.operator(&state).await?;
    let changes = UserChanges {
        email: body.email.map(Text::into_string),
        email_verified: body.email_verified,
        profile: profile_of!(body),
    };
    let row = users::update_user(&state.accounts, &operator, id, changes).await?;
    Ok(Json(row.into()))
}

/// Disables a user: sign-in refused, sessions ended, OAuth grants revoked. Refused (409) for
/// the last active administrator.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "users",
    params(("id" = Uuid, Path, description = "The user")),
    responses((status = 200, description = "The user, disabled", body = UserBody),
        (status = 409, description = "The last administrator", body = super::ProblemDoc, content_type = "application/problem+json")))]
pub async fn disable(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<UserBody>, ApiError> {
    let operator = caller.operator(&state).await?;
    let row = users::disable_user(&state.accounts, &state.oauth, &operator, id).await?;
    Ok(Json(row.into()))
}

/// Enables a disabled user.
#[utoipa::path(post, path = "/api/v1/users/{id}/enable", tag = "users",
    params(("id" = Uuid, Path, description = "The user")),
    responses((status = 200, description = "The user, active", body = UserBody)))]
pub async fn enable(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<UserBody>, ApiError> {
    let operator = caller.operator(&state).await?;
    let row = users::enable_user(&state.accounts, &state.oauth, &operator, id).await?;
    Ok(Json(row.into()))
}

/// Deletes a user with their sessions, factors, assignments, grants and consents; their
/// personal data in the audit log becomes unreadable. Refused (409) for the last active
/// administrator.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", operation_id = "delete_user",
    params(("id" = Uuid, Path, description = "The user")),
    responses((status = 204, description = "Deleted"),
        (status = 409, description = "The last administrator", body = super::ProblemDoc, content_type = "application/problem+json")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let operator = caller.operator(&state).await?;
    users::delete_user(&state.accounts, &state.oauth, &operator, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A browser session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionBody {
    /// Its public id.
    pub id: Uuid,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// When last used (to the minute).
    pub last_seen_at: DateTime<Utc>,
    /// Its absolute end.
    pub expires_at: DateTime<Utc>,
    /// When the user last authenticated on it.
    pub authenticated_at: DateTime<Utc>,
    /// How (RFC 8176 `amr`).
    pub amr: Vec<String>,
    /// The client IP at sign-in.
    pub ip: Option<String>,
    /// The browser at sign-in.
    pub user_agent: Option<String>,
}

impl From<SessionRow> for SessionBody {
    fn from(row: SessionRow) -> Self {
        Self {
            id: row.id,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            expires_at: row.expires_at,
            authenticated_at: row.authenticated_at,
            amr: serde_json::from_str(&row.amr).unwrap_or_default(),
            ip: row.ip,
            user_agent: row.user_agent,
        }
    }
}

/// The user's live sessions, newest first.
#[utoipa::path(get, path = "/api/v1/users/{id}/sessions", tag = "sessions",
    params(("id" = Uuid, Path, description = "The user")),
    responses((status = 200, description = "Live sessions", body = Page<SessionBody>)))]
pub async fn sessions(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Page<SessionBody>>, ApiError> {
    let operator = caller.operator(&state).await?;
    let rows = users::user_sessions(&state.accounts, &operator, id).await?;
    Ok(Json(Page {
        items: rows.into_iter().map(SessionBody::from).collect(),
        next_cursor: None,
    }))
}

/// How many sessions ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedBody {
    /// Sessions ended.
    pub revoked: u64,
}

/// Ends every session of the user and revokes their OAuth grants.
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions", tag = "sessions",
    params(("id" = Uuid, Path, description = "The user")),
    responses((status = 200, description = "Sessions ended", body = RevokedBody)))]
pub async fn revoke_sessions(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<RevokedBody>, ApiError> {
    let operator = caller.operator(&state).await?;
    let revoked = users::revoke_user_sessions(&state.accounts, &state.oauth, &operator, id).await?;
    Ok(Json(RevokedBody { revoked }))
}

/// Ends one session of the user and the OAuth grants that came from it.
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions/{session}", tag = "sessions",
    params(("id" = Uuid, Path, description = "The user"), ("session" = Uuid, Path, description = "The session")),
    responses((status = 204, description = "Ended"),
        (status = 404, description = "No such live session", body = super::ProblemDoc, content_type = "application/problem+json")))]
pub async fn revoke_session(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath((id, session)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let operator = caller.operator(&state).await?;
    users::revoke_user_session(&state.accounts, &state.oauth, &operator, id, session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A TOTP device.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpBody {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// When enrolled.
    pub created_at: DateTime<Utc>,
    /// When last used.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A WebAuthn credential.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebauthnBody {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// `security_key` or `passkey`.
    pub kind: String,
    /// Whether it is synced (backed up).
    pub backed_up: bool,
    /// When registered.
    pub created_at: DateTime<Utc>,
    /// When last used.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A user's second factors: names and counts, never secrets.
#[derive(Debug, Serialize, ToSchema)]
pub struct FactorsBody {
    /// TOTP devices.
    pub totp: Vec<TotpBody>,
    /// Security keys and passkeys.
    pub webauthn: Vec<WebauthnBody>,
    /// Unused recovery codes.
    pub recovery_codes_remaining: i64,
}

/// The user's second factors.
#[utoipa::path(get, path = "/api/v1/users/{id}/mfa", tag = "mfa",
    params(("id" = Uuid, Path, description = "The user")),
    responses((status = 200, description = "The factors", body = FactorsBody)))]
pub async fn factors(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<FactorsBody>, ApiError> {
    let operator = caller.operator(&state).await?;
    let factors = users::user_factors(&state.accounts, &operator, id).await?;
    Ok(Json(FactorsBody {
        totp: factors
            .totp
            .into_iter()
            .map(|device| TotpBody {
                id: device.id,
                name: device.name,
                created_at: device.created_at,
                last_used_at: device.last_used_at,
            })
            .collect(),
        webauthn: factors
            .webauthn
            .into_iter()
            .map(|credential| WebauthnBody {
                id: credential.id,
                name: credential.name,
                kind: credential.kind,
                backed_up: credential.backed_up,
                created_at: credential.created_at,
                last_used_at: credential.last_used_at,
            })
            .collect(),
        recovery_codes_remaining: factors.recovery_codes_remaining,
    }))
}

/// How many factors went.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetBody {
    /// Devices, credentials and recovery codes removed.
    pub removed: u64,
}

/// Removes every second factor of the user (who is mailed).
#[utoipa::path(post, path = "/api/v1/users/{id}/mfa/reset", tag = "mfa",
    params(("id" = Uuid, Path, description = "The user")),
    responses((status = 200, description = "Reset", body = ResetBody)))]
pub async fn reset_factors(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ResetBody>, ApiError> {
    let operator = caller.operator(&state).await?;
    let removed = users::reset_user_factors(&state.accounts, &operator, id).await?;
    Ok(Json(ResetBody { removed }))
}

/// A role a user holds directly.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldRoleBody {
    /// The role's id.
    pub role: Uuid,
    /// Its name.
    pub name: String,
    /// When the assignment ends, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// False once it ended.
    pub active: bool,
}

/// A capability a user holds, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct EffectiveCapabilityBody {
    /// Its name.
    pub name: String,
    /// Its API's audience.
    pub audience: Option<String>,
    /// The user's roles that grant it.
    pub granted_by: Vec<String>,
}

/// A user's roles and what they add up to.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserRolesBody {
    /// The user.
    pub user: Uuid,
    /// Roles held directly.
    pub roles: Vec<HeldRoleBody>,
    /// Groups the user belongs to (ids).
    pub groups: Vec<Uuid>,
    /// Effective capabilities.
    pub capabilities: Vec<EffectiveCapabilityBody>,
}

/// The user's roles, groups and effective capabilities.
#[utoipa::path(get, path = "/api/v1/users/{id}/roles", tag = "assignments",
    params(("id" = Uuid, Path, description = "The user")),
    responses((status = 200, description = "Roles and capabilities", body = UserRolesBody)))]
pub async fn roles(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<UserRolesBody>, ApiError> {
    let actor = caller.administrator(&state).await?;
    let held = authorization::user_roles(&state.authorization, &actor, id).await?;
    Ok(Json(UserRolesBody {
        user: held.user,
        roles: held
            .direct
            .into_iter()
            .map(|role| HeldRoleBody {
                role: role.role.id,
                name: role.role.name,
                expires_at: role.expires_at,
                active: role.active,
            })
            .collect(),
        groups: held.groups.into_iter().map(|group| group.id).collect(),
        capabilities: held
            .capabilities
            .into_iter()
            .map(|capability| EffectiveCapabilityBody {
                name: capability.name,
                audience: capability.audience,
                granted_by: capability.granted_by,
            })
            .collect(),
    }))
}

/// A role to give.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentBody {
    /// The role.
    pub role: Uuid,
    /// Until when (optional).
    #[schema(example = "2099-12-31T23:59:59Z")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// Gives the user a role (or changes its expiry). The caller must hold every capability the
/// role grants.
#[utoipa::path(post, path = "/api/v1/users/{id}/roles", tag = "assignments", request_body = AssignmentBody,
    params(("id" = Uuid, Path, description = "The user")),
    responses((status = 204, description = "Assigned")))]
pub async fn assign(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<AssignmentBody>,
) -> Result<Response, ApiError> {
    let actor = caller.administrator(&state).await?;
    let input = Assignment {
        user: id,
        role: body.role,
        expires_at: body.expires_at,
    };
    authorization::assign_role(&state.authorization, &actor, input).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Takes a directly held role away. Refused (409) for the last administrator's
/// `gatehouse:admin`.
#[utoipa::path(delete, path = "/api/v1/users/{id}/roles/{role}", tag = "assignments",
    params(("id" = Uuid, Path, description = "The user"), ("role" = Uuid, Path, description = "The role")),
    responses((status = 204, description = "Unassigned")))]
pub async fn unassign(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath((id, role)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let actor = caller.administrator(&state).await?;
    let input = Unassignment { user: id, role };
    authorization::unassign_role(&state.authorization, &actor, input).await?;
    Ok(StatusCode::NO_CONTENT)
}
