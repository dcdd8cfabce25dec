//! Challenges: a sign-in between its first and second factor, or a step-up between its
//! password and its second factor. The browser holds a random token; the row holds its digest,
//! the user, the session (for step-up) and sealed state.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::amr;
use crate::{
    accounts::{
        AccountError, Accounts, RequestContext, SignedIn, User, digest, new_link_token,
        start_session,
    },
    secrets::purpose,
    store::{ChallengeRow, FactorSummary, Transaction, new_id},
};

/// Challenge kind: a sign-in waiting for its second factor (or for enrolment).
pub(crate) const SIGN_IN: &str = "sign_in";
/// Challenge kind: a step-up waiting for its second factor.
pub(crate) const STEP_UP: &str = "step_up";
/// Challenge kind: a WebAuthn registration between its two requests (user and session set).
pub(crate) const WEBAUTHN_REGISTER: &str = "webauthn_register";
/// Challenge kind: a passwordless passkey sign-in between its two requests (no user yet).
pub(crate) const PASSKEY_SIGN_IN: &str = "passkey_sign_in";
/// Challenge kind: a step-up with a passkey alone (user and session set).
pub(crate) const PASSKEY_STEP_UP: &str = "passkey_step_up";

/// What a challenge is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingKind {
    /// Signing in: success makes a new session.
    SignIn,
    /// Confirming it is you: success refreshes the session it belongs to.
    StepUp,
}

/// Sealed challenge state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ChallengeState {
    /// Methods already passed.
    pub amr: Vec<String>,
    /// Where the browser continues afterwards.
    pub next: Option<String>,
    /// The user must enrol a second factor before the sign-in completes.
    pub enrol: bool,
    /// The user may still postpone enrolment (within the grace period) until this time.
    pub may_skip_until: Option<DateTime<Utc>>,
    /// A WebAuthn ceremony in progress (serialised verifier state).
    pub ceremony: Option<serde_json::Value>,
}

/// A challenge in progress, as its pages need it.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Sign-in or step-up.
    pub kind: PendingKind,
    /// Whose.
    pub user: User,
    /// Which factors the user has.
    pub factors: FactorSummary,
    /// The user must enrol a second factor to finish signing in.
    pub enrol: bool,
    /// Until when the user may postpone enrolment, if they may.
    pub may_skip_until: Option<DateTime<Utc>>,
    /// Where to continue.
    pub next: Option<String>,
    /// The session a step-up belongs to.
    pub session_id: Option<Uuid>,
    pub(crate) row: ChallengeRow,
    pub(crate) state: ChallengeState,
}

fn context_of(id: Uuid) -> Vec<u8> {
    let mut context = b"mfa-challenge:".to_vec();
    context.extend_from_slice(id.as_bytes());
    context
}

pub(crate) async fn seal_state(
    accounts: &Accounts,
    id: Uuid,
    state: &ChallengeState,
) -> Result<Vec<u8>, AccountError> {
    let key = accounts.keyring.key(purpose::MFA).await?;
    let json = serde_json::to_vec(state)
        .map_err(|e| crate::DomainError::Invalid(format!("challenge state: {e}")))?;
    Ok(key.seal(&json, &context_of(id))?)
}

/// The sealed state of `row`, opened.
pub(crate) async fn open_state(
    accounts: &Accounts,
    row: &ChallengeRow,
) -> Result<ChallengeState, AccountError> {
    let key = accounts.keyring.key(purpose::MFA).await?;
    serde_json::from_slice(&key.open(&row.state, &context_of(row.id))?)
        .map_err(|e| crate::DomainError::Invalid(format!("challenge state: {e}")).into())
}

/// Starts a challenge in `transaction`; returns the browser's token.
pub(crate) async fn begin_challenge(
    transaction: &mut dyn Transaction,
    accounts: &Accounts,
    kind: &str,
    user: Uuid,
    session: Option<Uuid>,
    state: &ChallengeState,
    now: DateTime<Utc>,
) -> Result<String, AccountError> {
    begin_ceremony(transaction, accounts, kind, Some(user), session, state, now).await
}

