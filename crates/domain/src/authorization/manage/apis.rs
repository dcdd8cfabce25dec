//! APIs (resource servers): created with an audience, renamed, deleted with their capabilities.
//! Gatehouse's own API is a system object.

use serde_json::json;
use uuid::Uuid;

use super::{
    Administrator, Authorization, AuthorizationError,
    change::{Change, require, taken},
    snapshot, validate,
};
use crate::{
    authorization::capability::ROLES_WRITE,
    store::{ApiRow, new_id},
};

/// A new API.
#[derive(Debug, Clone, Default)]
pub struct NewApi {
    /// The audience identifier tokens carry (unique, ignoring case; cannot change later).
    pub audience: String,
    /// Display name.
    pub name: String,
    /// What it is.
    pub description: String,
}

/// New name and description for an API.
#[derive(Debug, Clone)]
pub struct ApiUpdate {
    /// The API.
    pub api: Uuid,
    /// Display name.
    pub name: String,
    /// What it is.
    pub description: String,
}

/// Creates an API. Audited as `rbac.api_created`.
pub async fn create_api(
    deps: &Authorization,
    actor: &impl Administrator,
    input: NewApi,
) -> Result<ApiRow, AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let audience = validate::audience(&input.audience)?;
    let name = validate::name("name", &input.name)?;
    let description = validate::description(&input.description)?;
    let mut change = Change::begin(deps, actor).await?;
    let existing = change
        .model
        .apis
        .iter()
        .map(|r| (r.id, r.audience.as_str()));
    validate::unique("api", &audience, existing, None)?;
    let row = ApiRow {
        id: new_id(),
        audience,
        name,
        description,
        system: false,
        created_at: change.now,
        updated_at: change.now,
    };
    change
        .writes()
        .upsert_api(&row)
        .await
        .map_err(taken("api", &row.audience))?;
    let details = json!({ "after": snapshot::api(&row) });
    change
        .commit("rbac.api_created", format!("api:{}", row.id), details)
        .await?;
    Ok(row)
}

/// Renames an API or changes its description; not the system API. Audited as
/// `rbac.api_updated` with before and after.
pub async fn update_api(
    deps: &Authorization,
    actor: &impl Administrator,
    input: ApiUpdate,
) -> Result<ApiRow, AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let name = validate::name("name", &input.name)?;
    let description = validate::description(&input.description)?;
    let mut change = Change::begin(deps, actor).await?;
    let before = change.api(input.api)?;
    refuse_system(&before)?;
    let after = ApiRow {
        name,
        description,
        updated_at: change.now,
        ..before.clone()
    };
    change.writes().upsert_api(&after).await?;
    let details = snapshot::before_after(snapshot::api(&before), snapshot::api(&after));
    change
        .commit("rbac.api_updated", format!("api:{}", after.id), details)
        .await?;
    Ok(after)
}

/// Deletes an API and its capabilities (roles lose them); not the system API. Audited as
/// `rbac.api_deleted` with what it was, capabilities included.
pub async fn delete_api(
    deps: &Authorization,
    actor: &impl Administrator,
    api: Uuid,
) -> Result<(), AuthorizationError> {
    require(deps, actor, ROLES_WRITE).await?;
    let mut change = Change::begin(deps, actor).await?;
    let before = change.api(api)?;
    refuse_system(&before)?;
    let capabilities: Vec<String> = change
        .model
        .capabilities
        .iter()
        .filter(|row| row.api_id == api)
        .map(|row| row.name.clone())
        .collect();
    change.writes().delete_api(api).await?;
    let details = json!({ "before": snapshot::api(&before), "capabilities": capabilities });
    change
        .commit("rbac.api_deleted", format!("api:{api}"), details)
        .await
}

fn refuse_system(row: &ApiRow) -> Result<(), AuthorizationError> {
    if row.system {
        return Err(AuthorizationError::SystemObject {
            kind: "api",
            name: row.audience.clone(),
        });
    }
    Ok(())
}
