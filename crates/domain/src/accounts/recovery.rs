//! Forgotten passwords: a reset link (10 minutes, single use) built from the configured public
//! URL, the same answer for every address, and every session ended after the reset.

use super::{
    AccountError, Accounts, Password, RequestContext, digest, new_link_token,
    sign_up::{parse_email, take_ip_attempt},
    verification::token_row,
};
use crate::{
    audit::{Actor, Outcome, record},
    mail::{Email, EmailTemplate},
    store::{PasswordRow, ThrottleDecision},
};

const RESET: &str = "reset_password";

/// Mails a reset link if the address has an active account; answers the same either way.
pub async fn request_password_reset(
    accounts: &Accounts,
    context: &RequestContext,
    email: &str,
) -> Result<(), AccountError> {
    take_ip_attempt(accounts, "reset", context).await?;
    let email = parse_email(email)?;
    let now = accounts.clock.now();
    let Some(user) = accounts.store.users().by_email(email.normalized()).await? else {
        return Ok(());
    };
    let key = format!("reset:account:{}", user.id);
    if let ThrottleDecision::Blocked { .. } = accounts
        .store
        .throttle()
        .take_attempt(&key, &accounts.settings.code_throttle, now)
        .await?
    {
        return Ok(());
    }
    if user.status != "active" {
        return Ok(());
    }
    let (token, token_hash) = new_link_token()?;
    let mut transaction = accounts.store.begin().await?;
    transaction
        .revoke_one_time_tokens(user.id, RESET, now)
        .await?;
    transaction
        .insert_one_time_token(&token_row(
            RESET,
            Some(user.id),
            Some(&user.email),
            token_hash,
            now,
            accounts.settings.short_lifetime,
        ))
        .await?;
    let mail = Email::new(
        EmailTemplate::ResetPassword,
        &user.email,
        user.locale.as_deref(),
    )
    .with(
        "link",
        accounts
            .settings
            .link(&format!("/reset-password?token={token}")),
    );
    transaction
        .enqueue_job(&mail.into_job(&accounts.keyring, now).await?)
        .await?;
    let event = context.event(
        Actor::Anonymous,
        "user.password_reset_requested",
        Outcome::Success,
        Some(user.id),
        Some(email.as_str()),
    );
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    Ok(())
}

/// Sets a new password with a reset link's token, ends every session, and mails a notice.
pub async fn reset_password(
    accounts: &Accounts,
    context: &RequestContext,
    token: &str,
    new_password: &str,
) -> Result<(), AccountError> {
    let password = Password::new(new_password);
    let policy = &accounts.settings.password_policy;
    policy
        .check(&password, false, &[])
        .map_err(AccountError::Password)?;
    let hash = accounts.hasher.hash(&password).await?;
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    let row = transaction
        .consume_one_time_token(&digest(token), RESET, now)
        .await?
        .ok_or(AccountError::InvalidLink)?;
    let user_id = row.user_id.ok_or(AccountError::InvalidLink)?;
    let Some(user) = transaction.lock_user(user_id).await? else {
        return Err(AccountError::InvalidLink);
    };
    let user = super::User::from_row(user)?;
    // Checked again with the user's own words; a refusal rolls back, so the link still works.
    policy
        .check(&password, false, &user.personal_words())
        .map_err(AccountError::Password)?;
    transaction
        .set_password(&PasswordRow {
            user_id,
            hash,
            updated_at: now,
        })
        .await?;
    transaction.revoke_sessions(user_id, None, now).await?;
    transaction
        .revoke_one_time_tokens(user_id, RESET, now)
        .await?;
    let mail = Email::new(
        EmailTemplate::PasswordChanged,
        user.email(),
        user.row.locale.as_deref(),
    )
    .with("time", now.format("%Y-%m-%d %H:%M UTC").to_string());
    transaction
        .enqueue_job(&mail.into_job(&accounts.keyring, now).await?)
        .await?;
    let event = context.event(
        Actor::User(user_id),
        "user.password_reset",
        Outcome::Success,
        Some(user_id),
        None,
    );
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    accounts.session_cache.clear();
    accounts
        .store
        .throttle()
        .clear(&format!("sign-in:account:{}", user.row.email_normalized))
        .await?;
    Ok(())
}
