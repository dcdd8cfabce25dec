//! Authorization-model rows as read by the queries, and their translation into the domain's
//! [`ApiRow`], [`CapabilityRow`], [`RoleRow`], [`GroupRow`] and [`RoleAssignment`].

use gatehouse_domain::StoreError;
use gatehouse_domain::store::{ApiRow, CapabilityRow, GroupRow, RoleAssignment, RoleRow};
use uuid::Uuid;

use crate::convert::{optional_timestamp, timestamp};

/// An `apis` row in its stored form.
pub(crate) struct ApiRecord {
    pub(crate) id: Uuid,
    pub(crate) audience: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) system: bool,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

impl TryFrom<ApiRecord> for ApiRow {
    type Error = StoreError;

    fn try_from(record: ApiRecord) -> Result<Self, StoreError> {
        Ok(ApiRow {
            id: record.id,
            audience: record.audience,
            name: record.name,
            description: record.description,
            system: record.system,
            created_at: timestamp(record.created_at)?,
            updated_at: timestamp(record.updated_at)?,
        })
    }
}

/// A `capabilities` row in its stored form.
pub(crate) struct CapabilityRecord {
    pub(crate) id: Uuid,
    pub(crate) api_id: Uuid,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) system: bool,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

impl TryFrom<CapabilityRecord> for CapabilityRow {
    type Error = StoreError;

    fn try_from(record: CapabilityRecord) -> Result<Self, StoreError> {
        Ok(CapabilityRow {
            id: record.id,
            api_id: record.api_id,
            name: record.name,
            description: record.description,
            system: record.system,
            created_at: timestamp(record.created_at)?,
            updated_at: timestamp(record.updated_at)?,
        })
    }
}

/// A `roles` row in its stored form.
pub(crate) struct RoleRecord {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) system: bool,
    pub(crate) version: i64,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

impl TryFrom<RoleRecord> for RoleRow {
    type Error = StoreError;

    fn try_from(record: RoleRecord) -> Result<Self, StoreError> {
        Ok(RoleRow {
            id: record.id,
            name: record.name,
            description: record.description,
            system: record.system,
            version: record.version,
            created_at: timestamp(record.created_at)?,
            updated_at: timestamp(record.updated_at)?,
        })
    }
}

/// A `groups` row in its stored form.
pub(crate) struct GroupRecord {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) version: i64,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

impl TryFrom<GroupRecord> for GroupRow {
    type Error = StoreError;

    fn try_from(record: GroupRecord) -> Result<Self, StoreError> {
        Ok(GroupRow {
            id: record.id,
            name: record.name,
            description: record.description,
            version: record.version,
            created_at: timestamp(record.created_at)?,
            updated_at: timestamp(record.updated_at)?,
        })
    }
}

/// A row of a link table (`role_capabilities`, `role_includes`, `group_roles`): its two ids.
pub(crate) struct LinkRecord {
    pub(crate) from: Uuid,
    pub(crate) to: Uuid,
}

impl From<LinkRecord> for (Uuid, Uuid) {
    fn from(record: LinkRecord) -> Self {
        (record.from, record.to)
    }
}

/// A `user_roles` row's role and expiry in their stored form.
pub(crate) struct AssignmentRecord {
    pub(crate) role_id: Uuid,
    pub(crate) expires_at: Option<i64>,
}

impl TryFrom<AssignmentRecord> for RoleAssignment {
    type Error = StoreError;

    fn try_from(record: AssignmentRecord) -> Result<Self, StoreError> {
        Ok(RoleAssignment {
            role_id: record.role_id,
            expires_at: optional_timestamp(record.expires_at)?,
        })
    }
}
