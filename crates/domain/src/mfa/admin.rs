//! Administration: which factors a user has (never their secrets) and resetting them, audited,
//! with a mail to the user. The capability (`gatehouse:mfa.reset`) is checked by the caller's
//! route guard like every administrative action.

use uuid::Uuid;

use super::{Factors, factors};
use crate::{
    accounts::{AccountError, Accounts, RequestContext, User},
    audit::{Actor, Outcome, record},
    mail::{Email, EmailTemplate},
};

/// A user's factors as an administrator sees them.
pub type UserFactors = Factors;

/// The factors of `user`.
pub async fn user_factors(accounts: &Accounts, user: Uuid) -> Result<UserFactors, AccountError> {
    factors(accounts, user).await
}

/// Removes every factor of `target` (TOTP devices, WebAuthn credentials, recovery codes) for
/// administrator `admin`. Returns how many went. The user is told by mail.
pub async fn reset_factors(
    accounts: &Accounts,
    context: &RequestContext,
    admin: Uuid,
    target: Uuid,
) -> Result<u64, AccountError> {
    reset_factors_by(accounts, context, Actor::User(admin), target).await
}

/// [`reset_factors`] by any actor (a service account of the management API too).
pub async fn reset_factors_by(
    accounts: &Accounts,
    context: &RequestContext,
    actor: Actor,
    target: Uuid,
) -> Result<u64, AccountError> {
    let row = accounts
        .store
        .users()
        .by_id(target)
        .await?
        .ok_or(AccountError::NotFound)?;
    let user = User::from_row(row)?;
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    let removed = transaction.delete_all_factors(target).await?;
    let mut event = context.event(actor, "mfa.reset", Outcome::Success, Some(target), None);
    event.details = Some(serde_json::json!({ "removed": removed }));
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    let mail = Email::new(
        EmailTemplate::MfaReset,
        user.email(),
        user.row.locale.as_deref(),
    )
    .with("time", now.format("%Y-%m-%d %H:%M UTC").to_string())
    .with("link", accounts.settings.link("/account/mfa"));
    transaction
        .enqueue_job(&mail.into_job(&accounts.keyring, now).await?)
        .await?;
    transaction.commit().await?;
    Ok(removed)
}
