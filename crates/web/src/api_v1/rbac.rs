//! The authorization model: `/api/v1/apis`, `/capabilities`, `/roles`, `/groups` and group
//! members. Roles and groups are versioned: a change names the version it was made against
//! and is refused (409) when someone else changed the object meanwhile. System objects are
//! shown but cannot be changed (403 `system_object`).

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use gatehouse_domain::{
    authorization::{
        self, ApiUpdate, CapabilityUpdate, GroupRoles, GroupUpdate, Membership, NewApi,
        NewCapability, NewGroup, NewRole, RoleCapabilities, RoleIncludes, RoleUpdate,
    },
    store::{ApiRow, CapabilityRow, GroupRow, RbacModel, RoleRow},
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    ApiError, ApiPath, ApiQuery, Page, PageQuery,
    idempotency::{self, Create},
    page_by_id, problem,
};
use crate::{
    AppState,
    bearer::{ApiAdministrator, ApiCaller},
    input::ApiJson,
    text::Text,
};

/// Names: at most 200 characters.
type Name = Text<200>;
/// Descriptions: at most 2,000 characters.
type Description = Text<2000>;

async fn model(state: &AppState, actor: &ApiAdministrator) -> Result<RbacModel, ApiError> {
    Ok(authorization::list_model(&state.authorization, actor).await?)
}

fn links(pairs: &[(Uuid, Uuid)], owner: Uuid) -> Vec<Uuid> {
    pairs
        .iter()
        .filter(|(from, _)| *from == owner)
        .map(|(_, to)| *to)
        .collect()
}

fn text(value: Option<Description>) -> String {
    value.map(Text::into_string).unwrap_or_default()
}

// ---- APIs -------------------------------------------------------------------------------

/// An API (resource server): the audience its capabilities belong to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiBody {
    /// Its id.
    pub id: Uuid,
    /// The audience identifier tokens name.
    pub audience: String,
    /// Its name.
    pub name: String,
    /// What it is.
    pub description: String,
    /// Seeded by Gatehouse (read-only).
    pub system: bool,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<ApiRow> for ApiBody {
    fn from(row: ApiRow) -> Self {
        Self {
            id: row.id,
            audience: row.audience,
            name: row.name,
            description: row.description,
            system: row.system,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Every API, by id.
#[utoipa::path(get, path = "/api/v1/apis", tag = "apis", params(PageQuery),
    responses((status = 200, description = "One page of APIs", body = Page<ApiBody>)))]
pub async fn list_apis(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Page<ApiBody>>, ApiError> {
    let actor = caller.administrator(&state).await?;
    let rows = model(&state, &actor).await?.apis;
    let page = page_by_id(rows, |row| row.id, &query)?;
    Ok(Json(Page {
        items: page.items.into_iter().map(ApiBody::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// An API to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiBody {
    /// The audience identifier (a URL or a short name).
    #[schema(value_type = String, max_length = 200, example = "https://api.example.com/orders")]
    pub audience: Name,
    /// Its name.
    #[schema(value_type = String, max_length = 200, example = "Orders")]
    pub name: Name,
    /// What it is.
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Description>,
}

/// Registers an API. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/apis", tag = "apis", request_body = NewApiBody,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$",
        description = "Makes retries of this create safe (1 to 255 visible ASCII characters)")),
    responses((status = 201, description = "Registered", body = ApiBody)))]
pub async fn create_api(
    State(state): State<AppState>,
    caller: ApiCaller,
    request: Create<NewApiBody>,
) -> Result<Response, ApiError> {
    let actor = caller.administrator(&state).await?;
    idempotency::once(&state, &caller, request, move |state, body| async move {
        let input = NewApi {
            audience: body.audience.into_string(),
            name: body.name.into_string(),
            description: text(body.description),
        };
        let row = authorization::create_api(&state.authorization, &actor, input).await?;
        Ok((StatusCode::CREATED, json!(ApiBody::from(row))))
    })
    .await
}

/// One API.
#[utoipa::path(get, path = "/api/v1/apis/{id}", tag = "apis",
    params(("id" = Uuid, Path, description = "The API")),
    responses((status = 200, description = "The API", body = ApiBody)))]
