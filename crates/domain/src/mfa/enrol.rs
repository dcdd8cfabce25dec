//! Enrolling, listing, renaming and removing second factors. A TOTP device counts once its
//! first code confirmed it; the first second factor comes with a set of recovery codes, shown
//! once. Removing the last second factor needs the password, which must then meet the
//! single-factor length (SECURITY.md).

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{MfaPolicy, recovery_codes, totp};
use crate::{
    accounts::{AccountError, Accounts, CurrentSession, RequestContext, User},
    audit::{Actor, Outcome, record},
    secrets::purpose,
    store::{ThrottleDecision, TotpRow, Transaction, WebauthnRow, new_id},
};

/// Unconfirmed TOTP devices older than this are cleared when a new enrolment begins.
const UNCONFIRMED_LIFETIME: Duration = Duration::hours(1);
/// Longest factor name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

pub(crate) fn seed_context(device: Uuid) -> Vec<u8> {
    let mut context = b"totp-seed:".to_vec();
    context.extend_from_slice(device.as_bytes());
    context
}

/// A TOTP enrolment in progress: what the enrolment page shows.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    /// The unconfirmed device.
    pub device_id: Uuid,
    /// Its name.
    pub name: String,
    /// The seed in base32, grouped by four, for typing.
    pub secret: String,
    /// The `otpauth://` URI (for the QR code).
    pub uri: String,
}

/// A confirmed TOTP device, without its seed.
#[derive(Debug, Clone)]
pub struct TotpDevice {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// When added.
    pub created_at: DateTime<Utc>,
    /// When a code was last accepted.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A WebAuthn credential, without its key material.
#[derive(Debug, Clone)]
pub struct WebauthnCredential {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// `passkey` or `security_key`.
    pub kind: String,
    /// Synced (backed up) when last seen.
    pub backed_up: bool,
    /// When added.
    pub created_at: DateTime<Utc>,
    /// When last used.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<WebauthnRow> for WebauthnCredential {
    fn from(row: WebauthnRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            kind: row.kind,
            backed_up: row.backup_state,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        }
    }
}

/// A user's factors, without secrets.
#[derive(Debug, Clone, Default)]
pub struct Factors {
    /// Confirmed TOTP devices.
    pub totp: Vec<TotpDevice>,
    /// WebAuthn credentials.
    pub webauthn: Vec<WebauthnCredential>,
    /// Unused recovery codes.
    pub recovery_codes_remaining: i64,
}

impl Factors {
    /// Whether any second factor is enrolled.
    pub fn has_second_factor(&self) -> bool {
        !self.totp.is_empty() || !self.webauthn.is_empty()
    }
}

/// The user's factors.
pub async fn factors(accounts: &Accounts, user: Uuid) -> Result<Factors, AccountError> {
    let mfa = accounts.store.mfa();
    let totp = mfa
        .totp_devices(user)
        .await?
        .into_iter()
        .filter(|row| row.confirmed_at.is_some())
        .map(|row| TotpDevice {
            id: row.id,
            name: row.name,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        })
        .collect();
    let webauthn = mfa
        .webauthn_credentials(user)
        .await?
        .into_iter()
        .map(WebauthnCredential::from)
        .collect();
    let summary = mfa.factor_summary(user).await?;
    Ok(Factors {
        totp,
        webauthn,
        recovery_codes_remaining: summary.recovery_codes,
    })
}

/// A factor name: trimmed, 1 to 64 characters, no control characters; `default` when empty.
pub fn factor_name(typed: &str, default: &str) -> Result<String, AccountError> {
    let name = typed.trim();
    if name.is_empty() {
        return Ok(default.to_owned());
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AccountError::Invalid {
            field: "name",
            message: format!("use 1 to {MAX_NAME_CHARS} characters"),
        });
    }
    Ok(name.to_owned())
}

pub(crate) fn ensure_enrolment_allowed(accounts: &Accounts) -> Result<(), AccountError> {
    if accounts.settings.mfa.policy == MfaPolicy::Off {
        return Err(AccountError::Invalid {
            field: "mfa",
            message: "second factors are turned off on this server".to_owned(),
        });
    }
    Ok(())
}

#[expect(clippy::too_many_arguments, reason = "the parts of one audit event")]
pub(crate) async fn audit(
    transaction: &mut dyn Transaction,
    accounts: &Accounts,
    context: &RequestContext,
    actor: Uuid,
    subject: Uuid,
    action: &str,
    details: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let mut event = context.event(
        Actor::User(actor),
        action,
        Outcome::Success,
        Some(subject),
        None,
    );
    event.details = Some(details);
    record(transaction, &accounts.keyring, now, event).await?;
    Ok(())
}

