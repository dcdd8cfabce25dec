//! The authorization model's stand-alone reads, and the model version every change reads and
//! increments. The whole model is read in one read transaction, so it is one consistent
//! snapshot (WAL mode lets it run beside the writer).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    ApiRow, CapabilityRow, GroupRow, RbacModel, RbacStore, RoleAssignment, RoleRow, UserAssignments,
};
use sqlx::{Executor, Sqlite, SqliteConnection};
use uuid::Uuid;

use crate::convert::micros;
use crate::error::store_error;
use crate::pools::Pools;
use crate::rbac_record::{
    ApiRecord, AssignmentRecord, CapabilityRecord, GroupRecord, LinkRecord, RoleRecord,
};

/// The model version, read through `executor` (a pool or a transaction's connection).
pub(crate) async fn version<'e, E>(executor: E) -> Result<i64, StoreError>
where
    E: Executor<'e, Database = Sqlite>,
{
    sqlx::query_scalar!("SELECT version FROM rbac_version WHERE id = 1")
        .fetch_optional(executor)
        .await
        .map_err(store_error)?
        .ok_or_else(|| StoreError::Corrupt("rbac_version has no row".to_owned()))
}

/// Every API, by audience.
async fn apis(connection: &mut SqliteConnection) -> Result<Vec<ApiRow>, StoreError> {
    let records = sqlx::query_as!(
        ApiRecord,
        r#"SELECT id AS "id: _", audience, name, description, system AS "system: _",
               created_at, updated_at
           FROM apis ORDER BY audience"#
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)?;
    records.into_iter().map(ApiRow::try_from).collect()
}

/// Every capability, by name.
async fn capabilities(connection: &mut SqliteConnection) -> Result<Vec<CapabilityRow>, StoreError> {
    let records = sqlx::query_as!(
        CapabilityRecord,
        r#"SELECT id AS "id: _", api_id AS "api_id: _", name, description,
               system AS "system: _", created_at, updated_at
           FROM capabilities ORDER BY name"#
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)?;
    records.into_iter().map(CapabilityRow::try_from).collect()
}

/// Every role, by name.
async fn roles(connection: &mut SqliteConnection) -> Result<Vec<RoleRow>, StoreError> {
    let records = sqlx::query_as!(
        RoleRecord,
        r#"SELECT id AS "id: _", name, description, system AS "system: _", version,
               created_at, updated_at
           FROM roles ORDER BY name"#
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)?;
    records.into_iter().map(RoleRow::try_from).collect()
}

/// Every group, by name.
async fn groups(connection: &mut SqliteConnection) -> Result<Vec<GroupRow>, StoreError> {
    let records = sqlx::query_as!(
        GroupRecord,
        r#"SELECT id AS "id: _", name, description, version, created_at, updated_at
           FROM groups ORDER BY name"#
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)?;
    records.into_iter().map(GroupRow::try_from).collect()
}

/// The three link tables, each as sorted pairs: (role, capability), (role, included role) and
/// (group, role). A 16-byte BLOB compares bytewise, which is the order of `Uuid`.
async fn links(connection: &mut SqliteConnection) -> Result<[Vec<(Uuid, Uuid)>; 3], StoreError> {
    let role_capabilities = sqlx::query_as!(
        LinkRecord,
        r#"SELECT role_id AS "from: _", capability_id AS "to: _"
           FROM role_capabilities ORDER BY role_id, capability_id"#
    )
    .fetch_all(&mut *connection)
    .await
    .map_err(store_error)?;
    let role_includes = sqlx::query_as!(
        LinkRecord,
        r#"SELECT role_id AS "from: _", included_role_id AS "to: _"
           FROM role_includes ORDER BY role_id, included_role_id"#
    )
    .fetch_all(&mut *connection)
    .await
    .map_err(store_error)?;
    let group_roles = sqlx::query_as!(
        LinkRecord,
        r#"SELECT group_id AS "from: _", role_id AS "to: _"
           FROM group_roles ORDER BY group_id, role_id"#
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)?;
    Ok([role_capabilities, role_includes, group_roles].map(pairs))
}