pub async fn show_api(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ApiBody>, ApiError> {
    let actor = caller.administrator(&state).await?;
    let row = model(&state, &actor)
        .await?
        .apis
        .into_iter()
        .find(|row| row.id == id)
        .ok_or_else(|| problem::not_found("api"))?;
    Ok(Json(row.into()))
}

/// A new name or description (absent members stay).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameBody {
    /// The new name.
    #[schema(value_type = Option<String>, max_length = 200)]
    pub name: Option<Name>,
    /// The new description.
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Description>,
}

/// Renames an API or changes its description.
#[utoipa::path(patch, path = "/api/v1/apis/{id}", tag = "apis", request_body = RenameBody,
    params(("id" = Uuid, Path, description = "The API")),
    responses((status = 200, description = "The API as changed", body = ApiBody)))]
pub async fn update_api(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RenameBody>,
) -> Result<Json<ApiBody>, ApiError> {
    let actor = caller.administrator(&state).await?;
    let current = model(&state, &actor)
        .await?
        .apis
        .into_iter()
        .find(|row| row.id == id)
        .ok_or_else(|| problem::not_found("api"))?;
    let input = ApiUpdate {
        api: id,
        name: body.name.map_or(current.name, Text::into_string),
        description: body
            .description
            .map_or(current.description, Text::into_string),
    };
    let row = authorization::update_api(&state.authorization, &actor, input).await?;
    Ok(Json(row.into()))
}

