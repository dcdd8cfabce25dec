//! Email verification by link (24 h) or six-digit code (10 min, five tries, throttled per
//! account; resending does not reset the throttle).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    AccountError, Accounts, RequestContext, digest, new_code, new_link_token, sign_up::parse_email,
};
use crate::{
    DomainError,
    audit::{Actor, Outcome, record},
    mail::{Email, EmailTemplate},
    secrets::purpose,
    store::{OneTimeTokenRow, ThrottleDecision, Transaction, UserRow, new_id},
};

/// Purpose of the verification link.
pub(super) const LINK: &str = "verify_email";
/// Purpose of the verification code.
pub(super) const CODE: &str = "verify_email_code";

/// The parts a code's MAC covers: the code is bound to its user and purpose.
fn code_parts<'a>(user: &'a Uuid, code: &'a str) -> [&'a [u8]; 4] {
    [
        b"gatehouse code\0",
        user.as_bytes(),
        CODE.as_bytes(),
        code.as_bytes(),
    ]
}

/// The stored form of a code: an HMAC under the `tokens` data key.
pub(super) async fn code_mac(
    accounts: &Accounts,
    user: Uuid,
    code: &str,
) -> Result<Vec<u8>, DomainError> {
    let key = accounts.keyring.key(purpose::TOKENS).await?;
    Ok(key.mac(&code_parts(&user, code)))
}

/// Whether `code` is the one whose MAC is `stored` (compared in constant time).
async fn code_matches(
    accounts: &Accounts,
    user: Uuid,
    code: &str,
    stored: &[u8],
) -> Result<bool, DomainError> {
    let key = accounts.keyring.key(purpose::TOKENS).await?;
    Ok(key.verify_mac(&code_parts(&user, code), stored))
}

pub(super) fn token_row(
    purpose: &str,
    user: Option<Uuid>,
    email: Option<&str>,
    token_hash: Vec<u8>,
    now: DateTime<Utc>,
    lifetime: chrono::Duration,
) -> OneTimeTokenRow {
    OneTimeTokenRow {
        id: new_id(),
        token_hash,
        purpose: purpose.to_owned(),
        user_id: user,
        email: email.map(str::to_owned),
        code_hash: None,
        attempts: 0,
        max_attempts: 1,
        created_at: now,
        expires_at: now + lifetime,
        consumed_at: None,
    }
}

/// Replaces the user's verification link and code with new ones and enqueues the mail.
pub(super) async fn issue_verification(
    transaction: &mut dyn Transaction,
    accounts: &Accounts,
    user: &UserRow,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let settings = &accounts.settings;
    transaction
        .revoke_one_time_tokens(user.id, LINK, now)
        .await?;
    transaction
        .revoke_one_time_tokens(user.id, CODE, now)
        .await?;
    let (token, token_hash) = new_link_token()?;
    let link = token_row(
        LINK,
        Some(user.id),
        Some(&user.email),
        token_hash,
        now,
        settings.verification_link_lifetime,
    );
    transaction.insert_one_time_token(&link).await?;
    let code = new_code()?;
    let (_, unused_hash) = new_link_token()?;
    let mut code_row = token_row(
        CODE,
        Some(user.id),
        Some(&user.email),
        unused_hash,
        now,
        settings.short_lifetime,
    );
    code_row.code_hash = Some(code_mac(accounts, user.id, &code).await?);
    code_row.max_attempts = settings.code_attempts;
    transaction.insert_one_time_token(&code_row).await?;
    let mail = Email::new(
        EmailTemplate::VerifyEmail,
        &user.email,
        user.locale.as_deref(),
    )
    .with(
        "link",
        settings.link(&format!("/verify-email?token={token}")),
    )
    .with("code", code);
    transaction
        .enqueue_job(&mail.into_job(&accounts.keyring, now).await?)
        .await?;
    Ok(())
}

