//! Self-service sign-up. The answer is the same whether or not the address already has an
//! account (SECURITY.md): an existing owner gets a mail saying someone tried.

use chrono::{DateTime, Utc};

use super::{
    AccountError, Accounts, EmailAddress, Password, RequestContext,
    verification::issue_verification,
};
use crate::{
    audit::{Actor, Outcome, record},
    mail::{Email, EmailTemplate},
    store::{PasswordRow, ThrottleDecision, UserRow, new_id},
};

/// What the sign-up form carries.
#[derive(Debug, Clone, Default)]
pub struct SignUp {
    /// The address typed.
    pub email: String,
    /// The password typed.
    pub password: String,
    /// How to be shown.
    pub display_name: Option<String>,
}

/// Longest display name or other short profile text.
pub const MAX_NAME_LENGTH: usize = 200;

pub(crate) fn parse_email(raw: &str) -> Result<EmailAddress, AccountError> {
    EmailAddress::parse(raw).map_err(|error| AccountError::Invalid {
        field: "email",
        message: error
            .to_string()
            .trim_start_matches("invalid input: email: ")
            .to_owned(),
    })
}

pub(crate) fn optional_text(
    field: &'static str,
    value: Option<String>,
) -> Result<Option<String>, AccountError> {
    let value = value
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty());
    if let Some(text) = &value
        && (text.chars().count() > MAX_NAME_LENGTH || text.chars().any(char::is_control))
    {
        return Err(AccountError::Invalid {
            field,
            message: format!("at most {MAX_NAME_LENGTH} characters, no control characters"),
        });
    }
    Ok(value)
}

pub(super) async fn take_ip_attempt(
    accounts: &Accounts,
    action: &str,
    context: &RequestContext,
) -> Result<(), AccountError> {
    let Some(ip) = &context.ip else { return Ok(()) };
    let key = format!("{action}:ip:{ip}");
    match accounts
        .store
        .throttle()
        .take_attempt(&key, &accounts.settings.ip_throttle, accounts.clock.now())
        .await?
    {
        ThrottleDecision::Allowed { .. } => Ok(()),
        ThrottleDecision::Blocked { until } => Err(AccountError::Throttled { until }),
    }
}

/// A new user row.
pub(crate) fn new_user_row(
    email: &EmailAddress,
    display_name: Option<String>,
    locale: Option<String>,
    now: DateTime<Utc>,
) -> UserRow {
    UserRow {
        id: new_id(),
        email: email.as_str().to_owned(),
        email_normalized: email.normalized().to_owned(),
        email_verified_at: None,
        display_name,
        given_name: None,
        family_name: None,
        locale,
        picture_url: None,
        attributes: "{}".to_owned(),
        status: "active".to_owned(),
        is_admin: false,
        created_at: now,
        updated_at: now,
        last_sign_in_at: None,
    }
}

/// A new account's checked address and name and its password hash.
pub(crate) struct NewCredentials {
    pub(crate) email: EmailAddress,
    pub(crate) display_name: Option<String>,
    pub(crate) hash: String,
}

/// Parses the address and name, checks the password against the policy (and the user's own
/// words), and hashes it.
pub(crate) async fn new_credentials(
    accounts: &Accounts,
    email: &str,
    display_name: Option<String>,
    password: &str,
) -> Result<NewCredentials, AccountError> {
    let email = parse_email(email)?;
    let display_name = optional_text("display_name", display_name)?;
    let password = Password::new(password);
    let local = email.as_str().split('@').next().unwrap_or_default();
    let words: Vec<&str> = [email.as_str(), local]
        .into_iter()
        .chain(display_name.as_deref())
        .collect();
    accounts
        .settings
        .password_policy
        .check(&password, false, &words)
        .map_err(AccountError::Password)?;
    let hash = accounts.hasher.hash(&password).await?;
    Ok(NewCredentials {
        email,
        display_name,
        hash,
    })
}

/// Creates an unverified account and mails a verification link and code; or, when the address
/// is taken, mails its owner instead. Both answer `Ok(())`.
pub async fn sign_up(
    accounts: &Accounts,
    context: &RequestContext,
    input: SignUp,
) -> Result<(), AccountError> {
    if !accounts.settings.sign_up_enabled {
        return Err(AccountError::SignUpDisabled);
    }
    take_ip_attempt(accounts, "sign-up", context).await?;
    // Hashed in both branches below, so the answer takes as long whether or not the address is
    // taken.
    let NewCredentials {
        email,
        display_name,
        hash,
    } = new_credentials(accounts, &input.email, input.display_name, &input.password).await?;
    let now = accounts.clock.now();
    if let Some(owner) = accounts.store.users().by_email(email.normalized()).await? {
        return notify_owner(accounts, context, &owner, now).await;
    }
    let row = new_user_row(&email, display_name, context.locale.clone(), now);
    let mut transaction = accounts.store.begin().await?;
    match transaction.insert_user(&row).await {
        Err(crate::StoreError::AlreadyExists(_)) => return Ok(()),
        other => other?,
    }
    transaction
        .set_password(&PasswordRow {
            user_id: row.id,
            hash,
            updated_at: now,
        })
        .await?;
    issue_verification(&mut *transaction, accounts, &row, now).await?;
    let event = context.event(
        Actor::User(row.id),
        "user.signed_up",
        Outcome::Success,
        Some(row.id),
        Some(email.as_str()),
    );
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    Ok(())
}

async fn notify_owner(
    accounts: &Accounts,
    context: &RequestContext,
    owner: &UserRow,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let mail = Email::new(
        EmailTemplate::AccountExists,
        &owner.email,
        owner.locale.as_deref(),
    )
    .with("link", accounts.settings.link("/sign-in"))
    .with("reset_link", accounts.settings.link("/forgot-password"));
    let mut transaction = accounts.store.begin().await?;
    transaction
        .enqueue_job(&mail.into_job(&accounts.keyring, now).await?)
        .await?;
    let event = context.event(
        Actor::Anonymous,
        "user.sign_up_for_existing_email",
        Outcome::Failure,
        Some(owner.id),
        Some(&owner.email),
    );
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    Ok(())
}
