//! Step-up: sensitive actions (changing password, email or factors, deleting the account,
//! administration) need an authentication no older than `mfa.step_up_max_age` and, for a user
//! with a second factor, one that used it. The user confirms with their password and then, if
//! they have one, a second factor (or with a passkey alone); the session's `amr` and
//! `authenticated_at` are refreshed in place.

use chrono::{DateTime, Utc};

use super::{
    amr,
    challenge::{ChallengeState, STEP_UP, begin_challenge},
};
use crate::{
    accounts::{
        AccountError, Accounts, CurrentSession, RequestContext, check_current_password,
        new_link_token,
    },
    audit::{Actor, Outcome, record},
    store::FactorSummary,
};

/// Whether `current`'s authentication is recent (and strong) enough for a sensitive action.
pub fn is_recent(
    accounts: &Accounts,
    current: &CurrentSession,
    factors: &FactorSummary,
    now: DateTime<Utc>,
) -> bool {
    let fresh = now - current.session.authenticated_at <= accounts.settings.mfa.step_up_max_age;
    let strong =
        !factors.has_second_factor() || amr::contains(&current.session.amr, amr::MULTI_FACTOR);
    fresh && strong
}

/// `Err(StepUpRequired)` unless `current` may perform a sensitive action now.
pub async fn ensure_recent(
    accounts: &Accounts,
    current: &CurrentSession,
) -> Result<(), AccountError> {
    let factors = accounts
        .store
        .mfa()
        .factor_summary(current.user.id())
        .await?;
    if is_recent(accounts, current, &factors, accounts.clock.now()) {
        Ok(())
    } else {
        Err(AccountError::StepUpRequired)
    }
}

/// How a step-up goes on.
#[derive(Debug, Clone)]
pub enum StepUp {
    /// The session is fresh again, under a new cookie value (the old one stopped working).
    Done {
        /// The session's new cookie value.
        token: String,
    },
    /// The password was right; now a second factor (answer the challenge with this token).
    SecondFactor {
        /// The challenge token (kept in a cookie).
        token: String,
    },
}

/// Confirms it is the user with their password (throttled like sign-in). Users without a
/// second factor are done; others get a challenge for it.
pub async fn reauthenticate_with_password(
    accounts: &Accounts,
    context: &RequestContext,
    current: &CurrentSession,
    password: &str,
    next: Option<String>,
) -> Result<StepUp, AccountError> {
    let now = accounts.clock.now();
    if let Err(error) = check_current_password(accounts, current, password).await {
        let mut transaction = accounts.store.begin().await?;
        let mut event = context.event(
            Actor::User(current.user.id()),
            "user.stepped_up",
            Outcome::Failure,
            Some(current.user.id()),
            None,
        );
        event.details = Some(serde_json::json!({ "reason": error.code() }));
        record(&mut *transaction, &accounts.keyring, now, event).await?;
        transaction.commit().await?;
        return Err(error);
    }
    let factors = accounts
        .store
        .mfa()
        .factor_summary(current.user.id())
        .await?;
    let mut transaction = accounts.store.begin().await?;
    if factors.has_second_factor() {
        let state = ChallengeState {
            amr: vec![amr::PASSWORD.to_owned()],
            next,
            ..ChallengeState::default()
        };
        let token = begin_challenge(
            &mut *transaction,
            accounts,
            STEP_UP,
            current.user.id(),
            Some(current.session.id),
            &state,
            now,
        )
        .await?;
        transaction.commit().await?;
        return Ok(StepUp::SecondFactor { token });
    }
    let (token, token_hash) = new_link_token()?;
    if !transaction
        .reauthenticate_session(
            current.session.id,
            &token_hash,
            &amr::encode(&[amr::PASSWORD]),
            now,
        )
        .await?
    {
        return Err(AccountError::NotSignedIn);
    }
    let event = context.event(
        Actor::User(current.user.id()),
        "user.stepped_up",
        Outcome::Success,
        Some(current.user.id()),
        None,
    );
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    accounts.session_cache.forget_user(current.user.id());
    Ok(StepUp::Done { token })
}

/// After the signed-in user added a factor with `method` on a recent session: the session has
/// now seen the password (recently) and the new factor (just now), so it counts as
/// multi-factor and sensitive pages do not ask again at once: the session gets a new cookie
/// value, returned. A stale session is left alone (`None`).
pub async fn note_enrolment(
    accounts: &Accounts,
    current: &CurrentSession,
    method: &str,
) -> Result<Option<String>, AccountError> {
    let now = accounts.clock.now();
    if now - current.session.authenticated_at > accounts.settings.mfa.step_up_max_age {
        return Ok(None);
    }
    let mut methods = amr::decode(&current.session.amr);
    for added in [method, amr::MULTI_FACTOR] {
        if !methods.iter().any(|m| m == added) {
            methods.push(added.to_owned());
        }
    }
    let methods: Vec<&str> = methods.iter().map(String::as_str).collect();
    let (token, token_hash) = new_link_token()?;
    let mut transaction = accounts.store.begin().await?;
    let live = transaction
        .reauthenticate_session(current.session.id, &token_hash, &amr::encode(&methods), now)
        .await?;
    transaction.commit().await?;
    accounts.session_cache.forget_user(current.user.id());
    Ok(live.then_some(token))
}
