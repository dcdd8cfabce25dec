//! Browser sessions. The cookie holds a random token; the store keeps only its SHA-256 digest.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreError;

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// Public id (for listing and "sign out this one").
    pub id: Uuid,
    /// SHA-256 of the cookie token: unique.
    pub token_hash: Vec<u8>,
    /// Whose.
    pub user_id: Uuid,
    /// When created (= when the user authenticated).
    pub created_at: DateTime<Utc>,
    /// When last used.
    pub last_seen_at: DateTime<Utc>,
    /// Absolute end.
    pub expires_at: DateTime<Utc>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The browser's User-Agent at sign-in.
    pub user_agent: Option<String>,
    /// The client IP at sign-in.
    pub ip: Option<String>,
    /// How the user last authenticated, JSON array text (`["pwd"]`, `["pwd","otp","mfa"]`).
    pub amr: String,
    /// When the user last authenticated on this session (sign-in or step-up): `auth_time`.
    pub authenticated_at: DateTime<Utc>,
}

/// Stand-alone session operations.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// The live session with this token digest: not revoked, `expires_at > now` and
    /// `last_seen_at > idle_cutoff`; `None` otherwise. Its `last_seen_at` moves to `now` only
    /// when it is older than `stale_before` (so most requests read and do not write); a session
    /// revoked while being refreshed is `None`.
    async fn touch(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
        idle_cutoff: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<Option<SessionRow>, StoreError>;

    /// The user's live sessions (not revoked, not expired at `now`), newest first.
    async fn list_for_user(
        &self,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRow>, StoreError>;

    /// Deletes sessions that expired or were revoked before `before`. Returns how many.
    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Session changes inside a use case's transaction.
#[async_trait]
pub trait SessionWrites: Send {
    /// Inserts a session.
    async fn insert_session(&mut self, row: &SessionRow) -> Result<(), StoreError>;

    /// Revokes one of the user's sessions by its public id. True when a live one was revoked.
    async fn revoke_session(
        &mut self,
        user_id: Uuid,
        session_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Records a fresh authentication (step-up) on a live session: a new token digest (the old
    /// cookie value stops working), its `amr` and `authenticated_at = now`. True when the
    /// session was live.
    async fn reauthenticate_session(
        &mut self,
        session_id: Uuid,
        token_hash: &[u8],
        amr: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Revokes all the user's live sessions except `keep`. Returns how many.
    async fn revoke_sessions(
        &mut self,
        user_id: Uuid,
        keep: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}
