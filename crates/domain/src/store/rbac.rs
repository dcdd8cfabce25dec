//! The authorization model as stored: APIs, their capabilities, roles (with capabilities and
//! included roles), groups, and users' role assignments. The whole model is small and read at
//! once; a version number that every change increments lets each node notice changes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreError;

/// A resource server with an audience identifier (Gatehouse's own is `gatehouse`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRow {
    /// UUIDv7 id (fixed ids for the seeded system API).
    pub id: Uuid,
    /// The audience identifier: unique.
    pub audience: String,
    /// Display name.
    pub name: String,
    /// What it is.
    pub description: String,
    /// Seeded by a migration; cannot be changed or deleted.
    pub system: bool,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// A named permission of an API (`orders:refund`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityRow {
    /// UUIDv7 id.
    pub id: Uuid,
    /// The API it belongs to.
    pub api_id: Uuid,
    /// Unique name.
    pub name: String,
    /// What it allows.
    pub description: String,
    /// Seeded by a migration; cannot be changed or deleted.
    pub system: bool,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// A role: capabilities and included roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRow {
    /// UUIDv7 id.
    pub id: Uuid,
    /// Unique name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Seeded by a migration; its capabilities cannot be changed and it cannot be deleted.
    pub system: bool,
    /// Incremented by every change, for optimistic concurrency.
    pub version: i64,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// A group of users that holds roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    /// UUIDv7 id.
    pub id: Uuid,
    /// Unique name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Incremented by every change, for optimistic concurrency.
    pub version: i64,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// The whole model (without user assignments), as of `version`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RbacModel {
    /// The model version (incremented by every change).
    pub version: i64,
    /// APIs, by audience.
    pub apis: Vec<ApiRow>,
    /// Capabilities, by name.
    pub capabilities: Vec<CapabilityRow>,
    /// Roles, by name.
    pub roles: Vec<RoleRow>,
    /// (role, capability) pairs, sorted.
    pub role_capabilities: Vec<(Uuid, Uuid)>,
    /// (role, included role) pairs, sorted.
    pub role_includes: Vec<(Uuid, Uuid)>,
    /// Groups, by name.
    pub groups: Vec<GroupRow>,
    /// (group, role) pairs, sorted.
    pub group_roles: Vec<(Uuid, Uuid)>,
}

/// A role held by a user directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignment {
    /// The role.
    pub role_id: Uuid,
    /// When the assignment ends, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

/// What a user holds: direct roles and group memberships.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserAssignments {
    /// Direct roles (expired ones included; the domain filters by time).
    pub roles: Vec<RoleAssignment>,
    /// Groups the user belongs to.
    pub groups: Vec<Uuid>,
}

/// Stand-alone reads of the model.
#[async_trait]
pub trait RbacStore: Send + Sync {
    /// The whole model.
    async fn model(&self) -> Result<RbacModel, StoreError>;

    /// The model version only (cheap; nodes poll it).
    async fn version(&self) -> Result<i64, StoreError>;

    /// A user's direct roles and groups.
    async fn user_assignments(&self, user_id: Uuid) -> Result<UserAssignments, StoreError>;

    /// Members of a group.
    async fn group_members(&self, group_id: Uuid) -> Result<Vec<Uuid>, StoreError>;

    /// Active users holding `role_id` directly (unexpired at `now`) or through a group.
    async fn active_holders(
        &self,
        role_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, StoreError>;
}

/// Model changes inside a use case's transaction. Every change starts with
/// [`RbacWrites::lock_rbac`], which serialises model changes across nodes, and ends with
/// [`RbacWrites::bump_rbac_version`].
#[async_trait]
pub trait RbacWrites: Send {
    /// Locks the model for this transaction (PostgreSQL: the version row `FOR UPDATE`) and
    /// returns the current version.
    async fn lock_rbac(&mut self) -> Result<i64, StoreError>;

    /// Increments the model version; returns the new one.
    async fn bump_rbac_version(&mut self) -> Result<i64, StoreError>;

    /// Inserts or replaces (by id) an API; `AlreadyExists` on a taken audience.
    async fn upsert_api(&mut self, row: &ApiRow) -> Result<(), StoreError>;

    /// Deletes an API and its capabilities. True when it existed.
    async fn delete_api(&mut self, id: Uuid) -> Result<bool, StoreError>;

    /// Inserts or replaces (by id) a capability; `AlreadyExists` on a taken name.
    async fn upsert_capability(&mut self, row: &CapabilityRow) -> Result<(), StoreError>;

    /// Deletes a capability (and its role links). True when it existed.
    async fn delete_capability(&mut self, id: Uuid) -> Result<bool, StoreError>;

    /// Inserts or replaces (by id) a role; `AlreadyExists` on a taken name.
    async fn upsert_role(&mut self, row: &RoleRow) -> Result<(), StoreError>;

    /// Deletes a role (and every link to it). True when it existed.
    async fn delete_role(&mut self, id: Uuid) -> Result<bool, StoreError>;

    /// Replaces the role's capabilities.
    async fn set_role_capabilities(
        &mut self,
        role_id: Uuid,
        capabilities: &[Uuid],
    ) -> Result<(), StoreError>;

    /// Replaces the roles the role includes.
    async fn set_role_includes(&mut self, role_id: Uuid, roles: &[Uuid]) -> Result<(), StoreError>;

    /// Inserts or replaces (by id) a group; `AlreadyExists` on a taken name.
    async fn upsert_group(&mut self, row: &GroupRow) -> Result<(), StoreError>;

    /// Deletes a group (and its members and roles). True when it existed.
    async fn delete_group(&mut self, id: Uuid) -> Result<bool, StoreError>;

    /// Replaces the group's roles.
    async fn set_group_roles(&mut self, group_id: Uuid, roles: &[Uuid]) -> Result<(), StoreError>;

    /// Adds a user to a group (no-op when already a member).
    async fn add_group_member(&mut self, group_id: Uuid, user_id: Uuid) -> Result<(), StoreError>;

    /// Removes a user from a group. True when they were a member.
    async fn remove_group_member(
        &mut self,
        group_id: Uuid,
        user_id: Uuid,
    ) -> Result<bool, StoreError>;

    /// Gives a user a role directly (replacing the expiry when already held).
    async fn assign_role(
        &mut self,
        user_id: Uuid,
        role_id: Uuid,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Takes a directly held role away. True when it was held.
    async fn unassign_role(&mut self, user_id: Uuid, role_id: Uuid) -> Result<bool, StoreError>;
}
