//! Adding a security key or passkey to a signed-in account.

use super::*;

/// Begins registering a security key (`kind` = `security_key`) or passkey (`passkey`) named
/// `name` for the signed-in user. Returns the options for `navigator.credentials.create()` and
/// the challenge token. The caller checks that the session was recently authenticated.
pub async fn begin_registration(
    accounts: &Accounts,
    current: &CurrentSession,
    kind: &str,
    name: &str,
) -> Result<(Value, String), AccountError> {
    let webauthn = webauthn(accounts)?;
    ensure_enrolment_allowed(accounts)?;
    let kind = CredentialKind::parse(kind)?;
    let name = factor_name(name, kind.default_name())?;
    let user = &current.user;
    let existing = accounts.store.mfa().webauthn_credentials(user.id()).await?;
    if existing.len() >= MAX_CREDENTIALS {
        return Err(AccountError::Invalid {
            field: "kind",
            message: format!(
                "at most {MAX_CREDENTIALS} security keys and passkeys; remove one first"
            ),
        });
    }
    let display_name = user.row.display_name.as_deref().unwrap_or(user.email());
    let (options, registration) = start_registration(
        webauthn,
        kind,
        accounts.settings.mfa.user_verification,
        (user.id(), user.email(), display_name),
        existing.into_iter().map(|row| row.credential_id).collect(),
    )?;
    let ceremony = Ceremony::Register {
        kind,
        name,
        registration,
    };
    let token = begin(
        accounts,
        WEBAUTHN_REGISTER,
        Some(user.id()),
        Some(current.session.id),
        &ceremony,
    )
    .await?;
    Ok((options, token))
}

/// What a finished registration brings.
#[derive(Debug, Clone)]
pub struct Registered {
    /// The recovery codes to show once, when this was the user's first second factor (or they
    /// had none left).
    pub recovery_codes: Option<Vec<String>>,
    /// The session's new cookie value, when the recent session was upgraded to multi-factor.
    pub session_token: Option<String>,
}

/// Finishes a registration with the browser's `navigator.credentials.create()` result (JSON,
/// base64url binary members).
pub async fn finish_registration(
    accounts: &Accounts,
    context: &RequestContext,
    current: &CurrentSession,
    token: &str,
    credential: &Value,
) -> Result<Registered, AccountError> {
    let webauthn = webauthn(accounts)?;
    ensure_enrolment_allowed(accounts)?;
    let response: RegisterPublicKeyCredential = decode(credential)?;
    let now = accounts.clock.now();
    let (row, ceremony) = ceremony(accounts, token, WEBAUTHN_REGISTER, now).await?;
    if row.user_id != Some(current.user.id()) || row.session_id != Some(current.session.id) {
        return Err(AccountError::ChallengeExpired);
    }
    let Ceremony::Register {
        kind,
        name,
        registration,
    } = ceremony
    else {
        return Err(AccountError::ChallengeExpired);
    };
    let new = finish_registration_ceremony(webauthn, kind, &registration, &response)?;
    let taken = || {
        AccountError::WebAuthn(
            "this security key or passkey is already registered; each can be added once".to_owned(),
        )
    };
    if accounts
        .store
        .mfa()
        .webauthn_by_credential_id(&new.credential_id)
        .await?
        .is_some()
    {
        return Err(taken());
    }
    let user = current.user.id();
    let id = new_id();
    let stored = WebauthnRow {
        id,
        user_id: user,
        name,
        credential_id: new.credential_id,
        credential: new.credential,
        kind: kind.as_str().to_owned(),
        sign_count: new.sign_count,
        backup_eligible: new.backup_eligible,
        backup_state: new.backup_state,
        created_at: now,
        last_used_at: None,
    };
    let mut transaction = accounts.store.begin().await?;
    if transaction
        .consume_challenge(&row.token_hash, WEBAUTHN_REGISTER, now)
        .await?
        .is_none()
    {
        transaction.rollback().await?;
        return Err(AccountError::ChallengeExpired);
    }
    match transaction.insert_webauthn(&stored).await {
        Ok(()) => {}
        Err(StoreError::AlreadyExists(_)) => {
            transaction.rollback().await?;
            return Err(taken());
        }
        Err(error) => return Err(error.into()),
    }
    let codes = recovery_codes_if_none(&mut *transaction, accounts, user, now).await?;
    audit(
        &mut *transaction,
        accounts,
        context,
        user,
        user,
        "mfa.enrolled",
        serde_json::json!({ "factor": "webauthn", "kind": kind.as_str(), "credential": id }),
        now,
    )
    .await?;
    transaction.commit().await?;
    let method = if stored.backup_eligible {
        amr::SOFTWARE_KEY
    } else {
        amr::HARDWARE_KEY
    };
    let session_token = crate::mfa::note_enrolment(accounts, current, method).await?;
    Ok(Registered {
        recovery_codes: codes,
        session_token,
    })
}