/// Deletes an API with its capabilities.
#[utoipa::path(delete, path = "/api/v1/apis/{id}", tag = "apis",
    params(("id" = Uuid, Path, description = "The API")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_api(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let actor = caller.administrator(&state).await?;
    authorization::delete_api(&state.authorization, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- Capabilities -----------------------------------------------------------------------

/// A capability: a named permission of an API.
#[derive(Debug, Serialize, ToSchema)]
pub struct CapabilityBody {
    /// Its id.
    pub id: Uuid,
    /// The API it belongs to.
    pub api_id: Uuid,
    /// Its name (`orders:refund`).
    pub name: String,
    /// What it allows.
    pub description: String,
    /// Seeded by Gatehouse (read-only).
    pub system: bool,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<CapabilityRow> for CapabilityBody {
    fn from(row: CapabilityRow) -> Self {
        Self {
            id: row.id,
            api_id: row.api_id,
            name: row.name,
            description: row.description,
            system: row.system,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A capability filter and the page wanted.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CapabilityQuery {
    /// Only this API's.
    pub api: Option<Uuid>,
    /// The previous page's `next_cursor`.
    #[param(max_length = 64)]
    pub cursor: Option<String>,
    /// Items per page (1 to 200; default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Every capability (of one API, if asked), by id.
#[utoipa::path(get, path = "/api/v1/capabilities", tag = "capabilities", params(CapabilityQuery),
    responses((status = 200, description = "One page of capabilities", body = Page<CapabilityBody>)))]
pub async fn list_capabilities(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(query): ApiQuery<CapabilityQuery>,
) -> Result<Json<Page<CapabilityBody>>, ApiError> {
    let actor = caller.administrator(&state).await?;
    let mut rows = model(&state, &actor).await?.capabilities;
    if let Some(api) = query.api {
        rows.retain(|row| row.api_id == api);
    }
    let page = PageQuery {
        cursor: query.cursor,
        limit: query.limit,
    };
    let page = page_by_id(rows, |row| row.id, &page)?;
    Ok(Json(Page {
        items: page.items.into_iter().map(CapabilityBody::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A capability to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCapabilityBody {
    /// The API it belongs to.
    pub api: Uuid,
    /// Its name (`orders:refund`).
    #[schema(value_type = String, max_length = 200, example = "orders:refund")]
    pub name: Name,
    /// What it allows.
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Description>,
}

/// Creates a capability. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/capabilities", tag = "capabilities", request_body = NewCapabilityBody,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$",
        description = "Makes retries of this create safe (1 to 255 visible ASCII characters)")),
    responses((status = 201, description = "Created", body = CapabilityBody)))]
pub async fn create_capability(
    State(state): State<AppState>,
    caller: ApiCaller,
    request: Create<NewCapabilityBody>,
) -> Result<Response, ApiError> {
    let actor = caller.administrator(&state).await?;
    idempotency::once(&state, &caller, request, move |state, body| async move {
        let input = NewCapability {
            api: body.api,
            name: body.name.into_string(),
            description: text(body.description),
        };
        let row = authorization::create_capability(&state.authorization, &actor, input).await?;
        Ok((StatusCode::CREATED, json!(CapabilityBody::from(row))))
    })
    .await
}

async fn capability(
    state: &AppState,
    actor: &ApiAdministrator,
    id: Uuid,
) -> Result<CapabilityRow, ApiError> {
    Ok(model(state, actor)
        .await?
        .capabilities
        .into_iter()
        .find(|row| row.id == id)
        .ok_or_else(|| problem::not_found("capability"))?)
}

/// One capability.
#[utoipa::path(get, path = "/api/v1/capabilities/{id}", tag = "capabilities",
    params(("id" = Uuid, Path, description = "The capability")),
    responses((status = 200, description = "The capability", body = CapabilityBody)))]
pub async fn show_capability(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<CapabilityBody>, ApiError> {
    let actor = caller.administrator(&state).await?;
    Ok(Json(capability(&state, &actor, id).await?.into()))
}

/// Renames a capability or changes its description.
#[utoipa::path(patch, path = "/api/v1/capabilities/{id}", tag = "capabilities", request_body = RenameBody,
    params(("id" = Uuid, Path, description = "The capability")),
    responses((status = 200, description = "The capability as changed", body = CapabilityBody)))]
pub async fn update_capability(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RenameBody>,
) -> Result<Json<CapabilityBody>, ApiError> {
    let actor = caller.administrator(&state).await?;
    let current = capability(&state, &actor, id).await?;
    let input = CapabilityUpdate {
        capability: id,
        name: body.name.map_or(current.name, Text::into_string),
        description: body
            .description
            .map_or(current.description, Text::into_string),
    };
    let row = authorization::update_capability(&state.authorization, &actor, input).await?;
    Ok(Json(row.into()))
}

/// Deletes a capability (roles lose it).
#[utoipa::path(delete, path = "/api/v1/capabilities/{id}", tag = "capabilities",
    params(("id" = Uuid, Path, description = "The capability")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_capability(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let actor = caller.administrator(&state).await?;
    authorization::delete_capability(&state.authorization, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- Roles ------------------------------------------------------------------------------

/// A role: capabilities, and roles it includes.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleBody {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Seeded by Gatehouse (read-only).
    pub system: bool,
    /// Its version: send it back with a change.
    pub version: i64,
    /// Its own capabilities (ids).
    pub capabilities: Vec<Uuid>,
    /// Roles it includes (ids).
    pub includes: Vec<Uuid>,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

fn role_body(model: &RbacModel, row: RoleRow) -> RoleBody {
    RoleBody {
        capabilities: links(&model.role_capabilities, row.id),
        includes: links(&model.role_includes, row.id),
        id: row.id,
        name: row.name,
        description: row.description,
        system: row.system,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Every role, by id.
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles", params(PageQuery),
    responses((status = 200, description = "One page of roles", body = Page<RoleBody>)))]
pub async fn list_roles(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Page<RoleBody>>, ApiError> {
    let actor = caller.administrator(&state).await?;
    let model = model(&state, &actor).await?;
    let page = page_by_id(model.roles.clone(), |row| row.id, &query)?;
    Ok(Json(Page {
        items: page
            .items
            .into_iter()
            .map(|row| role_body(&model, row))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A role to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRoleBody {
    /// Its name (`gatehouse:` names are reserved).
    #[schema(value_type = String, max_length = 200, example = "Support")]
    pub name: Name,
    /// What it is for.
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Description>,
    /// Its capabilities (the caller must hold each).
    #[serde(default)]
    pub capabilities: Vec<Uuid>,
    /// Roles it includes.
    #[serde(default)]
    pub includes: Vec<Uuid>,
}

/// Creates a role. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/roles", tag = "roles", request_body = NewRoleBody,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$",
        description = "Makes retries of this create safe (1 to 255 visible ASCII characters)")),
    responses((status = 201, description = "Created", body = RoleBody)))]
pub async fn create_role(
    State(state): State<AppState>,
    caller: ApiCaller,
    request: Create<NewRoleBody>,
) -> Result<Response, ApiError> {
    let actor = caller.administrator(&state).await?;
    idempotency::once(&state, &caller, request, move |state, body| async move {
        let input = NewRole {
            name: body.name.into_string(),
            description: text(body.description),
            capabilities: body.capabilities,
            includes: body.includes,
        };
        let row = authorization::create_role(&state.authorization, &actor, input).await?;
        let model = model(&state, &actor).await?;
        Ok((StatusCode::CREATED, json!(role_body(&model, row))))
    })
    .await
}

async fn role(state: &AppState, actor: &ApiAdministrator, id: Uuid) -> Result<RoleBody, ApiError> {
    let model = model(state, actor).await?;
    let row = model
        .roles
        .iter()
        .find(|row| row.id == id)
        .cloned()
        .ok_or_else(|| problem::not_found("role"))?;
    Ok(role_body(&model, row))
}

/// One role.
#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "roles",
    params(("id" = Uuid, Path, description = "The role")),
    responses((status = 200, description = "The role", body = RoleBody)))]
pub async fn show_role(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<RoleBody>, ApiError> {
    let actor = caller.administrator(&state).await?;
    Ok(Json(role(&state, &actor, id).await?))
}

/// A versioned rename.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionedRenameBody {
    /// The version the change was made against.
    pub version: i64,
    /// The new name.
    #[schema(value_type = Option<String>, max_length = 200)]
    pub name: Option<Name>,
    /// The new description.
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Description>,
}

/// Renames a role or changes its description (409 when changed meanwhile).
#[utoipa::path(patch, path = "/api/v1/roles/{id}", tag = "roles", request_body = VersionedRenameBody,
    params(("id" = Uuid, Path, description = "The role")),
    responses((status = 200, description = "The role as changed", body = RoleBody)))]
pub async fn update_role(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<VersionedRenameBody>,
) -> Result<Json<RoleBody>, ApiError> {
    let actor = caller.administrator(&state).await?;
    let current = role(&state, &actor, id).await?;
    let input = RoleUpdate {
        role: id,
        expected_version: body.version,
        name: body.name.map_or(current.name, Text::into_string),
        description: body
            .description
            .map_or(current.description, Text::into_string),
    };
    authorization::update_role(&state.authorization, &actor, input).await?;
    Ok(Json(role(&state, &actor, id).await?))
}

/// A role's new capabilities.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleCapabilitiesBody {
    /// The version the change was made against.
    pub version: i64,
    /// Every capability the role holds itself.
    pub capabilities: Vec<Uuid>,
}

/// Replaces a role's capabilities (the caller must hold each one added).
#[utoipa::path(put, path = "/api/v1/roles/{id}/capabilities", tag = "roles", request_body = RoleCapabilitiesBody,
    params(("id" = Uuid, Path, description = "The role")),
    responses((status = 200, description = "The role as changed", body = RoleBody)))]
pub async fn set_role_capabilities(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RoleCapabilitiesBody>,
) -> Result<Json<RoleBody>, ApiError> {
    let actor = caller.administrator(&state).await?;
    let input = RoleCapabilities {
        role: id,
        expected_version: body.version,
        capabilities: body.capabilities,
    };
    authorization::set_role_capabilities(&state.authorization, &actor, input).await?;
    Ok(Json(role(&state, &actor, id).await?))
}

/// A role's new included roles.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleIncludesBody {
    /// The version the change was made against.
    pub version: i64,
    /// Every role it includes.
    pub includes: Vec<Uuid>,
}

