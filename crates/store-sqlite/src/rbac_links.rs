//! The authorization model's links as a use case changes them in its transaction: a role's
//! capabilities and included roles, a group's roles and members, and users' direct roles.
//! Setting a link set replaces it: the old links are deleted, then the given ones inserted
//! (duplicates in the input count once). A link to an unknown row is `NotFound`.

use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::convert::{micros, uuid_list};
use crate::error::store_error;

/// Replaces the role's capabilities.
pub(crate) async fn set_role_capabilities(
    connection: &mut SqliteConnection,
    role_id: Uuid,
    capabilities: &[Uuid],
) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM role_capabilities WHERE role_id = ?1", role_id)
        .execute(&mut *connection)
        .await
        .map_err(store_error)?;
    if capabilities.is_empty() {
        return Ok(());
    }
    let capabilities = uuid_list(capabilities);
    sqlx::query!(
        "INSERT INTO role_capabilities (role_id, capability_id) \
         SELECT DISTINCT ?1, unhex(value) FROM json_each(?2)",
        role_id,
        capabilities,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Replaces the roles the role includes.
pub(crate) async fn set_role_includes(
    connection: &mut SqliteConnection,
    role_id: Uuid,
    roles: &[Uuid],
) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM role_includes WHERE role_id = ?1", role_id)
        .execute(&mut *connection)
        .await
        .map_err(store_error)?;
    if roles.is_empty() {
        return Ok(());
    }
    let roles = uuid_list(roles);
    sqlx::query!(
        "INSERT INTO role_includes (role_id, included_role_id) \
         SELECT DISTINCT ?1, unhex(value) FROM json_each(?2)",
        role_id,
        roles,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Replaces the group's roles.
pub(crate) async fn set_group_roles(
    connection: &mut SqliteConnection,
    group_id: Uuid,
    roles: &[Uuid],
) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM group_roles WHERE group_id = ?1", group_id)
        .execute(&mut *connection)
        .await
        .map_err(store_error)?;
    if roles.is_empty() {
        return Ok(());
    }
    let roles = uuid_list(roles);
    sqlx::query!(
        "INSERT INTO group_roles (group_id, role_id) \
         SELECT DISTINCT ?1, unhex(value) FROM json_each(?2)",
        group_id,
        roles,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Adds a user to a group; a member already is left as they are.
pub(crate) async fn add_group_member(
    connection: &mut SqliteConnection,
    group_id: Uuid,
    user_id: Uuid,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO group_members (group_id, user_id) VALUES (?1, ?2) \
         ON CONFLICT (group_id, user_id) DO NOTHING",
        group_id,
        user_id,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Removes a user from a group. True when they were a member.
pub(crate) async fn remove_group_member(
    connection: &mut SqliteConnection,
    group_id: Uuid,
    user_id: Uuid,
) -> Result<bool, StoreError> {
    let removed = sqlx::query!(
        "DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2",
        group_id,
        user_id,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(removed.rows_affected() == 1)
}

/// Gives a user a role directly; when they hold it already, only the expiry is replaced (the
/// assignment keeps its `created_at`).
pub(crate) async fn assign_role(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    role_id: Uuid,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let expires_at = expires_at.map(micros);
    let now = micros(now);
    sqlx::query!(
        "INSERT INTO user_roles (user_id, role_id, expires_at, created_at) \
         VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (user_id, role_id) DO UPDATE SET expires_at = excluded.expires_at",
        user_id,
        role_id,
        expires_at,
        now,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Takes a directly held role away. True when it was held.
pub(crate) async fn unassign_role(
    connection: &mut SqliteConnection,
    user_id: Uuid,
    role_id: Uuid,
) -> Result<bool, StoreError> {
    let removed = sqlx::query!(
        "DELETE FROM user_roles WHERE user_id = ?1 AND role_id = ?2",
        user_id,
        role_id,
    )
    .execute(connection)
    .await
    .map_err(store_error)?;
    Ok(removed.rows_affected() == 1)
}
