//! One-time tokens: email verification links and codes, password reset links, email change
//! links, the first-administrator setup link. Only digests are stored; a token is consumed by
//! one conditional update, so it works once even when two nodes receive it together.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A one-time token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeTokenRow {
    /// UUIDv7 id.
    pub id: Uuid,
    /// SHA-256 of the link token: unique.
    pub token_hash: Vec<u8>,
    /// `verify_email`, `reset_password`, `change_email` or `setup`.
    pub purpose: String,
    /// Whose (none for `setup`).
    pub user_id: Option<Uuid>,
    /// The address it concerns (the new one for `change_email`).
    pub email: Option<String>,
    /// HMAC of the short code typed instead of the link, if any.
    pub code_hash: Option<Vec<u8>>,
    /// Wrong codes tried so far.
    pub attempts: i32,
    /// Wrong codes allowed.
    pub max_attempts: i32,
    /// When made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When used.
    pub consumed_at: Option<DateTime<Utc>>,
}

/// One-time token changes inside a use case's transaction.
#[async_trait::async_trait]
pub trait TokenWrites: Send {
    /// Inserts a token.
    async fn insert_one_time_token(
        &mut self,
        row: &OneTimeTokenRow,
    ) -> Result<(), crate::StoreError>;

    /// Consumes the token with this digest and purpose if it is unconsumed and
    /// `expires_at > now`, in one conditional update; returns it, or `None`.
    async fn consume_one_time_token(
        &mut self,
        token_hash: &[u8],
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeTokenRow>, crate::StoreError>;

    /// Counts one code attempt on the user's newest unconsumed, unexpired token of `purpose`
    /// that has attempts left (`attempts < max_attempts`), in one conditional update; returns it
    /// with the new count, or `None` when there is no such token.
    async fn spend_code_attempt(
        &mut self,
        user_id: Uuid,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeTokenRow>, crate::StoreError>;

    /// Consumes the token with this id if still unconsumed. True when this call consumed it.
    async fn consume_one_time_token_by_id(
        &mut self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, crate::StoreError>;

    /// Consumes every unconsumed token of the user for `purpose` (a newer one replaces them,
    /// or the password changed). Returns how many.
    async fn revoke_one_time_tokens(
        &mut self,
        user_id: Uuid,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, crate::StoreError>;
}