/// Begins enrolling a TOTP device for `user`: a new seed, sealed, on an unconfirmed device.
pub async fn begin_totp(
    accounts: &Accounts,
    user: &User,
    name: &str,
) -> Result<TotpEnrolment, AccountError> {
    ensure_enrolment_allowed(accounts)?;
    let name = factor_name(name, "Authenticator app")?;
    let now = accounts.clock.now();
    let seed = totp::new_seed()?;
    let id = new_id();
    let key = accounts.keyring.key(purpose::MFA).await?;
    let row = TotpRow {
        id,
        user_id: user.id(),
        name: name.clone(),
        secret: key.seal(&seed, &seed_context(id))?,
        created_at: now,
        confirmed_at: None,
        last_step: None,
        last_used_at: None,
    };
    let mut transaction = accounts.store.begin().await?;
    transaction
        .delete_unconfirmed_totp(user.id(), now - UNCONFIRMED_LIFETIME)
        .await?;
    transaction.insert_totp(&row).await?;
    transaction.commit().await?;
    Ok(TotpEnrolment {
        device_id: id,
        name,
        secret: totp::grouped_base32(&seed),
        uri: totp::otpauth_uri(&accounts.settings.mfa.issuer, user.email(), &seed),
    })
}

/// The enrolment of an unconfirmed device of `user` (to show its QR code again).
pub async fn totp_enrolment(
    accounts: &Accounts,
    user: &User,
    device: Uuid,
) -> Result<Option<TotpEnrolment>, AccountError> {
    let Some(row) = accounts.store.mfa().totp_device(user.id(), device).await? else {
        return Ok(None);
    };
    if row.confirmed_at.is_some() {
        return Ok(None);
    }
    let key = accounts.keyring.key(purpose::MFA).await?;
    let seed = key.open(&row.secret, &seed_context(row.id))?;
    Ok(Some(TotpEnrolment {
        device_id: row.id,
        name: row.name,
        secret: totp::grouped_base32(&seed),
        uri: totp::otpauth_uri(&accounts.settings.mfa.issuer, user.email(), &seed),
    }))
}

/// New recovery codes in `transaction` when the user has none left; the codes to show.
pub(crate) async fn recovery_codes_if_none(
    transaction: &mut dyn Transaction,
    accounts: &Accounts,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Vec<String>>, AccountError> {
    if accounts
        .store
        .mfa()
        .factor_summary(user)
        .await?
        .recovery_codes
        > 0
    {
        return Ok(None);
    }
    let key = accounts.keyring.key(purpose::MFA).await?;
    let (codes, rows) = recovery_codes::new_set(&key, user, now)?;
    transaction.replace_recovery_codes(user, &rows).await?;
    Ok(Some(codes))
}

/// Confirms an enrolment with the first code from the app. Returns the recovery codes to show
/// when this was the user's first second factor (or they had no codes left).
pub async fn confirm_totp(
    accounts: &Accounts,
    context: &RequestContext,
    user: &User,
    device: Uuid,
    code: &str,
) -> Result<Option<Vec<String>>, AccountError> {
    let now = accounts.clock.now();
    let throttle = format!("mfa-enrol:account:{}", user.id());
    if let ThrottleDecision::Blocked { until } = accounts
        .store
        .throttle()
        .take_attempt(&throttle, &accounts.settings.account_throttle, now)
        .await?
    {
        return Err(AccountError::Throttled { until });
    }
    let row = accounts
        .store
        .mfa()
        .totp_device(user.id(), device)
        .await?
        .filter(|row| row.confirmed_at.is_none())
        .ok_or(AccountError::NotFound)?;
    let key = accounts.keyring.key(purpose::MFA).await?;
    let seed = key.open(&row.secret, &seed_context(row.id))?;
    let seconds = u64::try_from(now.timestamp()).unwrap_or_default();
    let Some(step) = totp::matching_step(&seed, code, seconds)? else {
        return Err(AccountError::InvalidFactorCode);
    };
    let mut transaction = accounts.store.begin().await?;
    if !transaction
        .confirm_totp(
            user.id(),
            device,
            i64::try_from(step).unwrap_or(i64::MAX),
            now,
        )
        .await?
    {
        return Err(AccountError::NotFound);
    }
    let codes = recovery_codes_if_none(&mut *transaction, accounts, user.id(), now).await?;
    audit(
        &mut *transaction,
        accounts,
        context,
        user.id(),
        user.id(),
        "mfa.enrolled",
        serde_json::json!({ "factor": "totp", "device": device }),
        now,
    )
    .await?;
    transaction.commit().await?;
    accounts.store.throttle().clear(&throttle).await?;
    Ok(codes)
}

/// Replaces the caller's recovery codes with a new set (the old ones stop working); the codes
/// to show once.
pub async fn regenerate_recovery_codes(
    accounts: &Accounts,
    context: &RequestContext,
    current: &CurrentSession,
) -> Result<Vec<String>, AccountError> {
    super::ensure_recent(accounts, current).await?;
    let summary = accounts
        .store
        .mfa()
        .factor_summary(current.user.id())
        .await?;
    if !summary.has_second_factor() {
        return Err(AccountError::Invalid {
            field: "mfa",
            message: "add a second factor first".to_owned(),
        });
    }
    let now = accounts.clock.now();
    let key = accounts.keyring.key(purpose::MFA).await?;
    let (codes, rows) = recovery_codes::new_set(&key, current.user.id(), now)?;
    let mut transaction = accounts.store.begin().await?;
    transaction
        .replace_recovery_codes(current.user.id(), &rows)
        .await?;
    audit(
        &mut *transaction,
        accounts,
        context,
        current.user.id(),
        current.user.id(),
        "mfa.recovery_codes_regenerated",
        serde_json::json!({ "count": codes.len() }),
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok(codes)
}
