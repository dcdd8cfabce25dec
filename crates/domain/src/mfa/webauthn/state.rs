//! Ceremony state kept, sealed, in challenge rows; the stored credential of an answer.

use super::*;

/// The live challenge `token` names, if it is of `kind`, with its opened ceremony.
pub(super) async fn ceremony(
    accounts: &Accounts,
    token: &str,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<(ChallengeRow, Ceremony), AccountError> {
    let row = accounts
        .store
        .mfa()
        .challenge(&digest(token), now)
        .await?
        .filter(|row| row.kind == kind)
        .ok_or(AccountError::ChallengeExpired)?;
    let state = open_state(accounts, &row).await?;
    let ceremony = Ceremony::from_state(&state).ok_or(AccountError::ChallengeExpired)?;
    Ok((row, ceremony))
}

/// Uses up the challenge `token` names (of `kind`) in a transaction of its own, so its WebAuthn
/// challenge can be answered once, right or wrong. Returns the row and its ceremony.
pub(super) async fn consume(
    accounts: &Accounts,
    token: &str,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<(ChallengeRow, Ceremony), AccountError> {
    let mut transaction = accounts.store.begin().await?;
    let Some(row) = transaction
        .consume_challenge(&digest(token), kind, now)
        .await?
    else {
        transaction.rollback().await?;
        return Err(AccountError::ChallengeExpired);
    };
    transaction.commit().await?;
    let state = open_state(accounts, &row).await?;
    let ceremony = Ceremony::from_state(&state).ok_or(AccountError::ChallengeExpired)?;
    Ok((row, ceremony))
}

/// Starts a challenge carrying `ceremony`; returns the browser's token.
pub(super) async fn begin(
    accounts: &Accounts,
    kind: &str,
    user: Option<Uuid>,
    session: Option<Uuid>,
    ceremony: &Ceremony,
) -> Result<String, AccountError> {
    let now = accounts.clock.now();
    let state = ChallengeState {
        ceremony: Some(ceremony.to_value()?),
        ..ChallengeState::default()
    };
    let mut transaction = accounts.store.begin().await?;
    let token = begin_ceremony(
        &mut *transaction,
        accounts,
        kind,
        user,
        session,
        &state,
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok(token)
}

/// The stored credential a response names, if it is `user`'s (and, with `passkey_only`, a
/// passkey).
pub(super) async fn credential_of(
    accounts: &Accounts,
    response: &PublicKeyCredential,
    user: Uuid,
    passkey_only: bool,
) -> Result<WebauthnRow, Refusal> {
    let row = accounts
        .store
        .mfa()
        .webauthn_by_credential_id(response.get_credential_id())
        .await
        .map_err(AccountError::from)?
        .filter(|row| row.user_id == user)
        .ok_or_else(|| {
            Refusal::new(
                "unknown_credential",
                "this security key or passkey is not registered for this account",
            )
        })?;
    if passkey_only && row.kind != PASSKEY {
        return Err(Refusal::new(
            "not_a_passkey",
            "this is a security key, which is a second step only; sign in with your password",
        ));
    }
    Ok(row)
}
