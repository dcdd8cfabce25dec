//! Changes of the authorization model inside a use case's transaction. A change starts by
//! locking the `rbac_version` row (`FOR UPDATE`): a change on another node waits there until
//! this transaction ends, so model changes are serialised across nodes and every committed
//! change bumps the version exactly once. Upserts go by id; a taken audience or name is refused
//! by a unique index, which [`store_error`] turns into [`StoreError::AlreadyExists`]. Deletes
//! cascade through the foreign keys; the `set_*` writes replace a whole link set.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{ApiRow, CapabilityRow, GroupRow, RbacWrites, RoleRow};
use uuid::Uuid;

use crate::error::store_error;
use crate::rbac::missing_version;
use crate::transaction::PostgresTransaction;

#[async_trait]
impl RbacWrites for PostgresTransaction {
    async fn lock_rbac(&mut self) -> Result<i64, StoreError> {
        sqlx::query_scalar!("SELECT version FROM rbac_version WHERE id = 1 FOR UPDATE")
            .fetch_optional(self.connection())
            .await
            .map_err(store_error)?
            .ok_or_else(missing_version)
    }

    async fn bump_rbac_version(&mut self) -> Result<i64, StoreError> {
        sqlx::query_scalar!(
            "UPDATE rbac_version SET version = version + 1 WHERE id = 1 RETURNING version"
        )
        .fetch_optional(self.connection())
        .await
        .map_err(store_error)?
        .ok_or_else(missing_version)
    }

    async fn upsert_api(&mut self, row: &ApiRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO apis (id, audience, name, description, system, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE
                 SET audience = EXCLUDED.audience, name = EXCLUDED.name,
                     description = EXCLUDED.description, system = EXCLUDED.system,
                     updated_at = EXCLUDED.updated_at",
            row.id,
            row.audience,
            row.name,
            row.description,
            row.system,
            row.created_at,
            row.updated_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn delete_api(&mut self, id: Uuid) -> Result<bool, StoreError> {
        let result = sqlx::query!("DELETE FROM apis WHERE id = $1", id)
            .execute(self.connection())
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn upsert_capability(&mut self, row: &CapabilityRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO capabilities (id, api_id, name, description, system, created_at,
                                       updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE
                 SET api_id = EXCLUDED.api_id, name = EXCLUDED.name,
                     description = EXCLUDED.description, system = EXCLUDED.system,
                     updated_at = EXCLUDED.updated_at",
            row.id,
            row.api_id,
            row.name,
            row.description,
            row.system,
            row.created_at,
            row.updated_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn delete_capability(&mut self, id: Uuid) -> Result<bool, StoreError> {
        let result = sqlx::query!("DELETE FROM capabilities WHERE id = $1", id)
            .execute(self.connection())
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn upsert_role(&mut self, row: &RoleRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO roles (id, name, description, system, version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE
                 SET name = EXCLUDED.name, description = EXCLUDED.description,
                     system = EXCLUDED.system, version = EXCLUDED.version,
                     updated_at = EXCLUDED.updated_at",
            row.id,
            row.name,
            row.description,
            row.system,
            row.version,
            row.created_at,
            row.updated_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn delete_role(&mut self, id: Uuid) -> Result<bool, StoreError> {
        let result = sqlx::query!("DELETE FROM roles WHERE id = $1", id)
            .execute(self.connection())
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn set_role_capabilities(
        &mut self,
        role_id: Uuid,
        capabilities: &[Uuid],
    ) -> Result<(), StoreError> {
        sqlx::query!("DELETE FROM role_capabilities WHERE role_id = $1", role_id)
            .execute(self.connection())
            .await
            .map_err(store_error)?;
        sqlx::query!(
            "INSERT INTO role_capabilities (role_id, capability_id)
             SELECT $1, capability_id FROM unnest($2::uuid[]) AS given (capability_id)
             ON CONFLICT DO NOTHING",
            role_id,
            capabilities,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn set_role_includes(&mut self, role_id: Uuid, roles: &[Uuid]) -> Result<(), StoreError> {
        sqlx::query!("DELETE FROM role_includes WHERE role_id = $1", role_id)
            .execute(self.connection())
            .await
            .map_err(store_error)?;
        sqlx::query!(
            "INSERT INTO role_includes (role_id, included_role_id)
             SELECT $1, included_role_id FROM unnest($2::uuid[]) AS given (included_role_id)
             ON CONFLICT DO NOTHING",
            role_id,
            roles,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn upsert_group(&mut self, row: &GroupRow) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO groups (id, name, description, version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE
                 SET name = EXCLUDED.name, description = EXCLUDED.description,
                     version = EXCLUDED.version, updated_at = EXCLUDED.updated_at",
            row.id,
            row.name,
            row.description,
            row.version,
            row.created_at,
            row.updated_at,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn delete_group(&mut self, id: Uuid) -> Result<bool, StoreError> {
        let result = sqlx::query!("DELETE FROM groups WHERE id = $1", id)
            .execute(self.connection())
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn set_group_roles(&mut self, group_id: Uuid, roles: &[Uuid]) -> Result<(), StoreError> {
        sqlx::query!("DELETE FROM group_roles WHERE group_id = $1", group_id)
            .execute(self.connection())
            .await
            .map_err(store_error)?;
        sqlx::query!(
            "INSERT INTO group_roles (group_id, role_id)
             SELECT $1, role_id FROM unnest($2::uuid[]) AS given (role_id)
             ON CONFLICT DO NOTHING",
            group_id,
            roles,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn add_group_member(&mut self, group_id: Uuid, user_id: Uuid) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)
             ON CONFLICT (group_id, user_id) DO NOTHING",
            group_id,
            user_id,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn remove_group_member(
        &mut self,
        group_id: Uuid,
        user_id: Uuid,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2",
            group_id,
            user_id,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn assign_role(
        &mut self,
        user_id: Uuid,
        role_id: Uuid,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO user_roles (user_id, role_id, expires_at, created_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, role_id) DO UPDATE SET expires_at = EXCLUDED.expires_at",
            user_id,
            role_id,
            expires_at,
            now,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn unassign_role(&mut self, user_id: Uuid, role_id: Uuid) -> Result<bool, StoreError> {
        let result = sqlx::query!(
            "DELETE FROM user_roles WHERE user_id = $1 AND role_id = $2",
            user_id,
            role_id,
        )
        .execute(self.connection())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }
}
