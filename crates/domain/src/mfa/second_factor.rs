//! The second step of a challenge: a TOTP code or a recovery code (WebAuthn lives in
//! `webauthn.rs`). Wrong answers count against the challenge (it dies after the configured
//! number) and against the account, throttled like passwords. A TOTP step and a recovery code
//! are each accepted once, by one conditional update, also across nodes.

use chrono::{DateTime, Utc};

use super::{
    Pending, amr,
    challenge::{Completed, finish_challenge},
    pending, recovery_codes, totp,
};
use crate::{
    accounts::{AccountError, Accounts, RequestContext},
    audit::{Actor, Outcome, record},
    mail::{Email, EmailTemplate},
    secrets::purpose,
    store::ThrottleDecision,
};

fn throttle_key(pending: &Pending) -> String {
    format!("mfa:account:{}", pending.user.id())
}

/// Counts a throttled attempt for the account; Err when it is blocked.
pub(crate) async fn take_attempt(
    accounts: &Accounts,
    context: &RequestContext,
    pending: &Pending,
    method: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    if let ThrottleDecision::Blocked { until } = accounts
        .store
        .throttle()
        .take_attempt(
            &throttle_key(pending),
            &accounts.settings.account_throttle,
            now,
        )
        .await?
    {
        record_failure(accounts, context, pending, method, "throttled", now).await?;
        return Err(AccountError::Throttled { until });
    }
    Ok(())
}

