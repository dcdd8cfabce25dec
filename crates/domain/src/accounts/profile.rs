//! Changes a signed-in user makes to their own account. Changing the password or the address
//! needs the current password (SECURITY.md: re-authentication).

use super::{
    AccountError, Accounts, CurrentSession, Password, RequestContext, Verification, digest,
    new_link_token,
    sessions::start_session,
    sign_up::{optional_text, parse_email},
    verification::token_row,
};
use crate::{
    audit::{Actor, Outcome, record},
    mail::{Email, EmailTemplate},
    store::{PasswordRow, SessionRow, ThrottleDecision, UserRow},
};

const CHANGE_EMAIL: &str = "change_email";

/// Profile fields to set (`None` leaves a field unchanged; an empty string clears it).
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    /// How to be shown.
    pub display_name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Language (BCP 47, e.g. `en`, `de-AT`).
    pub locale: Option<String>,
    /// Picture URL (https).
    pub picture_url: Option<String>,
    /// Custom attributes, a JSON object.
    pub attributes: Option<serde_json::Value>,
}

fn valid_locale(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 35
        && tag.split('-').all(|part| {
            !part.is_empty() && part.len() <= 8 && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

/// Applies profile `changes` to `user` (validated: names, locale, https picture, attributes).
pub(crate) fn apply(
    accounts: &Accounts,
    user: &mut UserRow,
    changes: ProfileChanges,
) -> Result<(), AccountError> {
    let set =
        |field, value: Option<String>, target: &mut Option<String>| -> Result<(), AccountError> {
            if let Some(value) = value {
                *target = optional_text(field, Some(value))?;
            }
            Ok(())
        };
    set("display_name", changes.display_name, &mut user.display_name)?;
    set("given_name", changes.given_name, &mut user.given_name)?;
    set("family_name", changes.family_name, &mut user.family_name)?;
    set("locale", changes.locale, &mut user.locale)?;
    set("picture_url", changes.picture_url, &mut user.picture_url)?;
    if user.locale.as_deref().is_some_and(|tag| !valid_locale(tag)) {
        return Err(AccountError::Invalid {
            field: "locale",
            message: "a language tag such as en or de-AT".to_owned(),
        });
    }
    if user
        .picture_url
        .as_deref()
        .is_some_and(|url| !url.starts_with("https://"))
    {
        return Err(AccountError::Invalid {
            field: "picture_url",
            message: "an https:// address".to_owned(),
        });
    }
    if let Some(attributes) = changes.attributes {
        let text = attributes.to_string();
        if !attributes.is_object() || text.len() > accounts.settings.max_attributes_bytes {
            let message = format!(
                "a JSON object of at most {} bytes",
                accounts.settings.max_attributes_bytes
            );
            return Err(AccountError::Invalid {
                field: "attributes",
                message,
            });
        }
        user.attributes = text;
    }
    Ok(())
}

/// Updates the user's profile.
pub async fn update_profile(
    accounts: &Accounts,
    context: &RequestContext,
    current: &CurrentSession,
    changes: ProfileChanges,
) -> Result<UserRow, AccountError> {
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    let mut user = transaction
        .lock_user(current.user.id())
        .await?
        .ok_or(AccountError::NotSignedIn)?;
    apply(accounts, &mut user, changes)?;
    user.updated_at = now;
    transaction.update_user(&user).await?;
    let event = context.event(
        Actor::User(user.id),
        "user.profile_updated",
        Outcome::Success,
        Some(user.id),
        None,
    );
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    accounts.session_cache.clear();
    Ok(user)
}

/// Re-authentication with the current password, throttled like sign-in on the same counter, so
/// a stolen session cannot be used to guess the password.
pub(crate) async fn check_current_password(
    accounts: &Accounts,
    current: &CurrentSession,
    password: &str,
) -> Result<(), AccountError> {
    let key = format!("sign-in:account:{}", current.user.row.email_normalized);
    let now = accounts.clock.now();
    if let ThrottleDecision::Blocked { until } = accounts
        .store
        .throttle()
        .take_attempt(&key, &accounts.settings.account_throttle, now)
        .await?
    {
        return Err(AccountError::Throttled { until });
    }
    let stored = accounts
        .store
        .users()
        .password(current.user.id())
        .await?
        .map(|row| row.hash);
    match accounts
        .hasher
        .verify(&Password::new(password), stored.as_deref())
        .await?
    {
        Verification::Match { .. } => {
            accounts.store.throttle().clear(&key).await?;
            Ok(())
        }
        Verification::Mismatch => Err(AccountError::InvalidCredentials),
    }
}

/// Changes the password (current one required), ends every other session and renews the
/// current one. Returns the new session's cookie value and row.
pub async fn change_password(
    accounts: &Accounts,
    context: &RequestContext,
    current: &CurrentSession,
    current_password: &str,
    new_password: &str,
) -> Result<(String, SessionRow), AccountError> {
    crate::mfa::ensure_recent(accounts, current).await?;
    check_current_password(accounts, current, current_password).await?;
    let password = Password::new(new_password);
    let has_mfa = accounts
        .store
        .mfa()
        .factor_summary(current.user.id())
        .await?
        .has_second_factor();
    accounts
        .settings
        .password_policy
        .check(&password, has_mfa, &current.user.personal_words())
        .map_err(AccountError::Password)?;
    let hash = accounts.hasher.hash(&password).await?;
    let now = accounts.clock.now();
    let user = &current.user;
    let mut transaction = accounts.store.begin().await?;
    transaction
        .set_password(&PasswordRow {
            user_id: user.id(),
            hash,
            updated_at: now,
        })
        .await?;
    transaction.revoke_sessions(user.id(), None, now).await?;
    let renewed = start_session(
        &mut *transaction,
        accounts,
        context,
        user.id(),
        &current.session.amr,
        now,
    )
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
        Actor::User(user.id()),
        "user.password_changed",
        Outcome::Success,
        Some(user.id()),
        None,
    );
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    accounts.session_cache.clear();
    Ok(renewed)
}

/// Starts an address change (current password required): a confirmation link goes to the new
/// address and a notice to the old one.
pub async fn change_email(
    accounts: &Accounts,
    context: &RequestContext,
    current: &CurrentSession,
    current_password: &str,
    new_email: &str,
) -> Result<(), AccountError> {
    crate::mfa::ensure_recent(accounts, current).await?;
    check_current_password(accounts, current, current_password).await?;
    let email = parse_email(new_email)?;
    if email.normalized() == current.user.row.email_normalized {
        return Err(AccountError::Invalid {
            field: "email",
            message: "this is already your address".to_owned(),
        });
    }
    let now = accounts.clock.now();
    let user = &current.user;
    let (token, token_hash) = new_link_token()?;
    let mut transaction = accounts.store.begin().await?;
    transaction
        .revoke_one_time_tokens(user.id(), CHANGE_EMAIL, now)
        .await?;
    let row = token_row(
        CHANGE_EMAIL,
        Some(user.id()),
        Some(email.as_str()),
        token_hash,
        now,
        accounts.settings.verification_link_lifetime,
    );
    transaction.insert_one_time_token(&row).await?;
    let locale = user.row.locale.as_deref();
    let confirm = Email::new(EmailTemplate::ConfirmNewEmail, email.as_str(), locale).with(
        "link",
        accounts
            .settings
            .link(&format!("/confirm-email?token={token}")),
    );
    let notice = Email::new(EmailTemplate::EmailChangeRequested, user.email(), locale)
        .with("new_email", email.as_str());
    transaction
        .enqueue_job(&confirm.into_job(&accounts.keyring, now).await?)
        .await?;
    transaction
        .enqueue_job(&notice.into_job(&accounts.keyring, now).await?)
        .await?;
    let event = context.event(
        Actor::User(user.id()),
        "user.email_change_requested",
        Outcome::Success,
        Some(user.id()),
        Some(email.as_str()),
    );
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    Ok(())
}

/// Completes an address change with the link sent to the new address.
pub async fn confirm_email_change(
    accounts: &Accounts,
    context: &RequestContext,
    token: &str,
) -> Result<(), AccountError> {
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    let row = transaction
        .consume_one_time_token(&digest(token), CHANGE_EMAIL, now)
        .await?
        .ok_or(AccountError::InvalidLink)?;
    let (Some(user_id), Some(new_email)) = (row.user_id, row.email) else {
        return Err(AccountError::InvalidLink);
    };
    let email = parse_email(&new_email)?;
    let mut user = transaction
        .lock_user(user_id)
        .await?
        .ok_or(AccountError::InvalidLink)?;
    user.email = email.as_str().to_owned();
    user.email_normalized = email.normalized().to_owned();
    user.email_verified_at = Some(now);
    user.updated_at = now;
    match transaction.update_user(&user).await {
        Err(crate::StoreError::AlreadyExists(_)) => return Err(AccountError::EmailTaken),
        other => other?,
    };
    let event = context.event(
        Actor::User(user_id),
        "user.email_changed",
        Outcome::Success,
        Some(user_id),
        Some(email.as_str()),
    );
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    accounts.session_cache.clear();
    Ok(())
}
