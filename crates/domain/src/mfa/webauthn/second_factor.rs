//! A security key or passkey answering a pending sign-in or step-up.

use super::*;

/// Begins answering the pending sign-in or step-up `token` (from `pending()`) with a security
/// key or passkey: returns the options for `navigator.credentials.get()`, allowing every one of
/// the user's credentials.
pub async fn begin_authentication(accounts: &Accounts, token: &str) -> Result<Value, AccountError> {
    let webauthn = webauthn(accounts)?;
    let now = accounts.clock.now();
    let pending = pending(accounts, token)
        .await?
        .ok_or(AccountError::ChallengeExpired)?;
    let rows = accounts
        .store
        .mfa()
        .webauthn_credentials(pending.user.id())
        .await?;
    let (options, authentication) =
        start_second_factor(webauthn, accounts.settings.mfa.user_verification, &rows)?;
    let mut state = pending.state.clone();
    state.ceremony = Some(Ceremony::Authenticate { authentication }.to_value()?);
    let sealed = seal_state(accounts, pending.row.id, &state).await?;
    let mut transaction = accounts.store.begin().await?;
    if !transaction
        .update_challenge_state(&pending.row.token_hash, &sealed, now)
        .await?
    {
        transaction.rollback().await?;
        return Err(AccountError::ChallengeExpired);
    }
    transaction.commit().await?;
    Ok(options)
}

/// Answers the pending sign-in or step-up `token` with the browser's `navigator.credentials.get()`
/// result. Wrong answers count against the challenge and the account like wrong codes; the
/// ceremony must be started again after one.
pub async fn verify_webauthn(
    accounts: &Accounts,
    context: &RequestContext,
    token: &str,
    credential: &Value,
) -> Result<Completed, AccountError> {
    let webauthn = webauthn(accounts)?;
    let now = accounts.clock.now();
    let pending = pending(accounts, token)
        .await?
        .ok_or(AccountError::ChallengeExpired)?;
    take_attempt(accounts, context, &pending, "webauthn", now).await?;
    let Some(Ceremony::Authenticate { authentication }) = Ceremony::from_state(&pending.state)
    else {
        return Err(AccountError::WebAuthn(
            "no security key or passkey check is in progress; start again".to_owned(),
        ));
    };
    let verified = match decode::<PublicKeyCredential>(credential) {
        Ok(response) => match credential_of(accounts, &response, pending.user.id(), false).await {
            Ok(row) => verify_assertion(webauthn, &authentication, &response, &row)
                .map(|verified| (row, verified)),
            Err(refusal) => Err(refusal),
        },
        Err(error) => Err(Refusal {
            reason: "malformed",
            error,
        }),
    };
    let (row, verified) = match verified {
        Ok(found) => found,
        Err(Refusal {
            reason: "internal",
            error,
        }) => return Err(error),
        Err(refusal) => {
            // The ceremony is over either way: the next try needs a new WebAuthn challenge.
            let mut state = pending.state.clone();
            state.ceremony = None;
            let sealed = seal_state(accounts, pending.row.id, &state).await?;
            let mut transaction = accounts.store.begin().await?;
            transaction
                .update_challenge_state(&pending.row.token_hash, &sealed, now)
                .await?;
            transaction.commit().await?;
            return Err(
                match record_failure(accounts, context, &pending, "webauthn", refusal.reason, now)
                    .await
                {
                    Ok(true) => refusal.error,
                    Ok(false) => AccountError::ChallengeExpired,
                    Err(error) => error,
                },
            );
        }
    };
    let mut transaction = accounts.store.begin().await?;
    let completed = finish_challenge(
        &mut *transaction,
        accounts,
        context,
        &pending,
        &[verified.method, amr::MULTI_FACTOR],
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
    let mut event = success_event(context, &pending, "webauthn");
    if let Some(details) = event.details.as_mut() {
        details["credential"] = serde_json::json!(row.id);
        details["kind"] = serde_json::json!(row.kind);
    }
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    after_success(accounts, &pending, &completed, now).await?;
    Ok(completed)
}
