//! Password sign-in: throttled per IP and per account in the database (exact under parallel
//! requests), the hasher runs whether or not the account exists, and a new session id is made
//! at every sign-in.

use chrono::{DateTime, Utc};

use super::{
    AccountError, Accounts, Password, RequestContext, User, UserStatus, Verification,
    sessions::start_session, sign_up::take_ip_attempt,
};
use crate::{
    audit::{Actor, Outcome, record, record_alone},
    mail::{Email, EmailTemplate},
    mfa::{
        amr,
        challenge::{ChallengeState, SIGN_IN, begin_challenge},
    },
    store::{SessionRow, ThrottleDecision, UserRow},
};

/// A successful sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The cookie value (shown once; only its digest is stored).
    pub token: String,
    /// The new session.
    pub session: SessionRow,
    /// Who signed in.
    pub user: User,
}

async fn record_failure(
    accounts: &Accounts,
    context: &RequestContext,
    user: Option<&UserRow>,
    typed: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let mut event = context.event(
        Actor::Anonymous,
        "user.sign_in",
        Outcome::Failure,
        user.map(|user| user.id),
        Some(typed),
    );
    event.details = Some(serde_json::json!({ "reason": reason }));
    record_alone(&*accounts.store, &accounts.keyring, now, event).await?;
    Ok(())
}

async fn notify_throttled(
    accounts: &Accounts,
    user: &UserRow,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let mail = Email::new(
        EmailTemplate::SignInThrottled,
        &user.email,
        user.locale.as_deref(),
    )
    .with("until", until.format("%Y-%m-%d %H:%M UTC").to_string())
    .with("reset_link", accounts.settings.link("/forgot-password"));
    let mut transaction = accounts.store.begin().await?;
    transaction
        .enqueue_job(&mail.into_job(&accounts.keyring, now).await?)
        .await?;
    transaction.commit().await?;
    Ok(())
}

/// Where a correct password leads.
#[derive(Debug, Clone)]
pub enum SignInStep {
    /// Signed in (no second factor enrolled or required).
    SignedIn(Box<SignedIn>),
    /// A second factor is needed, or enrolment of one: answer the challenge with this token.
    SecondFactor {
        /// The challenge token (kept in a cookie).
        token: String,
        /// The user has no second factor and must (or is asked to) enrol one.
        enrol: bool,
    },
}

impl SignInStep {
    /// The session, when the sign-in finished.
    pub fn signed_in(self) -> Option<SignedIn> {
        match self {
            Self::SignedIn(signed_in) => Some(*signed_in),
            Self::SecondFactor { .. } => None,
        }
    }
}

/// Signs in with email and password. Users with a second factor, and users who must enrol
/// one, get a challenge instead of a session.
pub async fn sign_in(
    accounts: &Accounts,
    context: &RequestContext,
    email: &str,
    password: &str,
) -> Result<SignInStep, AccountError> {
    let now = accounts.clock.now();
    if let Err(error) = take_ip_attempt(accounts, "sign-in", context).await {
        record_failure(accounts, context, None, email, "throttled_ip", now).await?;
        return Err(error);
    }
    // A malformed address says nothing about which accounts exist: refuse it on its field.
    let address = super::sign_up::parse_email(email)?;
    let key = format!("sign-in:account:{}", address.normalized());
    let user = accounts
        .store
        .users()
        .by_email(address.normalized())
        .await?;
    let failures = match accounts
        .store
        .throttle()
        .take_attempt(&key, &accounts.settings.account_throttle, now)
        .await?
    {
        ThrottleDecision::Blocked { until } => {
            record_failure(
                accounts,
                context,
                user.as_ref(),
                email,
                "throttled_account",
                now,
            )
            .await?;
            return Err(AccountError::Throttled { until });
        }
        ThrottleDecision::Allowed { failures } => failures,
    };
    let stored = match &user {
        Some(user) => accounts
            .store
            .users()
            .password(user.id)
            .await?
            .map(|row| row.hash),
        None => None,
    };
    let verification = accounts
        .hasher
        .verify(&Password::new(password), stored.as_deref())
        .await?;
    let (Some(user), Verification::Match { needs_rehash }) = (user.clone(), verification) else {
        record_failure(
            accounts,
            context,
            user.as_ref(),
            email,
            "invalid_credentials",
            now,
        )
        .await?;
        if failures == accounts.settings.account_throttle.free_attempts
            && let Some(user) = &user
        {
            notify_throttled(
                accounts,
                user,
                now + accounts.settings.account_throttle.base_delay,
                now,
            )
            .await?;
        }
        return Err(AccountError::InvalidCredentials);
    };
    accounts.store.throttle().clear(&key).await?;
    let user = User::from_row(user)?;
    if user.status != UserStatus::Active {
        record_failure(
            accounts,
            context,
            Some(&user.row),
            email,
            "account_disabled",
            now,
        )
        .await?;
        return Err(AccountError::AccountDisabled);
    }
    if accounts.settings.require_verified_email && user.email_verified_at().is_none() {
        record_failure(
            accounts,
            context,
            Some(&user.row),
            email,
            "email_not_verified",
            now,
        )
        .await?;
        return Err(AccountError::EmailNotVerified);
    }
    if needs_rehash && let Some(old) = &stored {
        let new = accounts.hasher.hash(&Password::new(password)).await?;
        accounts
            .store
            .users()
            .rehash_password(user.id(), old, &new, now)
            .await?;
    }
    let factors = accounts.store.mfa().factor_summary(user.id()).await?;
    let enrol = !factors.has_second_factor();
    // The policy matters only for users without a second factor: `Some(grace)` when a
    // challenge (second step or enrolment) must follow the password.
    let challenge = if enrol {
        let requirement = crate::mfa::requirement(accounts, user.id(), &factors, now).await?;
        requirement.required.then_some(requirement.grace_until)
    } else {
        Some(None)
    };
    if let Some(may_skip_until) = challenge {
        let state = ChallengeState {
            amr: vec![amr::PASSWORD.to_owned()],
            enrol,
            may_skip_until,
            ..ChallengeState::default()
        };
        let mut transaction = accounts.store.begin().await?;
        let token = begin_challenge(
            &mut *transaction,
            accounts,
            SIGN_IN,
            user.id(),
            None,
            &state,
            now,
        )
        .await?;
        let mut event = context.event(
            Actor::User(user.id()),
            "user.first_factor",
            Outcome::Success,
            Some(user.id()),
            Some(email),
        );
        event.details =
            Some(serde_json::json!({ "next": if enrol { "enrol" } else { "second_factor" } }));
        record(&mut *transaction, &accounts.keyring, now, event).await?;
        transaction.commit().await?;
        return Ok(SignInStep::SecondFactor { token, enrol });
    }
    let mut transaction = accounts.store.begin().await?;
    let (token, session) = start_session(
        &mut *transaction,
        accounts,
        context,
        user.id(),
        &amr::encode(&[amr::PASSWORD]),
        now,
    )
    .await?;
    let event = context.event(
        Actor::User(user.id()),
        "user.signed_in",
        Outcome::Success,
        Some(user.id()),
        Some(email),
    );
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    accounts
        .store
        .users()
        .record_sign_in(user.id(), now)
        .await?;
    Ok(SignInStep::SignedIn(Box::new(SignedIn {
        token,
        session,
        user,
    })))
}
