//! Administration of accounts (the management API's users): search, read, create, change,
//! disable, enable and delete users, their sessions and second factors. Each use case checks
//! the [`Operator`]'s capability first, then makes one atomic change through one transaction
//! together with its audit event (`user.created`, `user.updated`, `user.disabled`,
//! `user.enabled`, `user.deleted`, …). Reads of personal data are audited too
//! (`user.viewed`, `users.listed`).
//!
//! The last-administrator rule: an active holder of `gatehouse:admin` who is the last one can
//! be neither disabled nor deleted. Disabling, enabling and deleting change what the user may do,
//! so they take the authorization model's lock (serialising them with every role change, so two
//! administrators cannot disable each other at once) and bump its version (every node forgets
//! its cached grants within its poll).

mod error;

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

pub use error::UserError;

use crate::{
    accounts::{
        Accounts, NewCredentials, ProfileChanges, UserStatus, apply_profile, new_credentials,
        new_user_row, optional_text, parse_email,
    },
    audit::{Actor, AuditEvent, Outcome, record, record_alone},
    authorization::{
        ADMIN_ROLE_ID,
        capability::{MFA_RESET, SESSIONS_REVOKE, USERS_READ, USERS_WRITE},
    },
    mfa::{UserFactors, reset_factors_by, user_factors as factors_of},
    oauth::{OAuth, Operator},
    secrets::destroy_subject_key,
    store::{PasswordRow, SessionRow, Transaction, UserFilter, UserRow},
};

/// The most users one page holds.
pub const MAX_PAGE: u32 = 200;

/// A user an administrator registers.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// The address.
    pub email: String,
    /// A first password (checked against the policy); without one the user sets it through
    /// "forgot password".
    pub password: Option<String>,
    /// Whether the address counts as verified already.
    pub email_verified: bool,
    /// Names, locale, picture and attributes.
    pub profile: ProfileChanges,
}

/// Changes to a user (`None` leaves a field as it is).
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// A new address (unverified unless `email_verified` says otherwise).
    pub email: Option<String>,
    /// Mark the address verified (now) or unverified.
    pub email_verified: Option<bool>,
    /// Names, locale, picture and attributes.
    pub profile: ProfileChanges,
}

/// One page of users, by id.
#[derive(Debug, Clone)]
pub struct UserPage {
    /// The users.
    pub users: Vec<UserRow>,
    /// The id to continue after, when more may follow.
    pub next_after: Option<Uuid>,
}

fn event(operator: &Operator, action: &str, subject: Uuid, email: Option<&str>) -> AuditEvent {
    operator.context.event(
        operator.actor.clone(),
        action,
        Outcome::Success,
        Some(subject),
        email,
    )
}

/// The user, or `NotFound`.
async fn existing(accounts: &Accounts, id: Uuid) -> Result<UserRow, UserError> {
    accounts
        .store
        .users()
        .by_id(id)
        .await?
        .ok_or(UserError::NotFound)
}

/// Users matching `filter`, by id, after the cursor `after`, at most `limit` (1 to
/// [`MAX_PAGE`]); capability `gatehouse:users.read`. Audited as `users.listed` (what was asked
/// and how many came back, not who).
pub async fn search_users(
    accounts: &Accounts,
    operator: &Operator,
    filter: &UserFilter,
    after: Option<Uuid>,
    limit: u32,
) -> Result<UserPage, UserError> {
    operator.require(USERS_READ)?;
    let limit = limit.clamp(1, MAX_PAGE);
    let mut users = accounts
        .store
        .users()
        .search(filter, after, limit + 1)
        .await?;
    let more = users.len() > limit as usize;
    users.truncate(limit as usize);
    let next_after = if more {
        users.last().map(|row| row.id)
    } else {
        None
    };
    let mut event = AuditEvent::new(operator.actor.clone(), "users.listed");
    event.request_id.clone_from(&operator.context.request_id);
    event.details = Some(json!({
        "query": filter.query.is_some(),
        "status": filter.status,
        "email_verified": filter.email_verified,
        "role_id": filter.role_id,
        "created_from": filter.created_from,
        "created_before": filter.created_before,
        "count": users.len(),
    }));
    record_alone(
        &*accounts.store,
        &accounts.keyring,
        accounts.clock.now(),
        event,
    )
    .await?;
    Ok(UserPage { users, next_after })
}

/// One user; capability `gatehouse:users.read`. Audited as `user.viewed`.
pub async fn get_user(
    accounts: &Accounts,
    operator: &Operator,
    id: Uuid,
) -> Result<UserRow, UserError> {
    operator.require(USERS_READ)?;
    let row = existing(accounts, id).await?;
    let mut viewed = AuditEvent::new(operator.actor.clone(), "user.viewed");
    viewed.request_id.clone_from(&operator.context.request_id);
    viewed.target = Some(format!("user:{id}"));
    record_alone(
        &*accounts.store,
        &accounts.keyring,
        accounts.clock.now(),
        viewed,
    )
    .await?;
    Ok(row)
}

