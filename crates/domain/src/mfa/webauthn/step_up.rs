//! Confirming it is you with a passkey alone.

use super::*;

/// Begins confirming it is the signed-in user with one of their passkeys alone (step-up).
/// Returns the options for `navigator.credentials.get()` and the challenge token.
pub async fn begin_passkey_step_up(
    accounts: &Accounts,
    current: &CurrentSession,
) -> Result<(Value, String), AccountError> {
    let webauthn = webauthn(accounts)?;
    let passkeys = accounts
        .store
        .mfa()
        .webauthn_credentials(current.user.id())
        .await?
        .iter()
        .filter(|row| row.kind == PASSKEY)
        .map(stored)
        .collect::<Result<Vec<Passkey>, _>>()?;
    if passkeys.is_empty() {
        return Err(AccountError::WebAuthn(
            "you have no passkey; confirm with your password".to_owned(),
        ));
    }
    let (options, state) = webauthn
        .start_passkey_authentication(&passkeys)
        .map_err(|e| rejected(&e))?;
    let ceremony = Ceremony::Authenticate {
        authentication: Authentication::Verified(state),
    };
    let token = begin(
        accounts,
        PASSKEY_STEP_UP,
        Some(current.user.id()),
        Some(current.session.id),
        &ceremony,
    )
    .await?;
    Ok((to_json(&options)?, token))
}

async fn step_up_failure(
    accounts: &Accounts,
    context: &RequestContext,
    current: &CurrentSession,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let mut event = context.event(
        Actor::User(current.user.id()),
        "user.stepped_up",
        Outcome::Failure,
        Some(current.user.id()),
        None,
    );
    event.details = Some(serde_json::json!({ "method": "passkey", "reason": reason }));
    record_alone(&*accounts.store, &accounts.keyring, now, event).await?;
    Ok(())
}

/// Finishes a passkey step-up: the session's authentication becomes fresh and multi-factor,
/// under a new cookie value (returned; the old one stops working). The challenge is used up
/// whatever the outcome.
pub async fn finish_passkey_step_up(
    accounts: &Accounts,
    context: &RequestContext,
    current: &CurrentSession,
    token: &str,
    credential: &Value,
) -> Result<String, AccountError> {
    let webauthn = webauthn(accounts)?;
    let now = accounts.clock.now();
    let response: PublicKeyCredential = decode(credential)?;
    let (row, ceremony) = consume(accounts, token, PASSKEY_STEP_UP, now).await?;
    if row.user_id != Some(current.user.id()) || row.session_id != Some(current.session.id) {
        return Err(AccountError::ChallengeExpired);
    }
    let Ceremony::Authenticate { authentication } = ceremony else {
        return Err(AccountError::ChallengeExpired);
    };
    let checked = match credential_of(accounts, &response, current.user.id(), true).await {
        Ok(key) => verify_assertion(webauthn, &authentication, &response, &key)
            .map(|verified| (key, verified)),
        Err(refusal) => Err(refusal),
    };
    let (key, verified) = match checked {
        Ok(checked) => checked,
        Err(Refusal {
            reason: "internal",
            error,
        }) => return Err(error),
        Err(refusal) => {
            step_up_failure(accounts, context, current, refusal.reason, now).await?;
            return Err(refusal.error);
        }
    };
    let (renewed, renewed_hash) = new_link_token()?;
    let mut transaction = accounts.store.begin().await?;
    if !transaction
        .reauthenticate_session(
            current.session.id,
            &renewed_hash,
            &amr::encode(&[verified.method, amr::MULTI_FACTOR]),
            now,
        )
        .await?
    {
        transaction.rollback().await?;
        return Err(AccountError::NotSignedIn);
    }
    transaction
        .update_webauthn_use(
            key.id,
            &verified.credential,
            verified.sign_count,
            verified.backup_state,
            now,
        )
        .await?;
    let mut event = context.event(
        Actor::User(current.user.id()),
        "user.stepped_up",
        Outcome::Success,
        Some(current.user.id()),
        None,
    );
    event.details = Some(serde_json::json!({ "method": "passkey", "credential": key.id }));
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    accounts.session_cache.forget_user(current.user.id());
    Ok(renewed)
}
