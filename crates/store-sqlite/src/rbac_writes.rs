//! The authorization model's entities as a use case changes them in its transaction: the model
//! lock and version, and APIs, capabilities, roles and groups. An upsert replaces every column
//! but `id` and `created_at` of an existing row; a taken unique name is `AlreadyExists`.
//! Deletes cascade through the foreign keys (`foreign_keys` is on).

use gatehouse_domain::StoreError;
use gatehouse_domain::store::{ApiRow, CapabilityRow, GroupRow, RoleRow};
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::convert::micros;
use crate::error::store_error;
use crate::rbac;

/// Locks the model and returns its version. The connection is the transaction's, which holds
/// SQLite's single writer (`BEGIN IMMEDIATE`) from its first statement: no other change can
/// start before it ends.
pub(crate) async fn lock_rbac(connection: &mut SqliteConnection) -> Result<i64, StoreError> {
    rbac::version(connection).await
}

/// Increments the model version; returns the new one.
pub(crate) async fn bump_rbac_version(
    connection: &mut SqliteConnection,
) -> Result<i64, StoreError> {
    sqlx::query_scalar!(
        r#"UPDATE rbac_version SET version = version + 1 WHERE id = 1
           RETURNING version AS "version!: i64""#
    )
    .fetch_optional(connection)
    .await
    .map_err(store_error)?
    .ok_or_else(|| StoreError::Corrupt("rbac_version has no row".to_owned()))
}

/// Inserts or replaces (by id) an API.
pub(crate) async fn upsert_api(
    connection: &mut SqliteConnection,
    row: &ApiRow,
) -> Result<(), StoreError> {
    let created_at = micros(row.created_at);
    let updated_at = micros(row.updated_at);
    sqlx::query!(
        "INSERT INTO apis (id, audience, name, description, system, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (id) DO UPDATE \
             SET audience = excluded.audience, name = excluded.name, \
                 description = excluded.description, system = excluded.system, \
                 updated_at = excluded.updated_at",
        row.id,
        row.audience,
        row.name,
        row.description,
        row.system,
        created_at,
        updated_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Deletes an API and, through the foreign keys, its capabilities and their role links.
pub(crate) async fn delete_api(
    connection: &mut SqliteConnection,
    id: Uuid,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query!("DELETE FROM apis WHERE id = ?1", id)
        .execute(connection)
        .await
        .map_err(store_error)?;
    Ok(deleted.rows_affected() == 1)
}

/// Inserts or replaces (by id) a capability; an unknown API is `NotFound`.
pub(crate) async fn upsert_capability(
    connection: &mut SqliteConnection,
    row: &CapabilityRow,
) -> Result<(), StoreError> {
    let created_at = micros(row.created_at);
    let updated_at = micros(row.updated_at);
    sqlx::query!(
        "INSERT INTO capabilities (id, api_id, name, description, system, created_at, \
             updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (id) DO UPDATE \
             SET api_id = excluded.api_id, name = excluded.name, \
                 description = excluded.description, system = excluded.system, \
                 updated_at = excluded.updated_at",
        row.id,
        row.api_id,
        row.name,
        row.description,
        row.system,
        created_at,
        updated_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Deletes a capability and, through the foreign keys, its role links.
pub(crate) async fn delete_capability(
    connection: &mut SqliteConnection,
    id: Uuid,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query!("DELETE FROM capabilities WHERE id = ?1", id)
        .execute(connection)
        .await
        .map_err(store_error)?;
    Ok(deleted.rows_affected() == 1)
}

/// Inserts or replaces (by id) a role.
pub(crate) async fn upsert_role(
    connection: &mut SqliteConnection,
    row: &RoleRow,
) -> Result<(), StoreError> {
    let created_at = micros(row.created_at);
    let updated_at = micros(row.updated_at);
    sqlx::query!(
        "INSERT INTO roles (id, name, description, system, version, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (id) DO UPDATE \
             SET name = excluded.name, description = excluded.description, \
                 system = excluded.system, version = excluded.version, \
                 updated_at = excluded.updated_at",
        row.id,
        row.name,
        row.description,
        row.system,
        row.version,
        created_at,
        updated_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Deletes a role and, through the foreign keys, its capability links, its inclusions both
/// ways, its group links and its assignments.
pub(crate) async fn delete_role(
    connection: &mut SqliteConnection,
    id: Uuid,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query!("DELETE FROM roles WHERE id = ?1", id)
        .execute(connection)
        .await
        .map_err(store_error)?;
    Ok(deleted.rows_affected() == 1)
}

/// Inserts or replaces (by id) a group.
pub(crate) async fn upsert_group(
    connection: &mut SqliteConnection,
    row: &GroupRow,
) -> Result<(), StoreError> {
    let created_at = micros(row.created_at);
    let updated_at = micros(row.updated_at);
    sqlx::query!(
        "INSERT INTO groups (id, name, description, version, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (id) DO UPDATE \
             SET name = excluded.name, description = excluded.description, \
                 version = excluded.version, updated_at = excluded.updated_at",
        row.id,
        row.name,
        row.description,
        row.version,
        created_at,
        updated_at,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Deletes a group and, through the foreign keys, its members and roles.
pub(crate) async fn delete_group(
    connection: &mut SqliteConnection,
    id: Uuid,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query!("DELETE FROM groups WHERE id = ?1", id)
        .execute(connection)
        .await
        .map_err(store_error)?;
    Ok(deleted.rows_affected() == 1)
}