fn pairs(records: Vec<LinkRecord>) -> Vec<(Uuid, Uuid)> {
    records.into_iter().map(<(Uuid, Uuid)>::from).collect()
}

/// The whole model, read through `connection` (inside a read transaction, so consistent).
async fn model(connection: &mut SqliteConnection) -> Result<RbacModel, StoreError> {
    let version = version(&mut *connection).await?;
    let apis = apis(connection).await?;
    let capabilities = capabilities(connection).await?;
    let roles = roles(connection).await?;
    let groups = groups(connection).await?;
    let [role_capabilities, role_includes, group_roles] = links(connection).await?;
    Ok(RbacModel {
        version,
        apis,
        capabilities,
        roles,
        role_capabilities,
        role_includes,
        groups,
        group_roles,
    })
}

/// A user's direct roles (by role id) and groups (by id), read through `connection`.
async fn user_assignments(
    connection: &mut SqliteConnection,
    user_id: Uuid,
) -> Result<UserAssignments, StoreError> {
    let roles = sqlx::query_as!(
        AssignmentRecord,
        r#"SELECT role_id AS "role_id: _", expires_at
           FROM user_roles WHERE user_id = ?1 ORDER BY role_id"#,
        user_id,
    )
    .fetch_all(&mut *connection)
    .await
    .map_err(store_error)?;
    let groups = sqlx::query_scalar!(
        r#"SELECT group_id AS "group_id: Uuid"
           FROM group_members WHERE user_id = ?1 ORDER BY group_id"#,
        user_id,
    )
    .fetch_all(connection)
    .await
    .map_err(store_error)?;
    Ok(UserAssignments {
        roles: roles
            .into_iter()
            .map(RoleAssignment::try_from)
            .collect::<Result<_, _>>()?,
        groups,
    })
}

/// [`RbacStore`] on the reader pool.
#[derive(Debug)]
pub(crate) struct SqliteRbacStore {
    pools: Pools,
}

impl SqliteRbacStore {
    /// The authorization-model store of these pools.
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

#[async_trait]
impl RbacStore for SqliteRbacStore {
    async fn model(&self) -> Result<RbacModel, StoreError> {
        let mut transaction = self.pools.reader.begin().await.map_err(store_error)?;
        let model = model(&mut transaction).await?;
        transaction.commit().await.map_err(store_error)?;
        Ok(model)
    }

    async fn version(&self) -> Result<i64, StoreError> {
        version(&self.pools.reader).await
    }

    async fn user_assignments(&self, user_id: Uuid) -> Result<UserAssignments, StoreError> {
        let mut transaction = self.pools.reader.begin().await.map_err(store_error)?;
        let assignments = user_assignments(&mut transaction, user_id).await?;
        transaction.commit().await.map_err(store_error)?;
        Ok(assignments)
    }

    async fn group_members(&self, group_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        sqlx::query_scalar!(
            r#"SELECT user_id AS "user_id: Uuid"
               FROM group_members WHERE group_id = ?1 ORDER BY user_id"#,
            group_id,
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)
    }

    async fn active_holders(
        &self,
        role_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, StoreError> {
        let now = micros(now);
        // `users.id` is the key, so each holder appears once however many ways they hold it.
        sqlx::query_scalar!(
            r#"SELECT id AS "id: Uuid" FROM users
               WHERE status = 'active' AND id IN (
                   SELECT user_id FROM user_roles
                   WHERE role_id = ?1 AND (expires_at IS NULL OR expires_at > ?2)
                   UNION
                   SELECT group_members.user_id
                   FROM group_roles
                   JOIN group_members ON group_members.group_id = group_roles.group_id
                   WHERE group_roles.role_id = ?1)
               ORDER BY id"#,
            role_id,
            now,
        )
        .fetch_all(&self.pools.reader)
        .await
        .map_err(store_error)
    }
}