/// Registers a user; capability `gatehouse:users.write`. Audited as `user.created`.
pub async fn create_user(
    accounts: &Accounts,
    operator: &Operator,
    input: NewUser,
) -> Result<UserRow, UserError> {
    operator.require(USERS_WRITE)?;
    let (email, display_name, hash) = match &input.password {
        Some(password) => {
            let NewCredentials {
                email,
                display_name,
                hash,
            } = new_credentials(
                accounts,
                &input.email,
                input.profile.display_name.clone(),
                password,
            )
            .await?;
            (email, display_name, Some(hash))
        }
        None => (
            parse_email(&input.email)?,
            optional_text("display_name", input.profile.display_name.clone())?,
            None,
        ),
    };
    let now = accounts.clock.now();
    let mut row = new_user_row(&email, display_name, None, now);
    apply_profile(accounts, &mut row, input.profile)?;
    row.email_verified_at = input.email_verified.then_some(now);
    let mut transaction = accounts.store.begin().await?;
    match transaction.insert_user(&row).await {
        Err(crate::StoreError::AlreadyExists(_)) => return Err(UserError::EmailTaken),
        other => other?,
    }
    if let Some(hash) = hash {
        transaction
            .set_password(&PasswordRow {
                user_id: row.id,
                hash,
                updated_at: now,
            })
            .await?;
    }
    let mut created = event(operator, "user.created", row.id, Some(email.as_str()));
    created.details = Some(json!({
        "verified": input.email_verified,
        "password": input.password.is_some(),
    }));
    record(&mut *transaction, &accounts.keyring, now, created).await?;
    transaction.commit().await?;
    Ok(row)
}

/// Changes a user's address, its verification and their profile; capability
/// `gatehouse:users.write`. Audited as `user.updated` with the names of the fields changed.
pub async fn update_user(
    accounts: &Accounts,
    operator: &Operator,
    id: Uuid,
    changes: UserChanges,
) -> Result<UserRow, UserError> {
    operator.require(USERS_WRITE)?;
    let email = changes.email.as_deref().map(parse_email).transpose()?;
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    let before = transaction
        .lock_user(id)
        .await?
        .ok_or(UserError::NotFound)?;
    let mut row = before.clone();
    if let Some(email) = &email {
        if email.normalized() != row.email_normalized {
            row.email_verified_at = None;
        }
        email.as_str().clone_into(&mut row.email);
        email.normalized().clone_into(&mut row.email_normalized);
    }
    match changes.email_verified {
        Some(true) => row.email_verified_at = row.email_verified_at.or(Some(now)),
        Some(false) => row.email_verified_at = None,
        None => {}
    }
    apply_profile(accounts, &mut row, changes.profile)?;
    let fields = changed_fields(&before, &row);
    if fields.is_empty() {
        return Ok(before);
    }
    row.updated_at = now;
    match transaction.update_user(&row).await {
        Err(crate::StoreError::AlreadyExists(_)) => return Err(UserError::EmailTaken),
        Ok(false) => return Err(UserError::NotFound),
        other => {
            other?;
        }
    }
    let new_email = fields.contains(&"email").then_some(row.email.as_str());
    let mut updated = event(operator, "user.updated", id, new_email);
    updated.details = Some(json!({ "fields": fields }));
    record(&mut *transaction, &accounts.keyring, now, updated).await?;
    transaction.commit().await?;
    accounts.session_cache.forget_user(id);
    Ok(row)
}

fn changed_fields(before: &UserRow, after: &UserRow) -> Vec<&'static str> {
    let checks = [
        ("email", before.email != after.email),
        (
            "email_verified",
            before.email_verified_at.is_some() != after.email_verified_at.is_some(),
        ),
        ("display_name", before.display_name != after.display_name),
        ("given_name", before.given_name != after.given_name),
        ("family_name", before.family_name != after.family_name),
        ("locale", before.locale != after.locale),
        ("picture_url", before.picture_url != after.picture_url),
        ("attributes", before.attributes != after.attributes),
    ];
    checks
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect()
}

