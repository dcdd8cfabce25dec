//! Users, their password credential, and Gatehouse's bootstrap administrator flag.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreError;

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// UUIDv7 id.
    pub id: Uuid,
    /// The address as the user typed it (trimmed).
    pub email: String,
    /// The normalised address (NFKC, lowercase): unique.
    pub email_normalized: String,
    /// When the address was verified.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// How the user is shown.
    pub display_name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// BCP 47 language tag.
    pub locale: Option<String>,
    /// Picture URL.
    pub picture_url: Option<String>,
    /// Custom attributes, JSON object text (size-limited by the domain).
    pub attributes: String,
    /// `active`, `disabled`, `locked` or `pending_deletion`.
    pub status: String,
    /// Bootstrap administrator flag (until roles exist).
    pub is_admin: bool,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
    /// When the user last signed in.
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

/// A password credential as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordRow {
    /// Whose.
    pub user_id: Uuid,
    /// The argon2id PHC string.
    pub hash: String,
    /// When set.
    pub updated_at: DateTime<Utc>,
}

/// What a user search keeps; every set field must match (all `None`: every user).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// A case-insensitive substring of the normalised email or of the display name.
    pub query: Option<String>,
    /// Exactly this status.
    pub status: Option<String>,
    /// Whether the email is verified.
    pub email_verified: Option<bool>,
    /// Holds this role directly (not through a group).
    pub role_id: Option<Uuid>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
}

/// Stand-alone user operations.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// The user with this id.
    async fn by_id(&self, id: Uuid) -> Result<Option<UserRow>, StoreError>;

    /// The user with this normalised email.
    async fn by_email(&self, email_normalized: &str) -> Result<Option<UserRow>, StoreError>;

    /// The user's password credential.
    async fn password(&self, user_id: Uuid) -> Result<Option<PasswordRow>, StoreError>;

    /// Replaces the hash only if it is still `old_hash` (a rehash must not undo a concurrent
    /// password change). True when replaced.
    async fn rehash_password(
        &self,
        user_id: Uuid,
        old_hash: &str,
        new_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Sets `last_sign_in_at`.
    async fn record_sign_in(&self, user_id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Users ordered by id, after `after` (all when `None`), at most `limit`.
    async fn list(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<UserRow>, StoreError>;

    /// Users matching `filter`, ordered by id, after `after` (a cursor: the last id of the
    /// previous page), at most `limit`. `%` and `_` in `filter.query` match themselves.
    async fn search(
        &self,
        filter: &UserFilter,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<UserRow>, StoreError>;
}

/// User changes inside a use case's transaction.
#[async_trait]
pub trait UserWrites: Send {
    /// Inserts a user; `AlreadyExists` when the normalised email is taken.
    async fn insert_user(&mut self, row: &UserRow) -> Result<(), StoreError>;

    /// Replaces every field but `id` and `created_at` of the user with `row.id`;
    /// `AlreadyExists` when the new normalised email is taken. True when the user exists.
    async fn update_user(&mut self, row: &UserRow) -> Result<bool, StoreError>;

    /// Reads the user for a read-modify-write: on PostgreSQL the row stays locked until the
    /// transaction ends.
    async fn lock_user(&mut self, id: Uuid) -> Result<Option<UserRow>, StoreError>;

    /// Sets (inserts or replaces) the user's password credential.
    async fn set_password(&mut self, row: &PasswordRow) -> Result<(), StoreError>;

    /// Deletes the user and everything that hangs off them (password, sessions, factors,
    /// assignments, grants, consents). True when the user existed.
    async fn delete_user(&mut self, id: Uuid) -> Result<bool, StoreError>;
}
