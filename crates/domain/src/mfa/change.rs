//! Renaming and removing one of the caller's second factors (an authenticator app or a WebAuthn
//! credential). Removing the last one needs the password, which must then meet the
//! single-factor length (SECURITY.md); the recovery codes go with it.

use uuid::Uuid;

use super::enrol::{audit, factor_name};
use crate::accounts::{
    AccountError, Accounts, CurrentSession, Password, PasswordProblem, RequestContext,
    check_current_password,
};

/// One of a user's second factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorId {
    /// A confirmed TOTP device.
    Totp(Uuid),
    /// A WebAuthn credential (security key or passkey).
    Webauthn(Uuid),
}

impl FactorId {
    fn default_name(self) -> &'static str {
        match self {
            Self::Totp(_) => "Authenticator app",
            Self::Webauthn(_) => "Security key",
        }
    }

    /// The audit details naming it.
    fn details(self) -> serde_json::Value {
        match self {
            Self::Totp(device) => serde_json::json!({ "factor": "totp", "device": device }),
            Self::Webauthn(credential) => {
                serde_json::json!({ "factor": "webauthn", "credential": credential })
            }
        }
    }

    /// Whether the caller has it (an unconfirmed TOTP device does not count).
    async fn exists(self, accounts: &Accounts, user: Uuid) -> Result<bool, AccountError> {
        let mfa = accounts.store.mfa();
        Ok(match self {
            Self::Totp(device) => mfa
                .totp_device(user, device)
                .await?
                .is_some_and(|row| row.confirmed_at.is_some()),
            Self::Webauthn(credential) => mfa
                .webauthn_credentials(user)
                .await?
                .iter()
                .any(|row| row.id == credential),
        })
    }
}

/// Renames one of the caller's factors.
pub async fn rename_factor(
    accounts: &Accounts,
    context: &RequestContext,
    current: &CurrentSession,
    factor: FactorId,
    name: &str,
) -> Result<(), AccountError> {
    let name = factor_name(name, factor.default_name())?;
    let user = current.user.id();
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    let renamed = match factor {
        FactorId::Totp(device) => transaction.rename_totp(user, device, &name).await?,
        FactorId::Webauthn(credential) => {
            transaction.rename_webauthn(user, credential, &name).await?
        }
    };
    if !renamed {
        return Err(AccountError::NotFound);
    }
    let details = factor.details();
    audit(
        &mut *transaction,
        accounts,
        context,
        user,
        user,
        "mfa.renamed",
        details,
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Before removing one factor: when it is the last second factor, the password is required
/// and must meet the single-factor minimum length. True when it is the last.
async fn check_last_factor(
    accounts: &Accounts,
    current: &CurrentSession,
    password: Option<&str>,
) -> Result<bool, AccountError> {
    super::ensure_recent(accounts, current).await?;
    let summary = accounts
        .store
        .mfa()
        .factor_summary(current.user.id())
        .await?;
    let last = summary.totp + summary.security_keys + summary.passkeys <= 1;
    if !last {
        return Ok(false);
    }
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return Err(AccountError::Invalid {
            field: "password",
            message: "enter your password to remove your last second factor".to_owned(),
        });
    };
    check_current_password(accounts, current, password).await?;
    let minimum = accounts.settings.password_policy.minimum_length;
    if let Err(PasswordProblem::TooShort { .. }) = accounts.settings.password_policy.check(
        &Password::new(password),
        false,
        &current.user.personal_words(),
    ) {
        return Err(AccountError::PasswordTooShortForSingleFactor { minimum });
    }
    Ok(true)
}

/// Removes one of the caller's factors. `password` is needed when it is the last second
/// factor; the recovery codes go with the last one.
pub async fn remove_factor(
    accounts: &Accounts,
    context: &RequestContext,
    current: &CurrentSession,
    factor: FactorId,
    password: Option<&str>,
) -> Result<(), AccountError> {
    let user = current.user.id();
    if !factor.exists(accounts, user).await? {
        return Err(AccountError::NotFound);
    }
    let last = check_last_factor(accounts, current, password).await?;
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    let deleted = match factor {
        FactorId::Totp(device) => transaction.delete_totp(user, device).await?,
        FactorId::Webauthn(credential) => transaction.delete_webauthn(user, credential).await?,
    };
    if !deleted {
        return Err(AccountError::NotFound);
    }
    if last {
        transaction.replace_recovery_codes(user, &[]).await?;
    }
    let mut details = factor.details();
    details["last"] = serde_json::json!(last);
    audit(
        &mut *transaction,
        accounts,
        context,
        user,
        user,
        "mfa.removed",
        details,
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}
