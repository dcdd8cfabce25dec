//! Server-side sessions: a 256-bit random cookie value, stored as a digest, with idle and
//! absolute timeouts; listed to the user and revocable one by one or all but the current one.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{AccountError, Accounts, RequestContext, User, UserStatus, digest, new_link_token};
use crate::{
    audit::{Actor, Outcome, record},
    store::{SessionRow, Transaction, new_id},
};

/// How stale `last_seen_at` may get before a request writes it again: most requests then only
/// read, which keeps SQLite's single writer free; idle timeouts are this much less exact.
pub const LAST_SEEN_PRECISION: chrono::Duration = chrono::Duration::seconds(60);

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct CurrentSession {
    /// The session.
    pub session: SessionRow,
    /// Its user.
    pub user: User,
}

/// Creates a session in `transaction` for a user who just authenticated by `amr` (JSON array
/// text); returns the cookie value and the row.
pub(crate) async fn start_session(
    transaction: &mut dyn Transaction,
    accounts: &Accounts,
    context: &RequestContext,
    user: Uuid,
    amr: &str,
    now: DateTime<Utc>,
) -> Result<(String, SessionRow), AccountError> {
    let (token, token_hash) = new_link_token()?;
    let row = SessionRow {
        id: new_id(),
        token_hash,
        user_id: user,
        created_at: now,
        last_seen_at: now,
        expires_at: now + accounts.settings.sessions.absolute,
        revoked_at: None,
        user_agent: context
            .user_agent
            .as_deref()
            .map(|agent| agent.chars().take(512).collect()),
        ip: context.ip.clone(),
        amr: amr.to_owned(),
        authenticated_at: now,
    };
    transaction.insert_session(&row).await?;
    Ok((token, row))
}

/// The live session a cookie value names, if its user may still use it; marks it used.
pub async fn authenticate(
    accounts: &Accounts,
    token: &str,
) -> Result<Option<CurrentSession>, AccountError> {
    let now = accounts.clock.now();
    let idle_cutoff = now - accounts.settings.sessions.idle;
    let token_hash = digest(token);
    if let Some(current) = accounts.session_cache.get(&token_hash, now) {
        if current.session.expires_at > now && current.session.last_seen_at > idle_cutoff {
            return Ok(Some(current));
        }
        accounts.session_cache.forget_user(current.user.id());
    }
    let Some(session) = accounts
        .store
        .sessions()
        .touch(&token_hash, now, idle_cutoff, now - LAST_SEEN_PRECISION)
        .await?
    else {
        return Ok(None);
    };
    let Some(row) = accounts.store.users().by_id(session.user_id).await? else {
        return Ok(None);
    };
    let user = User::from_row(row)?;
    if user.status != UserStatus::Active {
        return Ok(None);
    }
    let current = CurrentSession { session, user };
    accounts.session_cache.put(token_hash, &current, now);
    Ok(Some(current))
}

/// Ends the current session.
pub async fn sign_out(
    accounts: &Accounts,
    context: &RequestContext,
    current: &CurrentSession,
) -> Result<(), AccountError> {
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    transaction
        .revoke_session(current.user.id(), current.session.id, now)
        .await?;
    let event = context.event(
        Actor::User(current.user.id()),
        "user.signed_out",
        Outcome::Success,
        Some(current.user.id()),
        None,
    );
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    accounts.session_cache.forget_user(current.user.id());
    Ok(())
}

/// The user's live sessions, newest first.
pub async fn list_sessions(
    accounts: &Accounts,
    current: &CurrentSession,
) -> Result<Vec<SessionRow>, AccountError> {
    Ok(accounts
        .store
        .sessions()
        .list_for_user(current.user.id(), accounts.clock.now())
        .await?)
}

/// Ends one of the user's sessions. False when there was no such live session.
pub async fn revoke_session(
    accounts: &Accounts,
    context: &RequestContext,
    current: &CurrentSession,
    session_id: Uuid,
) -> Result<bool, AccountError> {
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    let revoked = transaction
        .revoke_session(current.user.id(), session_id, now)
        .await?;
    if revoked {
        let mut event = context.event(
            Actor::User(current.user.id()),
            "user.session_revoked",
            Outcome::Success,
            Some(current.user.id()),
            None,
        );
        event.details = Some(serde_json::json!({ "session": session_id }));
        record(&mut *transaction, &accounts.keyring, now, event).await?;
    }
    transaction.commit().await?;
    accounts.session_cache.forget_user(current.user.id());
    Ok(revoked)
}

/// Ends every session of the user but the current one, and revokes every OAuth grant
/// (refresh-token family) of the user: signing out everywhere also signs applications out.
/// Returns how many sessions ended.
pub async fn revoke_other_sessions(
    accounts: &Accounts,
    context: &RequestContext,
    current: &CurrentSession,
) -> Result<u64, AccountError> {
    let now = accounts.clock.now();
    let mut transaction = accounts.store.begin().await?;
    let revoked = transaction
        .revoke_sessions(current.user.id(), Some(current.session.id), now)
        .await?;
    let grants = transaction
        .revoke_user_grants(current.user.id(), None, now, "signed_out_everywhere")
        .await?;
    let mut event = context.event(
        Actor::User(current.user.id()),
        "user.other_sessions_revoked",
        Outcome::Success,
        Some(current.user.id()),
        None,
    );
    event.details = Some(serde_json::json!({ "count": revoked, "grants_revoked": grants.len() }));
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    accounts.session_cache.forget_user(current.user.id());
    Ok(revoked)
}
