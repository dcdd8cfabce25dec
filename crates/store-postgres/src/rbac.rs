//! The authorization model's stand-alone reads on the pool. [`RbacStore::model`] reads the
//! version and every table in one read-only, repeatable-read transaction, so the model it
//! returns is exactly the one its version names, even while another node changes it. Names sort
//! with `COLLATE "C"` (byte order, as SQLite and Rust compare strings), whatever the database's
//! collation.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    ApiRow, CapabilityRow, GroupRow, RbacModel, RbacStore, RoleAssignment, RoleRow, UserAssignments,
};
use sqlx::postgres::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::store_error;

/// Starts the transaction [`RbacStore::model`] reads in: one snapshot for every statement.
const SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/// [`RbacStore`] on the pool.
#[derive(Debug, Clone)]
pub(crate) struct PostgresRbac {
    pool: PgPool,
}

impl PostgresRbac {
    /// Model reads on `pool`.
    pub(crate) fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl RbacStore for PostgresRbac {
    async fn model(&self) -> Result<RbacModel, StoreError> {
        let mut snapshot = self.pool.begin_with(SNAPSHOT).await.map_err(store_error)?;
        let connection: &mut PgConnection = &mut snapshot;
        let model = RbacModel {
            version: version_of(&mut *connection).await?,
            apis: apis(&mut *connection).await?,
            capabilities: capabilities(&mut *connection).await?,
            roles: roles(&mut *connection).await?,
            role_capabilities: role_capabilities(&mut *connection).await?,
            role_includes: role_includes(&mut *connection).await?,
            groups: groups(&mut *connection).await?,
            group_roles: group_roles(&mut *connection).await?,
        };
        snapshot.commit().await.map_err(store_error)?;
        Ok(model)
    }

    async fn version(&self) -> Result<i64, StoreError> {
        let mut connection = self.pool.acquire().await.map_err(store_error)?;
        version_of(&mut connection).await
    }

    async fn user_assignments(&self, user_id: Uuid) -> Result<UserAssignments, StoreError> {
        let roles = sqlx::query_as!(
            RoleAssignment,
            "SELECT role_id, expires_at FROM user_roles WHERE user_id = $1 ORDER BY role_id",
            user_id,
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        let groups = sqlx::query_scalar!(
            "SELECT group_id FROM group_members WHERE user_id = $1 ORDER BY group_id",
            user_id,
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(UserAssignments { roles, groups })
    }

    async fn group_members(&self, group_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        sqlx::query_scalar!(
            "SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY user_id",
            group_id,
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn active_holders(
        &self,
        role_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, StoreError> {
        sqlx::query_scalar!(
            "SELECT users.id FROM users
             WHERE users.status = 'active'
               AND (EXISTS (SELECT 1 FROM user_roles
                            WHERE user_roles.user_id = users.id AND user_roles.role_id = $1
                              AND (user_roles.expires_at IS NULL OR user_roles.expires_at > $2))
                    OR EXISTS (SELECT 1 FROM group_members
                               JOIN group_roles ON group_roles.group_id = group_members.group_id
                               WHERE group_members.user_id = users.id
                                 AND group_roles.role_id = $1))
             ORDER BY users.id",
            role_id,
            now,
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }
}

/// The model version. Its one row is seeded by the migration; a missing row is corruption.
async fn version_of(connection: &mut PgConnection) -> Result<i64, StoreError> {
    sqlx::query_scalar!("SELECT version FROM rbac_version WHERE id = 1")
        .fetch_optional(connection)
        .await
        .map_err(store_error)?
        .ok_or_else(missing_version)
}

/// The error for a database without its `rbac_version` row.
pub(crate) fn missing_version() -> StoreError {
    StoreError::Corrupt("the rbac_version row is missing".to_owned())
}

/// Every API, by audience.
async fn apis(connection: &mut PgConnection) -> Result<Vec<ApiRow>, StoreError> {
    sqlx::query_as!(
        ApiRow,
        r#"SELECT id, audience, name, description, system, created_at, updated_at
           FROM apis ORDER BY audience COLLATE "C""#
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)
}

/// Every capability, by name.
async fn capabilities(connection: &mut PgConnection) -> Result<Vec<CapabilityRow>, StoreError> {
    sqlx::query_as!(
        CapabilityRow,
        r#"SELECT id, api_id, name, description, system, created_at, updated_at
           FROM capabilities ORDER BY name COLLATE "C""#
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)
}

/// Every role, by name.
async fn roles(connection: &mut PgConnection) -> Result<Vec<RoleRow>, StoreError> {
    sqlx::query_as!(
        RoleRow,
        r#"SELECT id, name, description, system, version, created_at, updated_at
           FROM roles ORDER BY name COLLATE "C""#
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)
}

/// Every group, by name.
async fn groups(connection: &mut PgConnection) -> Result<Vec<GroupRow>, StoreError> {
    sqlx::query_as!(
        GroupRow,
        r#"SELECT id, name, description, version, created_at, updated_at
           FROM groups ORDER BY name COLLATE "C""#
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)
}

/// Every (role, capability) pair, sorted.
async fn role_capabilities(connection: &mut PgConnection) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    let pairs = sqlx::query!(
        "SELECT role_id, capability_id FROM role_capabilities ORDER BY role_id, capability_id"
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)?;
    Ok(pairs
        .into_iter()
        .map(|pair| (pair.role_id, pair.capability_id))
        .collect())
}

/// Every (role, included role) pair, sorted.
async fn role_includes(connection: &mut PgConnection) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    let pairs = sqlx::query!(
        "SELECT role_id, included_role_id FROM role_includes ORDER BY role_id, included_role_id"
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)?;
    Ok(pairs
        .into_iter()
        .map(|pair| (pair.role_id, pair.included_role_id))
        .collect())
}

/// Every (group, role) pair, sorted.
async fn group_roles(connection: &mut PgConnection) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    let pairs =
        sqlx::query!("SELECT group_id, role_id FROM group_roles ORDER BY group_id, role_id")
            .fetch_all(connection)
            .await
            .map_err(store_error)?;
    Ok(pairs
        .into_iter()
        .map(|pair| (pair.group_id, pair.role_id))
        .collect())
}
