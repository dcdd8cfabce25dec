//! Accounts: users, passwords, sessions, email verification, password reset, throttling and the
//! first administrator. Each use case takes the [`Accounts`] deps, the caller's
//! [`RequestContext`] and its input, and makes one atomic change (state, audit event, mail job).

mod context;
mod email;
mod error;
mod hasher;
mod password;
mod profile;
mod recovery;
mod secret_token;
mod session_cache;
mod sessions;
mod settings;
mod setup;
mod sign_in;
mod sign_up;
mod user;
mod verification;

use std::sync::Arc;

pub use context::RequestContext;
pub use email::EmailAddress;
pub use error::AccountError;
pub use hasher::{BUSY_RETRY_AFTER_SECS, HashingCost, PasswordHasher, Verification};
pub use password::{Password, PasswordPolicy, PasswordProblem};
pub use profile::{
    ProfileChanges, change_email, change_password, confirm_email_change, update_profile,
};
pub(crate) use profile::{apply as apply_profile, check_current_password};
pub use recovery::{request_password_reset, reset_password};
pub use secret_token::{digest, new_code, new_link_token};
pub use session_cache::SessionCache;
pub(crate) use sessions::start_session;
pub use sessions::{
    CurrentSession, authenticate, list_sessions, revoke_other_sessions, revoke_session, sign_out,
};
pub use settings::{AccountSettings, SessionPolicy};
pub use setup::{NewAccount, complete_setup, create_user, ensure_setup_token};
pub use sign_in::{SignInStep, SignedIn, sign_in};
pub(crate) use sign_up::{
    NewCredentials, new_credentials, new_user_row, optional_text, parse_email,
};
pub use sign_up::{SignUp, sign_up};
pub use user::{User, UserStatus};
pub use verification::{resend_verification, verify_with_code, verify_with_link};

use crate::{Clock, authorization::Authorizer, secrets::Keyring, store::Store};

/// What the account use cases need.
#[derive(Debug, Clone)]
pub struct Accounts {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Data keys (mail sealing, code MACs, audit personal data).
    pub keyring: Arc<Keyring>,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// argon2id on a bounded pool.
    pub hasher: PasswordHasher,
    /// Rules and lifetimes.
    pub settings: AccountSettings,
    /// Who holds which roles (the MFA policy asks).
    pub authorizer: Arc<Authorizer>,
    /// This node's cache of authenticated sessions.
    pub session_cache: Arc<SessionCache>,
}