/// Starts a challenge in `transaction` whose user may not be known yet (a passkey sign-in);
/// returns the browser's token.
pub(crate) async fn begin_ceremony(
    transaction: &mut dyn Transaction,
    accounts: &Accounts,
    kind: &str,
    user: Option<Uuid>,
    session: Option<Uuid>,
    state: &ChallengeState,
    now: DateTime<Utc>,
) -> Result<String, AccountError> {
    let (token, token_hash) = new_link_token()?;
    let id = new_id();
    let row = ChallengeRow {
        id,
        token_hash,
        kind: kind.to_owned(),
        user_id: user,
        session_id: session,
        state: seal_state(accounts, id, state).await?,
        attempts: 0,
        created_at: now,
        expires_at: now + accounts.settings.mfa.challenge_lifetime,
        consumed_at: None,
    };
    transaction.insert_challenge(&row).await?;
    Ok(token)
}

/// The live challenge this token names, with its user (who must still be active).
pub async fn pending(accounts: &Accounts, token: &str) -> Result<Option<Pending>, AccountError> {
    let now = accounts.clock.now();
    let Some(row) = accounts.store.mfa().challenge(&digest(token), now).await? else {
        return Ok(None);
    };
    // Ceremony-only kinds (WebAuthn registration, passkey sign-in and step-up) are not
    // answerable with a second factor.
    let kind = match row.kind.as_str() {
        SIGN_IN => PendingKind::SignIn,
        STEP_UP => PendingKind::StepUp,
        _ => return Ok(None),
    };
    if row.attempts >= accounts.settings.mfa.challenge_attempts {
        return Ok(None);
    }
    let Some(user_id) = row.user_id else {
        return Ok(None);
    };
    let Some(user) = accounts.store.users().by_id(user_id).await? else {
        return Ok(None);
    };
    let user = User::from_row(user)?;
    if user.status != crate::accounts::UserStatus::Active {
        return Ok(None);
    }
    let state = open_state(accounts, &row).await?;
    let factors = accounts.store.mfa().factor_summary(user_id).await?;
    Ok(Some(Pending {
        kind,
        user,
        factors,
        enrol: state.enrol,
        may_skip_until: state.may_skip_until.filter(|until| *until > now),
        next: state.next.clone(),
        session_id: row.session_id,
        row,
        state,
    }))
}

/// The end of a challenge.
#[derive(Debug, Clone)]
pub enum Completed {
    /// A sign-in finished: a new session.
    SignedIn(Box<SignedIn>),
    /// A step-up finished: the session is fresh again, under a new cookie value (the old one
    /// stopped working).
    SteppedUp {
        /// Where to continue.
        next: Option<String>,
        /// The session's new cookie value.
        token: String,
    },
}

/// Consumes the challenge and makes or refreshes the session with `methods` added to what the
/// challenge already passed (plus `mfa` when two factors were used).
pub(crate) async fn finish_challenge(
    transaction: &mut dyn Transaction,
    accounts: &Accounts,
    context: &RequestContext,
    pending: &Pending,
    methods: &[&str],
    now: DateTime<Utc>,
) -> Result<Completed, AccountError> {
    let kind = match pending.kind {
        PendingKind::SignIn => SIGN_IN,
        PendingKind::StepUp => STEP_UP,
    };
    if transaction
        .consume_challenge(&pending.row.token_hash, kind, now)
        .await?
        .is_none()
    {
        return Err(AccountError::ChallengeExpired);
    }
    let mut all: Vec<&str> = pending.state.amr.iter().map(String::as_str).collect();
    for method in methods {
        if !all.contains(method) {
            all.push(method);
        }
    }
    let factors_used = all.iter().filter(|m| **m != amr::MULTI_FACTOR).count();
    if (factors_used >= 2 || methods.contains(&amr::MULTI_FACTOR))
        && !all.contains(&amr::MULTI_FACTOR)
    {
        all.push(amr::MULTI_FACTOR);
    }
    let encoded = amr::encode(&all);
    match pending.kind {
        PendingKind::SignIn => {
            let (token, session) = start_session(
                transaction,
                accounts,
                context,
                pending.user.id(),
                &encoded,
                now,
            )
            .await?;
            Ok(Completed::SignedIn(Box::new(SignedIn {
                token,
                session,
                user: pending.user.clone(),
            })))
        }
        PendingKind::StepUp => {
            let Some(session) = pending.session_id else {
                return Err(AccountError::ChallengeExpired);
            };
            let (token, token_hash) = new_link_token()?;
            if !transaction
                .reauthenticate_session(session, &token_hash, &encoded, now)
                .await?
            {
                return Err(AccountError::NotSignedIn);
            }
            Ok(Completed::SteppedUp {
                next: pending.next.clone(),
                token,
            })
        }
    }
}