/// Replaces the roles a role includes (cycles refused).
#[utoipa::path(put, path = "/api/v1/roles/{id}/includes", tag = "roles", request_body = RoleIncludesBody,
    params(("id" = Uuid, Path, description = "The role")),
    responses((status = 200, description = "The role as changed", body = RoleBody)))]
pub async fn set_role_includes(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RoleIncludesBody>,
) -> Result<Json<RoleBody>, ApiError> {
    let actor = caller.administrator(&state).await?;
    let input = RoleIncludes {
        role: id,
        expected_version: body.version,
        includes: body.includes,
    };
    authorization::set_role_includes(&state.authorization, &actor, input).await?;
    Ok(Json(role(&state, &actor, id).await?))
}

/// Deletes a role, even one in use (its holders lose it).
#[utoipa::path(delete, path = "/api/v1/roles/{id}", tag = "roles",
    params(("id" = Uuid, Path, description = "The role")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_role(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let actor = caller.administrator(&state).await?;
    authorization::delete_role(&state.authorization, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- Groups -----------------------------------------------------------------------------

/// A group: its members hold its roles.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupBody {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Its version: send it back with a change.
    pub version: i64,
    /// Its roles (ids).
    pub roles: Vec<Uuid>,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

fn group_body(model: &RbacModel, row: GroupRow) -> GroupBody {
    GroupBody {
        roles: links(&model.group_roles, row.id),
        id: row.id,
        name: row.name,
        description: row.description,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Every group, by id.
#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", params(PageQuery),
    responses((status = 200, description = "One page of groups", body = Page<GroupBody>)))]
pub async fn list_groups(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Page<GroupBody>>, ApiError> {
    let actor = caller.administrator(&state).await?;
    let model = model(&state, &actor).await?;
    let page = page_by_id(model.groups.clone(), |row| row.id, &query)?;
    Ok(Json(Page {
        items: page
            .items
            .into_iter()
            .map(|row| group_body(&model, row))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A group to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroupBody {
    /// Its name.
    #[schema(value_type = String, max_length = 200, example = "Support team")]
    pub name: Name,
    /// What it is for.
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Description>,
    /// Its roles (the caller must hold their capabilities).
    #[serde(default)]
    pub roles: Vec<Uuid>,
}

/// Creates a group. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = NewGroupBody,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$",
        description = "Makes retries of this create safe (1 to 255 visible ASCII characters)")),
    responses((status = 201, description = "Created", body = GroupBody)))]
pub async fn create_group(
    State(state): State<AppState>,
    caller: ApiCaller,
    request: Create<NewGroupBody>,
) -> Result<Response, ApiError> {
    let actor = caller.administrator(&state).await?;
    idempotency::once(&state, &caller, request, move |state, body| async move {
        let input = NewGroup {
            name: body.name.into_string(),
            description: text(body.description),
            roles: body.roles,
        };
        let row = authorization::create_group(&state.authorization, &actor, input).await?;
        let model = model(&state, &actor).await?;
        Ok((StatusCode::CREATED, json!(group_body(&model, row))))
    })
    .await
}

async fn group(
    state: &AppState,
    actor: &ApiAdministrator,
    id: Uuid,
) -> Result<GroupBody, ApiError> {
    let model = model(state, actor).await?;
    let row = model
        .groups
        .iter()
        .find(|row| row.id == id)
        .cloned()
        .ok_or_else(|| problem::not_found("group"))?;
    Ok(group_body(&model, row))
}

/// One group.
#[utoipa::path(get, path = "/api/v1/groups/{id}", tag = "groups",
    params(("id" = Uuid, Path, description = "The group")),
    responses((status = 200, description = "The group", body = GroupBody)))]
pub async fn show_group(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<GroupBody>, ApiError> {
    let actor = caller.administrator(&state).await?;
    Ok(Json(group(&state, &actor, id).await?))
}

/// Renames a group or changes its description (409 when changed meanwhile).
#[utoipa::path(patch, path = "/api/v1/groups/{id}", tag = "groups", request_body = VersionedRenameBody,
    params(("id" = Uuid, Path, description = "The group")),
    responses((status = 200, description = "The group as changed", body = GroupBody)))]
pub async fn update_group(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<VersionedRenameBody>,
) -> Result<Json<GroupBody>, ApiError> {
    let actor = caller.administrator(&state).await?;
    let current = group(&state, &actor, id).await?;
    let input = GroupUpdate {
        group: id,
        expected_version: body.version,
        name: body.name.map_or(current.name, Text::into_string),
        description: body
            .description
            .map_or(current.description, Text::into_string),
    };
    authorization::update_group(&state.authorization, &actor, input).await?;
    Ok(Json(group(&state, &actor, id).await?))
}

/// A group's new roles.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRolesBody {
    /// The version the change was made against.
    pub version: i64,
    /// Every role the group gives.
    pub roles: Vec<Uuid>,
}