/// Refuses when `user` is the last active holder of `gatehouse:admin`. Call it holding the
/// model lock, so a concurrent disable or role change cannot slip between check and change.
async fn keep_an_administrator(
    accounts: &Accounts,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<(), UserError> {
    let holders = accounts
        .store
        .rbac()
        .active_holders(ADMIN_ROLE_ID, now)
        .await?;
    if holders.contains(&user) && holders.len() == 1 {
        return Err(UserError::LastAdministrator);
    }
    Ok(())
}

/// Forgets what this node cached about `user` and the revoked grants; reloads the model.
async fn forget(accounts: &Accounts, oauth: &OAuth, user: Uuid, grants: &[Uuid]) {
    accounts.session_cache.forget_user(user);
    accounts.authorizer.forget(user);
    for grant in grants {
        oauth.tokens.forget_grant(*grant);
    }
    if let Err(error) = accounts.authorizer.refresh().await {
        // Committed already; the version poll reloads the model later.
        tracing::warn!(error = %error, "reloading the authorization model failed");
    }
}

/// Sets the user's status, holding the model lock; `None` when it already had it.
async fn set_status(
    transaction: &mut dyn Transaction,
    id: Uuid,
    status: UserStatus,
    now: DateTime<Utc>,
) -> Result<Option<UserRow>, UserError> {
    let mut row = transaction
        .lock_user(id)
        .await?
        .ok_or(UserError::NotFound)?;
    if row.status == status.as_str() {
        return Ok(None);
    }
    status.as_str().clone_into(&mut row.status);
    row.updated_at = now;
    transaction.update_user(&row).await?;
    Ok(Some(row))
}

/// Disables a user: they can no longer sign in, their sessions end and their OAuth grants
/// (refresh tokens, and the access tokens issued under them) are revoked, in the same
/// transaction. Capability `gatehouse:users.write`; refused for the last administrator.
/// Audited as `user.disabled`. Disabling a disabled user changes nothing.
pub async fn disable_user(
    accounts: &Accounts,
    oauth: &OAuth,
    operator: &Operator,
    id: Uuid,
) -> Result<UserRow, UserError> {
    operator.require(USERS_WRITE)?;
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    transaction.lock_rbac().await?;
    keep_an_administrator(accounts, id, now).await?;
    let Some(row) = set_status(&mut *transaction, id, UserStatus::Disabled, now).await? else {
        return existing(accounts, id).await;
    };
    let sessions = transaction.revoke_sessions(id, None, now).await?;
    let grants = transaction
        .revoke_user_grants(id, None, now, "user_disabled")
        .await?;
    transaction.bump_rbac_version().await?;
    let mut disabled = event(operator, "user.disabled", id, None);
    disabled.details = Some(json!({ "sessions": sessions, "grants": grants.len() }));
    record(&mut *transaction, &accounts.keyring, now, disabled).await?;
    transaction.commit().await?;
    forget(accounts, oauth, id, &grants).await;
    Ok(row)
}

/// Enables a disabled (or locked) user again; capability `gatehouse:users.write`. Audited as
/// `user.enabled`.
pub async fn enable_user(
    accounts: &Accounts,
    oauth: &OAuth,
    operator: &Operator,
    id: Uuid,
) -> Result<UserRow, UserError> {
    operator.require(USERS_WRITE)?;
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    transaction.lock_rbac().await?;
    let Some(row) = set_status(&mut *transaction, id, UserStatus::Active, now).await? else {
        return existing(accounts, id).await;
    };
    transaction.bump_rbac_version().await?;
    record(
        &mut *transaction,
        &accounts.keyring,
        now,
        event(operator, "user.enabled", id, None),
    )
    .await?;
    transaction.commit().await?;
    forget(accounts, oauth, id, &[]).await;
    Ok(row)
}

/// Deletes a user with everything that hangs off them (password, sessions, factors, role
/// assignments, grants, consents), revoking their grants first so issued tokens stop working;
/// then destroys their subject key, so the personal data in audit records about them becomes
/// unreadable (the records keep their meaning). Capability `gatehouse:users.write`; refused for
/// the last administrator. Audited as `user.deleted` (with no personal data).
pub async fn delete_user(
    accounts: &Accounts,
    oauth: &OAuth,
    operator: &Operator,
    id: Uuid,
) -> Result<(), UserError> {
    operator.require(USERS_WRITE)?;
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    transaction.lock_rbac().await?;
    keep_an_administrator(accounts, id, now).await?;
    let grants = transaction
        .revoke_user_grants(id, None, now, "user_deleted")
        .await?;
    if !transaction.delete_user(id).await? {
        return Err(UserError::NotFound);
    }
    transaction.bump_rbac_version().await?;
    let mut deleted = AuditEvent::new(operator.actor.clone(), "user.deleted");
    deleted.request_id.clone_from(&operator.context.request_id);
    deleted.target = Some(format!("user:{id}"));
    deleted.details = Some(json!({ "grants": grants.len() }));
    record(&mut *transaction, &accounts.keyring, now, deleted).await?;
    transaction.commit().await?;
    forget(accounts, oauth, id, &grants).await;
    destroy_subject_key(&*accounts.store, id, now).await?;
    Ok(())
}

/// The user's live sessions, newest first; capability `gatehouse:users.read`.
pub async fn user_sessions(
    accounts: &Accounts,
    operator: &Operator,
    user: Uuid,
) -> Result<Vec<SessionRow>, UserError> {
    operator.require(USERS_READ)?;
    existing(accounts, user).await?;
    Ok(accounts
        .store
        .sessions()
        .list_for_user(user, accounts.clock.now())
        .await?)
}

/// Ends one of the user's sessions and the OAuth grants that came from it; capability
/// `gatehouse:sessions.revoke`. Audited as `user.session_revoked`.
pub async fn revoke_user_session(
    accounts: &Accounts,
    oauth: &OAuth,
    operator: &Operator,
    user: Uuid,
    session: Uuid,
) -> Result<(), UserError> {
    operator.require(SESSIONS_REVOKE)?;
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    if !transaction.revoke_session(user, session, now).await? {
        return Err(UserError::SessionNotFound);
    }
    let grants = transaction
        .revoke_session_grants(session, now, "session_revoked")
        .await?;
    let mut revoked = event(operator, "user.session_revoked", user, None);
    revoked.details = Some(json!({ "session": session, "grants": grants.len() }));
    record(&mut *transaction, &accounts.keyring, now, revoked).await?;
    transaction.commit().await?;
    accounts.session_cache.forget_user(user);
    for grant in &grants {
        oauth.tokens.forget_grant(*grant);
    }
    Ok(())
}

/// Ends every session of the user and revokes their OAuth grants; capability
/// `gatehouse:sessions.revoke`. Returns how many sessions ended. Audited as
/// `user.sessions_revoked`.
pub async fn revoke_user_sessions(
    accounts: &Accounts,
    oauth: &OAuth,
    operator: &Operator,
    user: Uuid,
) -> Result<u64, UserError> {
    operator.require(SESSIONS_REVOKE)?;
    existing(accounts, user).await?;
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    let sessions = transaction.revoke_sessions(user, None, now).await?;
    let grants = transaction
        .revoke_user_grants(user, None, now, "signed_out_everywhere")
        .await?;
    let mut revoked = event(operator, "user.sessions_revoked", user, None);
    revoked.details = Some(json!({ "sessions": sessions, "grants": grants.len() }));
    record(&mut *transaction, &accounts.keyring, now, revoked).await?;
    transaction.commit().await?;
    accounts.session_cache.forget_user(user);
    for grant in &grants {
        oauth.tokens.forget_grant(*grant);
    }
    Ok(sessions)
}

/// The user's second factors (names and counts, never secrets); capability
/// `gatehouse:users.read`.
pub async fn user_factors(
    accounts: &Accounts,
    operator: &Operator,
    user: Uuid,
) -> Result<UserFactors, UserError> {
    operator.require(USERS_READ)?;
    existing(accounts, user).await?;
    Ok(factors_of(accounts, user).await?)
}

/// Removes every second factor of the user (who is mailed); capability
/// `gatehouse:mfa.reset`. Returns how many went. Audited as `mfa.reset`.
pub async fn reset_user_factors(
    accounts: &Accounts,
    operator: &Operator,
    user: Uuid,
) -> Result<u64, UserError> {
    operator.require(MFA_RESET)?;
    existing(accounts, user).await?;
    Ok(reset_factors_by(accounts, &operator.context, operator.actor.clone(), user).await?)
}

/// Who acts, as the idempotency store keys it (`user:<id>`, `client:<client_id>`).
pub fn actor_key(actor: &Actor) -> String {
    format!("{}:{}", actor.kind(), actor.id().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> UserRow {
        let now = DateTime::UNIX_EPOCH;
        UserRow {
            id: Uuid::nil(),
            email: "a@example.com".into(),
            email_normalized: "a@example.com".into(),
            email_verified_at: None,
            display_name: None,
            given_name: None,
            family_name: None,
            locale: None,
            picture_url: None,
            attributes: "{}".into(),
            status: "active".into(),
            is_admin: false,
            created_at: now,
            updated_at: now,
            last_sign_in_at: None,
        }
    }

    #[test]
    fn only_changed_fields_are_named() {
        let before = row();
        assert!(changed_fields(&before, &before).is_empty());
        let mut after = before.clone();
        after.display_name = Some("A".into());
        after.email_verified_at = Some(DateTime::UNIX_EPOCH);
        assert_eq!(
            changed_fields(&before, &after),
            ["email_verified", "display_name"]
        );
    }

    #[test]
    fn actor_keys_name_the_kind() {
        let user = Uuid::nil();
        assert_eq!(actor_key(&Actor::User(user)), format!("user:{user}"));
        assert_eq!(actor_key(&Actor::Client("abc".into())), "client:abc");
    }
}
