//! `users` and `password_credentials` rows as read by the queries, and their translation into
//! the domain's [`UserRow`] and [`PasswordRow`].

use gatehouse_domain::StoreError;
use gatehouse_domain::store::{PasswordRow, UserRow};
use uuid::Uuid;

use crate::convert::{optional_timestamp, timestamp};

/// A `users` row in its stored form.
pub(crate) struct UserRecord {
    pub(crate) id: Uuid,
    pub(crate) email: String,
    pub(crate) email_normalized: String,
    pub(crate) email_verified_at: Option<i64>,
    pub(crate) display_name: Option<String>,
    pub(crate) given_name: Option<String>,
    pub(crate) family_name: Option<String>,
    pub(crate) locale: Option<String>,
    pub(crate) picture_url: Option<String>,
    pub(crate) attributes: String,
    pub(crate) status: String,
    pub(crate) is_admin: bool,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) last_sign_in_at: Option<i64>,
}

impl TryFrom<UserRecord> for UserRow {
    type Error = StoreError;

    fn try_from(record: UserRecord) -> Result<Self, StoreError> {
        Ok(UserRow {
            id: record.id,
            email: record.email,
            email_normalized: record.email_normalized,
            email_verified_at: optional_timestamp(record.email_verified_at)?,
            display_name: record.display_name,
            given_name: record.given_name,
            family_name: record.family_name,
            locale: record.locale,
            picture_url: record.picture_url,
            attributes: record.attributes,
            status: record.status,
            is_admin: record.is_admin,
            created_at: timestamp(record.created_at)?,
            updated_at: timestamp(record.updated_at)?,
            last_sign_in_at: optional_timestamp(record.last_sign_in_at)?,
        })
    }
}

/// A `password_credentials` row in its stored form.
pub(crate) struct PasswordRecord {
    pub(crate) user_id: Uuid,
    pub(crate) hash: String,
    pub(crate) updated_at: i64,
}

impl TryFrom<PasswordRecord> for PasswordRow {
    type Error = StoreError;

    fn try_from(record: PasswordRecord) -> Result<Self, StoreError> {
        Ok(PasswordRow {
            user_id: record.user_id,
            hash: record.hash,
            updated_at: timestamp(record.updated_at)?,
        })
    }
}