async fn mark_verified(
    transaction: &mut dyn Transaction,
    accounts: &Accounts,
    context: &RequestContext,
    user_id: Uuid,
    email: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let Some(mut user) = transaction.lock_user(user_id).await? else {
        return Err(AccountError::InvalidLink);
    };
    if email.is_some_and(|email| email != user.email) {
        return Err(AccountError::InvalidLink);
    }
    user.email_verified_at.get_or_insert(now);
    user.updated_at = now;
    transaction.update_user(&user).await?;
    transaction
        .revoke_one_time_tokens(user.id, LINK, now)
        .await?;
    transaction
        .revoke_one_time_tokens(user.id, CODE, now)
        .await?;
    let event = context.event(
        Actor::User(user.id),
        "user.email_verified",
        Outcome::Success,
        Some(user.id),
        Some(&user.email),
    );
    record(transaction, &accounts.keyring, now, event).await?;
    Ok(())
}

/// Verifies the address with the link's token.
pub async fn verify_with_link(
    accounts: &Accounts,
    context: &RequestContext,
    token: &str,
) -> Result<Uuid, AccountError> {
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    let row = transaction
        .consume_one_time_token(&digest(token), LINK, now)
        .await?
        .ok_or(AccountError::InvalidLink)?;
    let user_id = row.user_id.ok_or(AccountError::InvalidLink)?;
    mark_verified(
        &mut *transaction,
        accounts,
        context,
        user_id,
        row.email.as_deref(),
        now,
    )
    .await?;
    transaction.commit().await?;
    accounts.session_cache.clear();
    Ok(user_id)
}

/// Verifies the address with the six-digit code mailed to it. Unknown addresses, wrong codes,
/// used and expired codes all answer `InvalidCode`.
pub async fn verify_with_code(
    accounts: &Accounts,
    context: &RequestContext,
    email: &str,
    code: &str,
) -> Result<Uuid, AccountError> {
    let email = parse_email(email)?;
    let code = code.trim();
    let now = accounts.clock.now();
    let Some(user) = accounts.store.users().by_email(email.normalized()).await? else {
        return Err(AccountError::InvalidCode);
    };
    let key = format!("verify-code:account:{}", user.id);
    if let ThrottleDecision::Blocked { until } = accounts
        .store
        .throttle()
        .take_attempt(&key, &accounts.settings.code_throttle, now)
        .await?
    {
        return Err(AccountError::Throttled { until });
    }
    let mut transaction = accounts.store.begin().await?;
    let Some(row) = transaction.spend_code_attempt(user.id, CODE, now).await? else {
        return Err(AccountError::InvalidCode);
    };
    let matches = match row.code_hash.as_deref() {
        Some(stored) => code_matches(accounts, user.id, code, stored).await?,
        None => false,
    };
    if !matches {
        let event = context.event(
            Actor::Anonymous,
            "user.email_verification_failed",
            Outcome::Failure,
            Some(user.id),
            Some(email.as_str()),
        );
        record(&mut *transaction, &accounts.keyring, now, event).await?;
        transaction.commit().await?;
        return Err(AccountError::InvalidCode);
    }
    if !transaction
        .consume_one_time_token_by_id(row.id, now)
        .await?
    {
        return Err(AccountError::InvalidCode);
    }
    mark_verified(
        &mut *transaction,
        accounts,
        context,
        user.id,
        row.email.as_deref(),
        now,
    )
    .await?;
    transaction.commit().await?;
    accounts.session_cache.clear();
    accounts.store.throttle().clear(&key).await?;
    Ok(user.id)
}

/// Sends a new link and code to an unverified address; the same answer for every address.
pub async fn resend_verification(
    accounts: &Accounts,
    context: &RequestContext,
    email: &str,
) -> Result<(), AccountError> {
    super::sign_up::take_ip_attempt(accounts, "resend-verification", context).await?;
    let email = parse_email(email)?;
    let now = accounts.clock.now();
    let Some(user) = accounts.store.users().by_email(email.normalized()).await? else {
        return Ok(());
    };
    if user.email_verified_at.is_some() {
        return Ok(());
    }
    let key = format!("resend-verification:account:{}", user.id);
    if let ThrottleDecision::Blocked { .. } = accounts
        .store
        .throttle()
        .take_attempt(&key, &accounts.settings.code_throttle, now)
        .await?
    {
        return Ok(());
    }
    let mut transaction = accounts.store.begin().await?;
    issue_verification(&mut *transaction, accounts, &user, now).await?;
    transaction.commit().await?;
    Ok(())
}
