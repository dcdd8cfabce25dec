//! WebAuthn (webauthn-rs): security keys as a second factor, passkeys for passwordless sign-in
//! (discoverable credentials, including the browser's autofill) and as a second factor.
//! The relying party id is the public URL's host; WebAuthn refuses IP addresses, so with one
//! WebAuthn is unavailable.
//!
//! Every ceremony has two requests: the first returns the options the browser passes to
//! `navigator.credentials.create()`/`get()` (JSON) and keeps the verifier's state, sealed, in a
//! challenge row; the second verifies the browser's answer against that state. The browser
//! holds only the challenge token, never the state.
//!
//! - Registration (signed in): a *passkey* must be discoverable (resident key required) and
//!   user-verifying; a *security key* asks for user verification as `mfa.user_verification`
//!   says. The user's existing credentials are excluded; the first second factor comes with
//!   recovery codes.
//! - Second factor: a pending sign-in or step-up (see `challenge.rs`) is answered with any of
//!   the user's credentials, throttled and counted like a TOTP code.
//! - Passkey sign-in: the credential names its user (the user handle is the user id); only a
//!   `passkey` may sign in alone, and everything a password sign-in enforces (active account,
//!   verified address, the per-IP throttle) applies. A user-verifying passkey is two factors.
//! - Passkey step-up: the session is refreshed by a passkey alone.
//!
//! A signature counter that does not grow (when either the stored or the new one is non-zero)
//! suggests a cloned authenticator and is refused.

mod protocol;
mod register;
mod second_factor;
mod sign_in;
mod state;
mod step_up;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;
use uuid::Uuid;
use webauthn_rs::{
    Webauthn, WebauthnBuilder,
    prelude::{
        AuthenticationResult, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
        PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, SecurityKey,
        SecurityKeyAuthentication, SecurityKeyRegistration, Url, WebauthnError,
    },
};

use super::{
    UserVerification, amr,
    challenge::{
        ChallengeState, Completed, PASSKEY_SIGN_IN, PASSKEY_STEP_UP, WEBAUTHN_REGISTER,
        begin_ceremony, finish_challenge, open_state, seal_state,
    },
    enrol::{audit, ensure_enrolment_allowed, factor_name, recovery_codes_if_none},
    pending,
    second_factor::{after_success, record_failure, success_event, take_attempt},
};
use crate::{
    StoreError,
    accounts::{
        AccountError, Accounts, CurrentSession, RequestContext, SignedIn, User, UserStatus, digest,
        new_link_token, start_session,
    },
    audit::{Actor, Outcome, record, record_alone},
    store::{ChallengeRow, ThrottleDecision, WebauthnRow, new_id},
};

use protocol::*;
use state::*;

pub use register::{Registered, begin_registration, finish_registration};
pub use second_factor::{begin_authentication, verify_webauthn};
pub use sign_in::{begin_passkey_sign_in, finish_passkey_sign_in};
pub use step_up::{begin_passkey_step_up, finish_passkey_step_up};

/// Credential kind: may sign in alone (discoverable, user-verifying).
pub const PASSKEY: &str = "passkey";
/// Credential kind: a second factor only.
pub const SECURITY_KEY: &str = "security_key";
/// Most WebAuthn credentials one user may have.
pub const MAX_CREDENTIALS: usize = 20;

/// The relying party for `public_url`, or `None` when its host is not a domain name.
pub fn relying_party(public_url: &str, name: &str) -> Option<Arc<Webauthn>> {
    let origin = Url::parse(public_url).ok()?;
    let host = match origin.host()? {
        url::Host::Domain(host) => host.to_owned(),
        url::Host::Ipv4(_) | url::Host::Ipv6(_) => return None,
    };
    let builder = WebauthnBuilder::new(&host, &origin).ok()?.rp_name(name);
    builder.build().ok().map(Arc::new)
}

/// What is being registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// Discoverable and user-verifying: signs in alone, or as a second factor.
    Passkey,
    /// A second factor only.
    SecurityKey,
}

impl CredentialKind {
    /// Parses `passkey` or `security_key`.
    pub fn parse(value: &str) -> Result<Self, AccountError> {
        match value {
            PASSKEY => Ok(Self::Passkey),
            SECURITY_KEY => Ok(Self::SecurityKey),
            _ => Err(AccountError::Invalid {
                field: "kind",
                message: "choose passkey or security_key".to_owned(),
            }),
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passkey => PASSKEY,
            Self::SecurityKey => SECURITY_KEY,
        }
    }

    fn default_name(self) -> &'static str {
        match self {
            Self::Passkey => "Passkey",
            Self::SecurityKey => "Security key",
        }
    }
}
