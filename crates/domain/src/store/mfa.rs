//! Second factors and sign-in ceremonies: TOTP devices (sealed seeds, the last accepted time
//! step), recovery codes (keyed digests), WebAuthn credentials, and the short-lived challenges
//! that carry a sign-in between its first factor and its second, or a WebAuthn ceremony between
//! its two requests. Every one-time value is consumed by one conditional update.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreError;

/// A TOTP device as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpRow {
    /// UUIDv7 id.
    pub id: Uuid,
    /// Whose.
    pub user_id: Uuid,
    /// The name the user gave it.
    pub name: String,
    /// The seed, sealed by the TOTP data key (never stored in clear).
    pub secret: Vec<u8>,
    /// When enrolment began.
    pub created_at: DateTime<Utc>,
    /// When the first code confirmed it; an unconfirmed device does not count as a factor.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The last time step accepted (codes of this or an earlier step are refused).
    pub last_step: Option<i64>,
    /// When a code was last accepted.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A recovery code as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryCodeRow {
    /// UUIDv7 id.
    pub id: Uuid,
    /// Whose.
    pub user_id: Uuid,
    /// Keyed digest (HMAC) of the normalised code: unique per user.
    pub code_mac: Vec<u8>,
    /// When generated.
    pub created_at: DateTime<Utc>,
    /// When used.
    pub used_at: Option<DateTime<Utc>>,
}

/// A WebAuthn credential as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnRow {
    /// UUIDv7 id.
    pub id: Uuid,
    /// Whose.
    pub user_id: Uuid,
    /// The name the user gave it.
    pub name: String,
    /// The authenticator's credential id: unique across all users.
    pub credential_id: Vec<u8>,
    /// The verifier's serialised credential (public key, counter, backup flags), JSON text.
    pub credential: String,
    /// `passkey` (may sign in alone) or `security_key` (second factor only).
    pub kind: String,
    /// The signature counter last seen.
    pub sign_count: i64,
    /// Whether the authenticator may back the credential up (synced passkey).
    pub backup_eligible: bool,
    /// Whether it was backed up when last used.
    pub backup_state: bool,
    /// When registered.
    pub created_at: DateTime<Utc>,
    /// When last used.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A sign-in or ceremony in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeRow {
    /// UUIDv7 id.
    pub id: Uuid,
    /// SHA-256 of the random token the browser holds: unique.
    pub token_hash: Vec<u8>,
    /// What it is: `sign_in` (first factor done, second pending), `webauthn_register`,
    /// `webauthn_sign_in`, `step_up`, ….
    pub kind: String,
    /// Whose, when known.
    pub user_id: Option<Uuid>,
    /// The session it belongs to, when started from one (enrolment, step-up).
    pub session_id: Option<Uuid>,
    /// Sealed JSON state (ceremony state, how the first factor was met, where to continue).
    pub state: Vec<u8>,
    /// Wrong answers so far.
    pub attempts: i32,
    /// When made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When used up.
    pub consumed_at: Option<DateTime<Utc>>,
}

/// Which factors a user has, without secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactorSummary {
    /// Confirmed TOTP devices.
    pub totp: i64,
    /// Unused recovery codes.
    pub recovery_codes: i64,
    /// WebAuthn credentials of kind `security_key`.
    pub security_keys: i64,
    /// WebAuthn credentials of kind `passkey`.
    pub passkeys: i64,
}

impl FactorSummary {
    /// Whether the user has a second factor (a confirmed TOTP device or any WebAuthn
    /// credential; recovery codes alone do not count).
    pub fn has_second_factor(&self) -> bool {
        self.totp > 0 || self.security_keys > 0 || self.passkeys > 0
    }
}

/// Stand-alone MFA reads and the one-time consumptions that need no other change.
#[async_trait]
pub trait MfaStore: Send + Sync {
    /// The user's TOTP devices, confirmed or not, oldest first.
    async fn totp_devices(&self, user_id: Uuid) -> Result<Vec<TotpRow>, StoreError>;

    /// One of the user's TOTP devices.
    async fn totp_device(&self, user_id: Uuid, id: Uuid) -> Result<Option<TotpRow>, StoreError>;

