//! `mfa_totp`, `webauthn_credentials` and `auth_challenges` rows as read by the queries, and
//! their translation into the domain's [`TotpRow`], [`WebauthnRow`] and [`ChallengeRow`].

use gatehouse_domain::StoreError;
use gatehouse_domain::store::{ChallengeRow, TotpRow, WebauthnRow};
use uuid::Uuid;

use crate::convert::{optional_timestamp, timestamp};

/// A `mfa_totp` row in its stored form.
pub(crate) struct TotpRecord {
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) name: String,
    pub(crate) secret: Vec<u8>,
    pub(crate) created_at: i64,
    pub(crate) confirmed_at: Option<i64>,
    pub(crate) last_step: Option<i64>,
    pub(crate) last_used_at: Option<i64>,
}

impl TryFrom<TotpRecord> for TotpRow {
    type Error = StoreError;

    fn try_from(record: TotpRecord) -> Result<Self, StoreError> {
        Ok(TotpRow {
            id: record.id,
            user_id: record.user_id,
            name: record.name,
            secret: record.secret,
            created_at: timestamp(record.created_at)?,
            confirmed_at: optional_timestamp(record.confirmed_at)?,
            last_step: record.last_step,
            last_used_at: optional_timestamp(record.last_used_at)?,
        })
    }
}

/// A `webauthn_credentials` row in its stored form.
pub(crate) struct WebauthnRecord {
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) name: String,
    pub(crate) credential_id: Vec<u8>,
    pub(crate) credential: String,
    pub(crate) kind: String,
    pub(crate) sign_count: i64,
    pub(crate) backup_eligible: bool,
    pub(crate) backup_state: bool,
    pub(crate) created_at: i64,
    pub(crate) last_used_at: Option<i64>,
}

impl TryFrom<WebauthnRecord> for WebauthnRow {
    type Error = StoreError;

    fn try_from(record: WebauthnRecord) -> Result<Self, StoreError> {
        Ok(WebauthnRow {
            id: record.id,
            user_id: record.user_id,
            name: record.name,
            credential_id: record.credential_id,
            credential: record.credential,
            kind: record.kind,
            sign_count: record.sign_count,
            backup_eligible: record.backup_eligible,
            backup_state: record.backup_state,
            created_at: timestamp(record.created_at)?,
            last_used_at: optional_timestamp(record.last_used_at)?,
        })
    }
}

/// An `auth_challenges` row in its stored form.
pub(crate) struct ChallengeRecord {
    pub(crate) id: Uuid,
    pub(crate) token_hash: Vec<u8>,
    pub(crate) kind: String,
    pub(crate) user_id: Option<Uuid>,
    pub(crate) session_id: Option<Uuid>,
    pub(crate) state: Vec<u8>,
    pub(crate) attempts: i32,
    pub(crate) created_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) consumed_at: Option<i64>,
}

impl TryFrom<ChallengeRecord> for ChallengeRow {
    type Error = StoreError;

    fn try_from(record: ChallengeRecord) -> Result<Self, StoreError> {
        Ok(ChallengeRow {
            id: record.id,
            token_hash: record.token_hash,
            kind: record.kind,
            user_id: record.user_id,
            session_id: record.session_id,
            state: record.state,
            attempts: record.attempts,
            created_at: timestamp(record.created_at)?,
            expires_at: timestamp(record.expires_at)?,
            consumed_at: optional_timestamp(record.consumed_at)?,
        })
    }
}