/// Replaces a group's roles.
#[utoipa::path(put, path = "/api/v1/groups/{id}/roles", tag = "groups", request_body = GroupRolesBody,
    params(("id" = Uuid, Path, description = "The group")),
    responses((status = 200, description = "The group as changed", body = GroupBody)))]
pub async fn set_group_roles(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<GroupRolesBody>,
) -> Result<Json<GroupBody>, ApiError> {
    let actor = caller.administrator(&state).await?;
    let input = GroupRoles {
        group: id,
        expected_version: body.version,
        roles: body.roles,
    };
    authorization::set_group_roles(&state.authorization, &actor, input).await?;
    Ok(Json(group(&state, &actor, id).await?))
}

/// Deletes a group (its members lose its roles).
#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "groups",
    params(("id" = Uuid, Path, description = "The group")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_group(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let actor = caller.administrator(&state).await?;
    authorization::delete_group(&state.authorization, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A group's members (user ids).
#[derive(Debug, Serialize, ToSchema)]
pub struct MembersBody {
    /// The members' ids.
    pub members: Vec<Uuid>,
}

/// The group's members.
#[utoipa::path(get, path = "/api/v1/groups/{id}/members", tag = "groups",
    params(("id" = Uuid, Path, description = "The group")),
    responses((status = 200, description = "Members", body = MembersBody)))]
pub async fn members(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<MembersBody>, ApiError> {
    let actor = caller.administrator(&state).await?;
    group(&state, &actor, id).await?;
    let members = state
        .store
        .rbac()
        .group_members(id)
        .await
        .map_err(|error| ApiError::from(gatehouse_domain::DomainError::from(error)))?;
    Ok(Json(MembersBody { members }))
}

/// A user to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    /// The user.
    pub user: Uuid,
}

/// Adds a user to the group (the caller must hold the capabilities its roles grant).
#[utoipa::path(post, path = "/api/v1/groups/{id}/members", tag = "groups", request_body = MemberBody,
    params(("id" = Uuid, Path, description = "The group")),
    responses((status = 204, description = "A member (now or already)")))]
pub async fn add_member(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<MemberBody>,
) -> Result<Response, ApiError> {
    let actor = caller.administrator(&state).await?;
    let input = Membership {
        group: id,
        user: body.user,
    };
    authorization::add_group_member(&state.authorization, &actor, input).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Removes a user from the group (409 when that would leave no administrator).
#[utoipa::path(delete, path = "/api/v1/groups/{id}/members/{user}", tag = "groups",
    params(("id" = Uuid, Path, description = "The group"), ("user" = Uuid, Path, description = "The member")),
    responses((status = 204, description = "Removed")))]
pub async fn remove_member(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath((id, user)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let actor = caller.administrator(&state).await?;
    let input = Membership { group: id, user };
    authorization::remove_group_member(&state.authorization, &actor, input).await?;
    Ok(StatusCode::NO_CONTENT)
}
