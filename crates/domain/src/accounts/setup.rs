//! The first administrator. No default credentials: while no administrator exists, each start
//! makes a one-time setup link (1 hour, single use); `gatehouse user create` is the scripted way.

use chrono::Duration;
use uuid::Uuid;

use super::{
    AccountError, Accounts, RequestContext, digest, new_link_token,
    sign_up::{NewCredentials, new_credentials, new_user_row},
    verification::token_row,
};
use crate::{
    audit::{Actor, Outcome, record},
    authorization::ADMIN_ROLE_ID,
    store::PasswordRow,
};

const SETUP: &str = "setup";

/// A new account made by setup or by an operator.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    /// The address.
    pub email: String,
    /// The password.
    pub password: String,
    /// How to be shown.
    pub display_name: Option<String>,
}

/// The setup link, when no active administrator exists; `None` otherwise.
pub async fn ensure_setup_token(accounts: &Accounts) -> Result<Option<String>, AccountError> {
    let now = accounts.clock.now();
    if !accounts
        .store
        .rbac()
        .active_holders(ADMIN_ROLE_ID, now)
        .await?
        .is_empty()
    {
        return Ok(None);
    }
    let (token, token_hash) = new_link_token()?;
    let mut transaction = accounts.store.begin().await?;
    transaction
        .insert_one_time_token(&token_row(
            SETUP,
            None,
            None,
            token_hash,
            now,
            Duration::hours(1),
        ))
        .await?;
    transaction.commit().await?;
    Ok(Some(
        accounts.settings.link(&format!("/setup?token={token}")),
    ))
}

/// Creates the first administrator with a setup link's token.
pub async fn complete_setup(
    accounts: &Accounts,
    context: &RequestContext,
    token: &str,
    account: NewAccount,
) -> Result<Uuid, AccountError> {
    create(accounts, context, Some(token), account, true, true).await
}

/// Creates an account for an operator (`gatehouse user create`).
pub async fn create_user(
    accounts: &Accounts,
    account: NewAccount,
    verified: bool,
    admin: bool,
) -> Result<Uuid, AccountError> {
    create(
        accounts,
        &RequestContext::default(),
        None,
        account,
        verified,
        admin,
    )
    .await
}

async fn create(
    accounts: &Accounts,
    context: &RequestContext,
    setup_token: Option<&str>,
    account: NewAccount,
    verified: bool,
    admin: bool,
) -> Result<Uuid, AccountError> {
    let NewCredentials {
        email,
        display_name,
        hash,
    } = new_credentials(
        accounts,
        &account.email,
        account.display_name,
        &account.password,
    )
    .await?;
    let now = accounts.clock.now();
    let mut row = new_user_row(&email, display_name, None, now);
    row.is_admin = admin;
    row.email_verified_at = verified.then_some(now);
    let mut transaction = accounts.store.begin().await?;
    if let Some(token) = setup_token
        && transaction
            .consume_one_time_token(&digest(token), SETUP, now)
            .await?
            .is_none()
    {
        return Err(AccountError::InvalidLink);
    }
    match transaction.insert_user(&row).await {
        Err(crate::StoreError::AlreadyExists(_)) => return Err(AccountError::EmailTaken),
        other => other?,
    }
    transaction
        .set_password(&PasswordRow {
            user_id: row.id,
            hash,
            updated_at: now,
        })
        .await?;
    if admin {
        // Role assignments change what nodes have cached: bump the model version with them.
        transaction.lock_rbac().await?;
        transaction
            .assign_role(row.id, ADMIN_ROLE_ID, None, now)
            .await?;
        transaction.bump_rbac_version().await?;
    }
    let (actor, action) = if setup_token.is_some() {
        (Actor::User(row.id), "user.setup_completed")
    } else {
        (Actor::System, "user.created")
    };
    let mut event = context.event(
        actor,
        action,
        Outcome::Success,
        Some(row.id),
        Some(email.as_str()),
    );
    event.details = Some(serde_json::json!({ "admin": admin, "verified": verified }));
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    Ok(row.id)
}