/// Records a wrong answer: the challenge's attempt count, and an audit event.
pub(crate) async fn record_failure(
    accounts: &Accounts,
    context: &RequestContext,
    pending: &Pending,
    method: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, AccountError> {
    let mut transaction = accounts.store.begin().await?;
    let left = transaction
        .spend_challenge_attempt(
            &pending.row.token_hash,
            accounts.settings.mfa.challenge_attempts,
            now,
        )
        .await?
        .is_some_and(|attempts| attempts < accounts.settings.mfa.challenge_attempts);
    let mut event = context.event(
        Actor::Anonymous,
        "mfa.challenge",
        Outcome::Failure,
        Some(pending.user.id()),
        None,
    );
    event.details = Some(serde_json::json!({ "method": method, "reason": reason }));
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    Ok(left)
}

async fn wrong(
    accounts: &Accounts,
    context: &RequestContext,
    pending: &Pending,
    method: &str,
    now: DateTime<Utc>,
) -> AccountError {
    match record_failure(accounts, context, pending, method, "wrong_code", now).await {
        Ok(true) => AccountError::InvalidFactorCode,
        Ok(false) => AccountError::ChallengeExpired,
        Err(error) => error,
    }
}

pub(crate) fn success_event(
    context: &RequestContext,
    pending: &Pending,
    method: &str,
) -> crate::audit::AuditEvent {
    let mut event = context.event(
        Actor::User(pending.user.id()),
        match pending.kind {
            super::PendingKind::SignIn => "user.signed_in",
            super::PendingKind::StepUp => "user.stepped_up",
        },
        Outcome::Success,
        Some(pending.user.id()),
        None,
    );
    event.details = Some(serde_json::json!({ "second_factor": method }));
    event
}

/// After a sign-in finished: the last sign-in time, the throttle forgotten.
pub(crate) async fn after_success(
    accounts: &Accounts,
    pending: &Pending,
    completed: &Completed,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    accounts.session_cache.forget_user(pending.user.id());
    accounts
        .store
        .throttle()
        .clear(&throttle_key(pending))
        .await?;
    if let Completed::SignedIn(signed_in) = completed {
        accounts
            .store
            .users()
            .record_sign_in(signed_in.user.id(), now)
            .await?;
    }
    Ok(())
}

/// Answers the challenge `token` with a TOTP code from any of the user's confirmed devices.
pub async fn verify_totp(
    accounts: &Accounts,
    context: &RequestContext,
    token: &str,
    code: &str,
) -> Result<Completed, AccountError> {
    let now = accounts.clock.now();
    let pending = pending(accounts, token)
        .await?
        .ok_or(AccountError::ChallengeExpired)?;
    take_attempt(accounts, context, &pending, "totp", now).await?;
    let seconds = u64::try_from(now.timestamp()).unwrap_or_default();
    let key = accounts.keyring.key(purpose::MFA).await?;
    let mut accepted = None;
    for device in accounts.store.mfa().totp_devices(pending.user.id()).await? {
        if device.confirmed_at.is_none() {
            continue;
        }
        let seed = key.open(&device.secret, &super::enrol::seed_context(device.id))?;
        if let Some(step) = totp::matching_step(&seed, code, seconds)?
            && accounts
                .store
                .mfa()
                .accept_totp_step(device.id, i64::try_from(step).unwrap_or(i64::MAX), now)
                .await?
        {
            accepted = Some(device);
            break;
        }
    }
    let Some(device) = accepted else {
        return Err(wrong(accounts, context, &pending, "totp", now).await);
    };
    let mut transaction = accounts.store.begin().await?;
    let completed = finish_challenge(
        &mut *transaction,
        accounts,
        context,
        &pending,
        &[amr::OTP],
        now,
    )
    .await?;
    let mut event = success_event(context, &pending, "totp");
    if let Some(details) = event.details.as_mut() {
        details["device"] = serde_json::json!(device.id);
    }
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    after_success(accounts, &pending, &completed, now).await?;
    Ok(completed)
}

/// Answers the challenge `token` with one of the user's recovery codes. The code is used up;
/// the user gets a mail saying so, with how many are left.
pub async fn verify_recovery_code(
    accounts: &Accounts,
    context: &RequestContext,
    token: &str,
    code: &str,
) -> Result<Completed, AccountError> {
    let now = accounts.clock.now();
    let pending = pending(accounts, token)
        .await?
        .ok_or(AccountError::ChallengeExpired)?;
    take_attempt(accounts, context, &pending, "recovery_code", now).await?;
    let Some(normalized) = recovery_codes::normalize(code) else {
        return Err(wrong(accounts, context, &pending, "recovery_code", now).await);
    };
    let key = accounts.keyring.key(purpose::MFA).await?;
    let mac = recovery_codes::digest(&key, pending.user.id(), &normalized);
    let mut transaction = accounts.store.begin().await?;
    if !transaction
        .use_recovery_code(pending.user.id(), &mac, now)
        .await?
    {
        transaction.rollback().await?;
        return Err(wrong(accounts, context, &pending, "recovery_code", now).await);
    }
    let completed = finish_challenge(
        &mut *transaction,
        accounts,
        context,
        &pending,
        &[amr::OTP],
        now,
    )
    .await?;
    record(
        &mut *transaction,
        &accounts.keyring,
        now,
        success_event(context, &pending, "recovery_code"),
    )
    .await?;
    let mut used = context.event(
        Actor::User(pending.user.id()),
        "mfa.recovery_code_used",
        Outcome::Success,
        Some(pending.user.id()),
        None,
    );
    let remaining = (pending.factors.recovery_codes - 1).max(0);
    used.details = Some(serde_json::json!({ "remaining": remaining }));
    record(&mut *transaction, &accounts.keyring, now, used).await?;
    let mail = Email::new(
        EmailTemplate::RecoveryCodeUsed,
        pending.user.email(),
        pending.user.row.locale.as_deref(),
    )
    .with("remaining", remaining.to_string())
    .with("time", now.format("%Y-%m-%d %H:%M UTC").to_string())
    .with("link", accounts.settings.link("/account/mfa"));
    transaction
        .enqueue_job(&mail.into_job(&accounts.keyring, now).await?)
        .await?;
    transaction.commit().await?;
    after_success(accounts, &pending, &completed, now).await?;
    Ok(completed)
}

/// Finishes a sign-in that asked the user to enrol: allowed when they now have a second factor
/// (enrolled on the way), or while their grace period lasts (postponed).
pub async fn skip_enrolment(
    accounts: &Accounts,
    context: &RequestContext,
    token: &str,
) -> Result<Completed, AccountError> {
    let now = accounts.clock.now();
    let pending = pending(accounts, token)
        .await?
        .ok_or(AccountError::ChallengeExpired)?;
    if !pending.enrol {
        return Err(AccountError::ChallengeExpired);
    }
    let enrolled_now = pending.factors.has_second_factor();
    if !enrolled_now && pending.may_skip_until.is_none() {
        return Err(AccountError::Invalid {
            field: "mfa",
            message: "set up a second factor to continue".to_owned(),
        });
    }
    let methods: &[&str] = if enrolled_now {
        &[amr::MULTI_FACTOR]
    } else {
        &[]
    };
    let mut transaction = accounts.store.begin().await?;
    let completed =
        finish_challenge(&mut *transaction, accounts, context, &pending, methods, now).await?;
    let mut event = context.event(
        Actor::User(pending.user.id()),
        "user.signed_in",
        Outcome::Success,
        Some(pending.user.id()),
        None,
    );
    event.details = Some(serde_json::json!({
        "mfa_enrolment": if enrolled_now { "enrolled" } else { "postponed" }
    }));
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    after_success(accounts, &pending, &completed, now).await?;
    Ok(completed)
}
