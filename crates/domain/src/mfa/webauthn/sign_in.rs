//! Signing in with a passkey alone (discoverable credential, button or autofill).

use super::*;

/// Begins a passwordless sign-in with a passkey (the browser offers the user's discoverable
/// credentials, also in the address field's autofill). Returns the options for
/// `navigator.credentials.get()` (with `mediation: "conditional"`, which a sign-in button drops)
/// and the challenge token.
pub async fn begin_passkey_sign_in(accounts: &Accounts) -> Result<(Value, String), AccountError> {
    let webauthn = webauthn(accounts)?;
    let (options, state) = webauthn
        .start_discoverable_authentication()
        .map_err(|e| rejected(&e))?;
    let ceremony = Ceremony::Authenticate {
        authentication: Authentication::Discoverable(state),
    };
    let token = begin(accounts, PASSKEY_SIGN_IN, None, None, &ceremony).await?;
    Ok((to_json(&options)?, token))
}

async fn sign_in_failure(
    accounts: &Accounts,
    context: &RequestContext,
    user: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let mut event = context.event(
        Actor::Anonymous,
        "user.sign_in",
        Outcome::Failure,
        user,
        None,
    );
    event.details = Some(serde_json::json!({ "method": "passkey", "reason": reason }));
    record_alone(&*accounts.store, &accounts.keyring, now, event).await?;
    Ok(())
}

/// Records a refused passkey sign-in; the error to answer.
async fn refuse_sign_in(
    accounts: &Accounts,
    context: &RequestContext,
    user: Option<Uuid>,
    refusal: Refusal,
    now: DateTime<Utc>,
) -> AccountError {
    if refusal.reason == "internal" {
        return refusal.error;
    }
    match sign_in_failure(accounts, context, user, refusal.reason, now).await {
        Ok(()) => refusal.error,
        Err(error) => error,
    }
}

/// The per-IP sign-in throttle password sign-ins count against too.
async fn take_sign_in_ip_attempt(
    accounts: &Accounts,
    context: &RequestContext,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let Some(ip) = &context.ip else {
        return Ok(());
    };
    match accounts
        .store
        .throttle()
        .take_attempt(
            &format!("sign-in:ip:{ip}"),
            &accounts.settings.ip_throttle,
            now,
        )
        .await?
    {
        ThrottleDecision::Allowed { .. } => Ok(()),
        ThrottleDecision::Blocked { until } => Err(AccountError::Throttled { until }),
    }
}

/// Finishes a passkey sign-in with the browser's `navigator.credentials.get()` result: the
/// credential names its user; it must be a passkey of that user, whose account is active (and
/// verified, when that is required). The challenge is used up whatever the outcome. The new
/// session counts as multi-factor (a passkey verifies its user).
pub async fn finish_passkey_sign_in(
    accounts: &Accounts,
    context: &RequestContext,
    token: &str,
    credential: &Value,
) -> Result<SignedIn, AccountError> {
    let webauthn = webauthn(accounts)?;
    let now = accounts.clock.now();
    if let Err(error) = take_sign_in_ip_attempt(accounts, context, now).await {
        sign_in_failure(accounts, context, None, "throttled_ip", now).await?;
        return Err(error);
    }
    let response: PublicKeyCredential = decode(credential)?;
    let (_, ceremony) = consume(accounts, token, PASSKEY_SIGN_IN, now).await?;
    let Ceremony::Authenticate {
        authentication: authentication @ Authentication::Discoverable(_),
    } = ceremony
    else {
        return Err(AccountError::ChallengeExpired);
    };
    let Ok((user_id, _)) = webauthn.identify_discoverable_authentication(&response) else {
        let refusal = Refusal::new("no_user_handle", "this credential does not name an account");
        return Err(refuse_sign_in(accounts, context, None, refusal, now).await);
    };
    let row = match credential_of(accounts, &response, user_id, true).await {
        Ok(row) => row,
        Err(refusal) => return Err(refuse_sign_in(accounts, context, None, refusal, now).await),
    };
    let verified = match verify_assertion(webauthn, &authentication, &response, &row) {
        Ok(verified) => verified,
        Err(refusal) => {
            return Err(refuse_sign_in(accounts, context, Some(row.user_id), refusal, now).await);
        }
    };
    let Some(user) = accounts.store.users().by_id(row.user_id).await? else {
        let refusal = Refusal::new("unknown_user", "no such account");
        return Err(refuse_sign_in(accounts, context, None, refusal, now).await);
    };
    let user = User::from_row(user)?;
    if user.status != UserStatus::Active {
        sign_in_failure(accounts, context, Some(user.id()), "account_disabled", now).await?;
        return Err(AccountError::AccountDisabled);
    }
    if accounts.settings.require_verified_email && user.email_verified_at().is_none() {
        sign_in_failure(
            accounts,
            context,
            Some(user.id()),
            "email_not_verified",
            now,
        )
        .await?;
        return Err(AccountError::EmailNotVerified);
    }
    let mut transaction = accounts.store.begin().await?;
    let (session_token, session) = start_session(
        &mut *transaction,
        accounts,
        context,
        user.id(),
        &amr::encode(&[verified.method, amr::MULTI_FACTOR]),
        now,
    )
    .await?;
    transaction
        .update_webauthn_use(
            row.id,
            &verified.credential,
            verified.sign_count,
            verified.backup_state,
            now,
        )
        .await?;
    let mut event = context.event(
        Actor::User(user.id()),
        "user.signed_in",
        Outcome::Success,
        Some(user.id()),
        None,
    );
    event.details = Some(serde_json::json!({ "method": "passkey", "credential": row.id }));
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    accounts
        .store
        .users()
        .record_sign_in(user.id(), now)
        .await?;
    Ok(SignedIn {
        token: session_token,
        session,
        user,
    })
}