    /// Accepts time step `step` for a confirmed device in one conditional update: true only
    /// when `last_step` was null or lower (it becomes `step`, `last_used_at` becomes `now`), so
    /// a step is accepted once even when two nodes receive it at the same moment.
    async fn accept_totp_step(
        &self,
        id: Uuid,
        step: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// The user's WebAuthn credentials, oldest first.
    async fn webauthn_credentials(&self, user_id: Uuid) -> Result<Vec<WebauthnRow>, StoreError>;

    /// The credential with this authenticator credential id, whoever owns it.
    async fn webauthn_by_credential_id(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<WebauthnRow>, StoreError>;

    /// Counts of the user's factors.
    async fn factor_summary(&self, user_id: Uuid) -> Result<FactorSummary, StoreError>;

    /// The challenge with this token digest if unconsumed and `expires_at > now`.
    async fn challenge(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<ChallengeRow>, StoreError>;

    /// The user's MFA enrolment deadline: the stored one, or `proposed` when none is stored
    /// yet (it is stored then, once: insert-if-absent, then read; concurrent callers all get
    /// the first stored value). `delete_all_factors` does not clear it.
    async fn enrolment_due(
        &self,
        user_id: Uuid,
        proposed: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, StoreError>;

    /// Deletes challenges that expired or were consumed before `before`. Returns how many.
    async fn prune_challenges(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// MFA changes inside a use case's transaction.
#[async_trait]
pub trait MfaWrites: Send {
    /// Inserts a TOTP device (unconfirmed or not).
    async fn insert_totp(&mut self, row: &TotpRow) -> Result<(), StoreError>;

    /// Confirms the user's unconfirmed device, recording `step` as its last step. True when
    /// this call confirmed it (false: no such device, or already confirmed).
    async fn confirm_totp(
        &mut self,
        user_id: Uuid,
        id: Uuid,
        step: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Renames one of the user's devices. True when it exists.
    async fn rename_totp(
        &mut self,
        user_id: Uuid,
        id: Uuid,
        name: &str,
    ) -> Result<bool, StoreError>;

    /// Deletes one of the user's devices. True when it existed.
    async fn delete_totp(&mut self, user_id: Uuid, id: Uuid) -> Result<bool, StoreError>;

    /// Deletes the user's devices that were never confirmed and began before `before`.
    async fn delete_unconfirmed_totp(
        &mut self,
        user_id: Uuid,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Replaces all the user's recovery codes (used or not) with `rows`.
    async fn replace_recovery_codes(
        &mut self,
        user_id: Uuid,
        rows: &[RecoveryCodeRow],
    ) -> Result<(), StoreError>;

    /// Uses the user's unused code with this digest in one conditional update. True when this
    /// call used it.
    async fn use_recovery_code(
        &mut self,
        user_id: Uuid,
        code_mac: &[u8],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Inserts a WebAuthn credential; `StoreError::AlreadyExists` when its credential id exists.
    async fn insert_webauthn(&mut self, row: &WebauthnRow) -> Result<(), StoreError>;

    /// Records a use: new serialised credential, counter and backup state, `last_used_at`.
    /// True when the credential exists.
    async fn update_webauthn_use(
        &mut self,
        id: Uuid,
        credential: &str,
        sign_count: i64,
        backup_state: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Renames one of the user's credentials. True when it exists.
    async fn rename_webauthn(
        &mut self,
        user_id: Uuid,
        id: Uuid,
        name: &str,
    ) -> Result<bool, StoreError>;

    /// Deletes one of the user's credentials. True when it existed.
    async fn delete_webauthn(&mut self, user_id: Uuid, id: Uuid) -> Result<bool, StoreError>;

    /// Deletes every factor of the user (TOTP devices, recovery codes, WebAuthn credentials).
    /// Returns how many rows went.
    async fn delete_all_factors(&mut self, user_id: Uuid) -> Result<u64, StoreError>;

    /// Inserts a challenge.
    async fn insert_challenge(&mut self, row: &ChallengeRow) -> Result<(), StoreError>;

    /// Consumes the challenge with this digest and kind if unconsumed and `expires_at > now`, in
    /// one conditional update; returns it, or `None`.
    async fn consume_challenge(
        &mut self,
        token_hash: &[u8],
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ChallengeRow>, StoreError>;

    /// Counts one wrong answer on a live challenge of this digest, in one conditional update
    /// (only while `attempts < max_attempts`); returns the new count, or `None` when the
    /// challenge is gone, expired or out of attempts.
    async fn spend_challenge_attempt(
        &mut self,
        token_hash: &[u8],
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<Option<i32>, StoreError>;

    /// Replaces the sealed state of a live challenge. True when it was live.
    async fn update_challenge_state(
        &mut self,
        token_hash: &[u8],
        state: &[u8],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}
