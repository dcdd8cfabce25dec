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
    audit::{Actor, Outcome, record},
    store::{ChallengeRow, ThrottleDecision, WebauthnRow, new_id},
};

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

/// A registration's verifier state. A security key registered while user verification is
/// required uses the passkey ceremony (which requires it) without the resident-key demand.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", content = "state", rename_all = "snake_case")]
enum Registration {
    /// User verification required.
    Verified(PasskeyRegistration),
    /// User verification preferred or discouraged.
    SecurityKey(SecurityKeyRegistration),
}

/// An authentication's verifier state.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", content = "state", rename_all = "snake_case")]
enum Authentication {
    /// User verification required (passkeys; security keys when configured so).
    Verified(PasskeyAuthentication),
    /// User verification as each credential was registered.
    SecurityKey(SecurityKeyAuthentication),
    /// A discoverable credential names its user (passkey sign-in).
    Discoverable(DiscoverableAuthentication),
}

/// The ceremony a challenge carries (`ChallengeState.ceremony`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "ceremony", rename_all = "snake_case")]
enum Ceremony {
    Register {
        kind: CredentialKind,
        name: String,
        registration: Registration,
    },
    Authenticate {
        authentication: Authentication,
    },
}

impl Ceremony {
    fn to_value(&self) -> Result<Value, AccountError> {
        serde_json::to_value(self)
            .map_err(|e| crate::DomainError::Invalid(format!("webauthn state: {e}")).into())
    }

    fn from_state(state: &ChallengeState) -> Option<Self> {
        serde_json::from_value(state.ceremony.clone()?).ok()
    }
}

fn rejected(error: &WebauthnError) -> AccountError {
    AccountError::WebAuthn(error.to_string())
}

fn webauthn(accounts: &Accounts) -> Result<&Webauthn, AccountError> {
    accounts
        .settings
        .mfa
        .webauthn
        .as_deref()
        .ok_or(AccountError::WebAuthnUnavailable)
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, AccountError> {
    serde_json::to_value(value)
        .map_err(|e| crate::DomainError::Invalid(format!("webauthn options: {e}")).into())
}

/// The browser's answer, decoded; anything malformed is a refused credential.
fn decode<T: DeserializeOwned>(credential: &Value) -> Result<T, AccountError> {
    T::deserialize(credential)
        .map_err(|e| AccountError::WebAuthn(format!("the credential is malformed: {e}")))
}

/// A stored credential (its JSON is webauthn-rs's `Passkey` or `SecurityKey`: both wrap the
/// same credential record, so either reads either).
fn stored<T: DeserializeOwned>(row: &WebauthnRow) -> Result<T, AccountError> {
    serde_json::from_str(&row.credential).map_err(|e| {
        crate::DomainError::Invalid(format!("stored webauthn credential {}: {e}", row.id)).into()
    })
}

/// A new credential, as the row keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NewCredential {
    credential_id: Vec<u8>,
    credential: String,
    sign_count: i64,
    backup_eligible: bool,
    backup_state: bool,
}

impl NewCredential {
    fn of<T: Serialize>(credential_id: &[u8], credential: &T) -> Result<Self, AccountError> {
        let value = to_json(credential)?;
        let record = &value["cred"];
        Ok(Self {
            credential_id: credential_id.to_vec(),
            sign_count: record["counter"].as_i64().unwrap_or_default(),
            backup_eligible: record["backup_eligible"].as_bool().unwrap_or_default(),
            backup_state: record["backup_state"].as_bool().unwrap_or_default(),
            credential: value.to_string(),
        })
    }
}

/// Asks for a discoverable credential (a passkey the browser can offer without a user name).
fn require_discoverable(options: &mut Value) {
    let selection = &mut options["publicKey"]["authenticatorSelection"];
    selection["residentKey"] = Value::from("required");
    selection["requireResidentKey"] = Value::from(true);
}

/// The registration options and state for one kind under the configured user verification.
fn start_registration(
    webauthn: &Webauthn,
    kind: CredentialKind,
    verification: UserVerification,
    user: (Uuid, &str, &str),
    exclude: Vec<Vec<u8>>,
) -> Result<(Value, Registration), AccountError> {
    let (id, name, display_name) = user;
    let exclude = Some(exclude);
    match (kind, verification) {
        (CredentialKind::Passkey, _) => {
            let (options, state) = webauthn
                .start_passkey_registration(id, name, display_name, exclude)
                .map_err(|e| rejected(&e))?;
            let mut options = to_json(&options)?;
            require_discoverable(&mut options);
            Ok((options, Registration::Verified(state)))
        }
        (CredentialKind::SecurityKey, UserVerification::Required) => {
            let (options, state) = webauthn
                .start_passkey_registration(id, name, display_name, exclude)
                .map_err(|e| rejected(&e))?;
            let mut options = to_json(&options)?;
            options["publicKey"]["hints"] = serde_json::json!(["security-key"]);
            Ok((options, Registration::Verified(state)))
        }
        (CredentialKind::SecurityKey, verification) => {
            let (options, state) = webauthn
                .start_securitykey_registration(id, name, display_name, exclude, None, None)
                .map_err(|e| rejected(&e))?;
            let mut options = to_json(&options)?;
            // Credential protection "user verification required" contradicts a preferred or
            // discouraged verification (browsers refuse the request) and would make the key
            // demand verification at every use anyway.
            if let Some(extensions) = options["publicKey"]["extensions"].as_object_mut() {
                extensions.remove("credentialProtectionPolicy");
                extensions.remove("enforceCredentialProtectionPolicy");
            }
            if verification == UserVerification::Discouraged {
                options["publicKey"]["authenticatorSelection"]["userVerification"] =
                    Value::from("discouraged");
            }
            Ok((options, Registration::SecurityKey(state)))
        }
    }
}

/// Verifies a registration response against its state.
fn finish_registration_ceremony(
    webauthn: &Webauthn,
    kind: CredentialKind,
    registration: &Registration,
    response: &RegisterPublicKeyCredential,
) -> Result<NewCredential, AccountError> {
    if kind == CredentialKind::Passkey
        && response
            .extensions
            .cred_props
            .as_ref()
            .and_then(|props| props.rk)
            == Some(false)
    {
        return Err(AccountError::WebAuthn(
            "this authenticator cannot keep a passkey (no discoverable credential); add it as a \
             security key instead"
                .to_owned(),
        ));
    }
    match registration {
        Registration::Verified(state) => {
            let key = webauthn
                .finish_passkey_registration(response, state)
                .map_err(|e| rejected(&e))?;
            NewCredential::of(key.cred_id(), &key)
        }
        Registration::SecurityKey(state) => {
            let key = webauthn
                .finish_securitykey_registration(response, state)
                .map_err(|e| rejected(&e))?;
            NewCredential::of(key.cred_id(), &key)
        }
    }
}

/// The authentication options and state for a second factor: every one of `rows`.
fn start_second_factor(
    webauthn: &Webauthn,
    verification: UserVerification,
    rows: &[WebauthnRow],
) -> Result<(Value, Authentication), AccountError> {
    if rows.is_empty() {
        return Err(AccountError::WebAuthn(
            "no security key or passkey is registered for this account".to_owned(),
        ));
    }
    if verification == UserVerification::Required {
        let keys = rows
            .iter()
            .map(stored)
            .collect::<Result<Vec<Passkey>, _>>()?;
        let (options, state) = webauthn
            .start_passkey_authentication(&keys)
            .map_err(|e| rejected(&e))?;
        return Ok((to_json(&options)?, Authentication::Verified(state)));
    }
    let keys = rows
        .iter()
        .map(stored)
        .collect::<Result<Vec<SecurityKey>, _>>()?;
    let (options, state) = webauthn
        .start_securitykey_authentication(&keys)
        .map_err(|e| rejected(&e))?;
    let mut options = to_json(&options)?;
    let has_passkey = rows.iter().any(|row| row.kind == PASSKEY);
    if has_passkey {
        // Passkeys live on phones and computers too, not only on security keys.
        if let Some(public_key) = options["publicKey"].as_object_mut() {
            public_key.remove("hints");
        }
    } else if verification == UserVerification::Discouraged {
        options["publicKey"]["userVerification"] = Value::from("discouraged");
    }
    Ok((options, Authentication::SecurityKey(state)))
}

/// Why an assertion was refused: an audit reason and the error to answer.
#[derive(Debug)]
struct Refusal {
    reason: &'static str,
    error: AccountError,
}

impl Refusal {
    fn new(reason: &'static str, detail: impl Into<String>) -> Self {
        Self {
            reason,
            error: AccountError::WebAuthn(detail.into()),
        }
    }

    fn of(error: &WebauthnError) -> Self {
        let reason = match error {
            WebauthnError::CredentialPossibleCompromise => return Self::counter(),
            WebauthnError::UserNotVerified => "user_not_verified",
            WebauthnError::CredentialNotFound => "unknown_credential",
            WebauthnError::MismatchedChallenge => "wrong_challenge",
            WebauthnError::InvalidRPOrigin | WebauthnError::InvalidRPIDHash => "wrong_origin",
            _ => "invalid_assertion",
        };
        Self {
            reason,
            error: rejected(error),
        }
    }
}

impl Refusal {
    fn counter() -> Self {
        Self::new(
            "counter",
            "the signature counter did not move on; the authenticator may have been cloned",
        )
    }
}

impl From<AccountError> for Refusal {
    fn from(error: AccountError) -> Self {
        Self {
            reason: "internal",
            error,
        }
    }
}

/// A verified assertion: what to store and how the user authenticated.
#[derive(Debug, Clone)]
struct Verified {
    credential: String,
    sign_count: i64,
    backup_state: bool,
    method: &'static str,
}

/// Whether the signature counter moved on: when either is non-zero, the new one must be
/// greater (a counter that stands still or goes back suggests a cloned authenticator).
fn counter_advanced(stored: i64, seen: u32) -> bool {
    (stored == 0 && seen == 0) || i64::from(seen) > stored
}

/// Verifies `response` against `authentication` with the stored credential `row` (which the
/// caller found by the response's credential id and checked is the right user's).
fn verify_assertion(
    webauthn: &Webauthn,
    authentication: &Authentication,
    response: &PublicKeyCredential,
    row: &WebauthnRow,
) -> Result<Verified, Refusal> {
    let result: AuthenticationResult = match authentication {
        Authentication::Verified(state) => webauthn.finish_passkey_authentication(response, state),
        Authentication::SecurityKey(state) => {
            webauthn.finish_securitykey_authentication(response, state)
        }
        Authentication::Discoverable(state) => {
            let key: Passkey = stored(row)?;
            webauthn.finish_discoverable_authentication_v2(response, state.clone(), &key)
        }
    }
    .map_err(|e| Refusal::of(&e))?;
    if !counter_advanced(row.sign_count, result.counter()) {
        return Err(Refusal::counter());
    }
    let credential = if row.kind == PASSKEY {
        let mut key: Passkey = stored(row)?;
        key.update_credential(&result);
        to_json(&key)?
    } else {
        let mut key: SecurityKey = stored(row)?;
        key.update_credential(&result);
        to_json(&key)?
    };
    Ok(Verified {
        credential: credential.to_string(),
        sign_count: i64::from(result.counter()),
        backup_state: result.backup_state(),
        method: if result.backup_state() {
            amr::SOFTWARE_KEY
        } else {
            amr::HARDWARE_KEY
        },
    })
}

/// The live challenge `token` names, if it is of `kind`, with its opened ceremony.
async fn ceremony(
    accounts: &Accounts,
    token: &str,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<(ChallengeRow, Ceremony), AccountError> {
    let row = accounts
        .store
        .mfa()
        .challenge(&digest(token), now)
        .await?
        .filter(|row| row.kind == kind)
        .ok_or(AccountError::ChallengeExpired)?;
    let state = open_state(accounts, &row).await?;
    let ceremony = Ceremony::from_state(&state).ok_or(AccountError::ChallengeExpired)?;
    Ok((row, ceremony))
}

/// Uses up the challenge `token` names (of `kind`) in a transaction of its own, so its WebAuthn
/// challenge can be answered once, right or wrong. Returns the row and its ceremony.
async fn consume(
    accounts: &Accounts,
    token: &str,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<(ChallengeRow, Ceremony), AccountError> {
    let mut transaction = accounts.store.begin().await?;
    let Some(row) = transaction
        .consume_challenge(&digest(token), kind, now)
        .await?
    else {
        transaction.rollback().await?;
        return Err(AccountError::ChallengeExpired);
    };
    transaction.commit().await?;
    let state = open_state(accounts, &row).await?;
    let ceremony = Ceremony::from_state(&state).ok_or(AccountError::ChallengeExpired)?;
    Ok((row, ceremony))
}

/// Starts a challenge carrying `ceremony`; returns the browser's token.
async fn begin(
    accounts: &Accounts,
    kind: &str,
    user: Option<Uuid>,
    session: Option<Uuid>,
    ceremony: &Ceremony,
) -> Result<String, AccountError> {
    let now = accounts.clock.now();
    let state = ChallengeState {
        ceremony: Some(ceremony.to_value()?),
        ..ChallengeState::default()
    };
    let mut transaction = accounts.store.begin().await?;
    let token = begin_ceremony(
        &mut *transaction,
        accounts,
        kind,
        user,
        session,
        &state,
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok(token)
}

/// The stored credential a response names, if it is `user`'s (and, with `passkey_only`, a
/// passkey).
async fn credential_of(
    accounts: &Accounts,
    response: &PublicKeyCredential,
    user: Uuid,
    passkey_only: bool,
) -> Result<WebauthnRow, Refusal> {
    let row = accounts
        .store
        .mfa()
        .webauthn_by_credential_id(response.get_credential_id())
        .await
        .map_err(AccountError::from)?
        .filter(|row| row.user_id == user)
        .ok_or_else(|| {
            Refusal::new(
                "unknown_credential",
                "this security key or passkey is not registered for this account",
            )
        })?;
    if passkey_only && row.kind != PASSKEY {
        return Err(Refusal::new(
            "not_a_passkey",
            "this is a security key, which is a second step only; sign in with your password",
        ));
    }
    Ok(row)
}

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
    let session_token = super::note_enrolment(accounts, current, method).await?;
    Ok(Registered {
        recovery_codes: codes,
        session_token,
    })
}

/// Begins answering the pending sign-in or step-up `token` (from `pending()`) with a security
/// key or passkey: returns the options for `navigator.credentials.get()`, allowing every one of
/// the user's credentials.
pub async fn begin_authentication(accounts: &Accounts, token: &str) -> Result<Value, AccountError> {
    let webauthn = webauthn(accounts)?;
    let now = accounts.clock.now();
    let pending = pending(accounts, token)
        .await?
        .ok_or(AccountError::ChallengeExpired)?;
    let rows = accounts
        .store
        .mfa()
        .webauthn_credentials(pending.user.id())
        .await?;
    let (options, authentication) =
        start_second_factor(webauthn, accounts.settings.mfa.user_verification, &rows)?;
    let mut state = pending.state.clone();
    state.ceremony = Some(Ceremony::Authenticate { authentication }.to_value()?);
    let sealed = seal_state(accounts, pending.row.id, &state).await?;
    let mut transaction = accounts.store.begin().await?;
    if !transaction
        .update_challenge_state(&pending.row.token_hash, &sealed, now)
        .await?
    {
        transaction.rollback().await?;
        return Err(AccountError::ChallengeExpired);
    }
    transaction.commit().await?;
    Ok(options)
}

/// Answers the pending sign-in or step-up `token` with the browser's `navigator.credentials.get()`
/// result. Wrong answers count against the challenge and the account like wrong codes; the
/// ceremony must be started again after one.
pub async fn verify_webauthn(
    accounts: &Accounts,
    context: &RequestContext,
    token: &str,
    credential: &Value,
) -> Result<Completed, AccountError> {
    let webauthn = webauthn(accounts)?;
    let now = accounts.clock.now();
    let pending = pending(accounts, token)
        .await?
        .ok_or(AccountError::ChallengeExpired)?;
    take_attempt(accounts, context, &pending, "webauthn", now).await?;
    let Some(Ceremony::Authenticate { authentication }) = Ceremony::from_state(&pending.state)
    else {
        return Err(AccountError::WebAuthn(
            "no security key or passkey check is in progress; start again".to_owned(),
        ));
    };
    let verified = match decode::<PublicKeyCredential>(credential) {
        Ok(response) => match credential_of(accounts, &response, pending.user.id(), false).await {
            Ok(row) => verify_assertion(webauthn, &authentication, &response, &row)
                .map(|verified| (row, verified)),
            Err(refusal) => Err(refusal),
        },
        Err(error) => Err(Refusal {
            reason: "malformed",
            error,
        }),
    };
    let (row, verified) = match verified {
        Ok(found) => found,
        Err(Refusal {
            reason: "internal",
            error,
        }) => return Err(error),
        Err(refusal) => {
            // The ceremony is over either way: the next try needs a new WebAuthn challenge.
            let mut state = pending.state.clone();
            state.ceremony = None;
            let sealed = seal_state(accounts, pending.row.id, &state).await?;
            let mut transaction = accounts.store.begin().await?;
            transaction
                .update_challenge_state(&pending.row.token_hash, &sealed, now)
                .await?;
            transaction.commit().await?;
            return Err(
                match record_failure(accounts, context, &pending, "webauthn", refusal.reason, now)
                    .await
                {
                    Ok(true) => refusal.error,
                    Ok(false) => AccountError::ChallengeExpired,
                    Err(error) => error,
                },
            );
        }
    };
    let mut transaction = accounts.store.begin().await?;
    let completed = finish_challenge(
        &mut *transaction,
        accounts,
        context,
        &pending,
        &[verified.method, amr::MULTI_FACTOR],
        now,
    )
    .await?;
    transaction
        .update_webauthn_use(
            row.id,
            &verified.credential,
            verified.sign_count,
            verified.backup_state,
            now,
        )
        .await?;
    let mut event = success_event(context, &pending, "webauthn");
    if let Some(details) = event.details.as_mut() {
        details["credential"] = serde_json::json!(row.id);
        details["kind"] = serde_json::json!(row.kind);
    }
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    after_success(accounts, &pending, &completed, now).await?;
    Ok(completed)
}

/// Begins a passwordless sign-in with a passkey (the browser offers the user's discoverable
/// credentials, also in the address field's autofill). Returns the options for
/// `navigator.credentials.get()` (with `mediation: "conditional"`, which a sign-in button drops)
/// and the challenge token.
pub async fn begin_passkey_sign_in(accounts: &Accounts) -> Result<(Value, String), AccountError> {
    let webauthn = webauthn(accounts)?;
    let (options, state) = webauthn
        .start_discoverable_authentication()
        .map_err(|e| rejected(&e))?;
    let ceremony = Ceremony::Authenticate {
        authentication: Authentication::Discoverable(state),
    };
    let token = begin(accounts, PASSKEY_SIGN_IN, None, None, &ceremony).await?;
    Ok((to_json(&options)?, token))
}

async fn sign_in_failure(
    accounts: &Accounts,
    context: &RequestContext,
    user: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let mut event = context.event(
        Actor::Anonymous,
        "user.sign_in",
        Outcome::Failure,
        user,
        None,
    );
    event.details = Some(serde_json::json!({ "method": "passkey", "reason": reason }));
    let mut transaction = accounts.store.begin().await?;
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    Ok(())
}

/// Records a refused passkey sign-in; the error to answer.
async fn refuse_sign_in(
    accounts: &Accounts,
    context: &RequestContext,
    user: Option<Uuid>,
    refusal: Refusal,
    now: DateTime<Utc>,
) -> AccountError {
    if refusal.reason == "internal" {
        return refusal.error;
    }
    match sign_in_failure(accounts, context, user, refusal.reason, now).await {
        Ok(()) => refusal.error,
        Err(error) => error,
    }
}

/// The per-IP sign-in throttle password sign-ins count against too.
async fn take_sign_in_ip_attempt(
    accounts: &Accounts,
    context: &RequestContext,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let Some(ip) = &context.ip else {
        return Ok(());
    };
    match accounts
        .store
        .throttle()
        .take_attempt(
            &format!("sign-in:ip:{ip}"),
            &accounts.settings.ip_throttle,
            now,
        )
        .await?
    {
        ThrottleDecision::Allowed { .. } => Ok(()),
        ThrottleDecision::Blocked { until } => Err(AccountError::Throttled { until }),
    }
}

/// Finishes a passkey sign-in with the browser's `navigator.credentials.get()` result: the
/// credential names its user; it must be a passkey of that user, whose account is active (and
/// verified, when that is required). The challenge is used up whatever the outcome. The new
/// session counts as multi-factor (a passkey verifies its user).
pub async fn finish_passkey_sign_in(
    accounts: &Accounts,
    context: &RequestContext,
    token: &str,
    credential: &Value,
) -> Result<SignedIn, AccountError> {
    let webauthn = webauthn(accounts)?;
    let now = accounts.clock.now();
    if let Err(error) = take_sign_in_ip_attempt(accounts, context, now).await {
        sign_in_failure(accounts, context, None, "throttled_ip", now).await?;
        return Err(error);
    }
    let response: PublicKeyCredential = decode(credential)?;
    let (_, ceremony) = consume(accounts, token, PASSKEY_SIGN_IN, now).await?;
    let Ceremony::Authenticate {
        authentication: authentication @ Authentication::Discoverable(_),
    } = ceremony
    else {
        return Err(AccountError::ChallengeExpired);
    };
    let Ok((user_id, _)) = webauthn.identify_discoverable_authentication(&response) else {
        let refusal = Refusal::new("no_user_handle", "this credential does not name an account");
        return Err(refuse_sign_in(accounts, context, None, refusal, now).await);
    };
    let row = match credential_of(accounts, &response, user_id, true).await {
        Ok(row) => row,
        Err(refusal) => return Err(refuse_sign_in(accounts, context, None, refusal, now).await),
    };
    let verified = match verify_assertion(webauthn, &authentication, &response, &row) {
        Ok(verified) => verified,
        Err(refusal) => {
            return Err(refuse_sign_in(accounts, context, Some(row.user_id), refusal, now).await);
        }
    };
    let Some(user) = accounts.store.users().by_id(row.user_id).await? else {
        let refusal = Refusal::new("unknown_user", "no such account");
        return Err(refuse_sign_in(accounts, context, None, refusal, now).await);
    };
    let user = User::from_row(user)?;
    if user.status != UserStatus::Active {
        sign_in_failure(accounts, context, Some(user.id()), "account_disabled", now).await?;
        return Err(AccountError::AccountDisabled);
    }
    if accounts.settings.require_verified_email && user.email_verified_at().is_none() {
        sign_in_failure(
            accounts,
            context,
            Some(user.id()),
            "email_not_verified",
            now,
        )
        .await?;
        return Err(AccountError::EmailNotVerified);
    }
    let mut transaction = accounts.store.begin().await?;
    let (session_token, session) = start_session(
        &mut *transaction,
        accounts,
        context,
        user.id(),
        &amr::encode(&[verified.method, amr::MULTI_FACTOR]),
        now,
    )
    .await?;
    transaction
        .update_webauthn_use(
            row.id,
            &verified.credential,
            verified.sign_count,
            verified.backup_state,
            now,
        )
        .await?;
    let mut event = context.event(
        Actor::User(user.id()),
        "user.signed_in",
        Outcome::Success,
        Some(user.id()),
        None,
    );
    event.details = Some(serde_json::json!({ "method": "passkey", "credential": row.id }));
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    accounts
        .store
        .users()
        .record_sign_in(user.id(), now)
        .await?;
    Ok(SignedIn {
        token: session_token,
        session,
        user,
    })
}

/// Begins confirming it is the signed-in user with one of their passkeys alone (step-up).
/// Returns the options for `navigator.credentials.get()` and the challenge token.
pub async fn begin_passkey_step_up(
    accounts: &Accounts,
    current: &CurrentSession,
) -> Result<(Value, String), AccountError> {
    let webauthn = webauthn(accounts)?;
    let passkeys = accounts
        .store
        .mfa()
        .webauthn_credentials(current.user.id())
        .await?
        .iter()
        .filter(|row| row.kind == PASSKEY)
        .map(stored)
        .collect::<Result<Vec<Passkey>, _>>()?;
    if passkeys.is_empty() {
        return Err(AccountError::WebAuthn(
            "you have no passkey; confirm with your password".to_owned(),
        ));
    }
    let (options, state) = webauthn
        .start_passkey_authentication(&passkeys)
        .map_err(|e| rejected(&e))?;
    let ceremony = Ceremony::Authenticate {
        authentication: Authentication::Verified(state),
    };
    let token = begin(
        accounts,
        PASSKEY_STEP_UP,
        Some(current.user.id()),
        Some(current.session.id),
        &ceremony,
    )
    .await?;
    Ok((to_json(&options)?, token))
}

async fn step_up_failure(
    accounts: &Accounts,
    context: &RequestContext,
    current: &CurrentSession,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let mut event = context.event(
        Actor::User(current.user.id()),
        "user.stepped_up",
        Outcome::Failure,
        Some(current.user.id()),
        None,
    );
    event.details = Some(serde_json::json!({ "method": "passkey", "reason": reason }));
    let mut transaction = accounts.store.begin().await?;
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    Ok(())
}

/// Finishes a passkey step-up: the session's authentication becomes fresh and multi-factor,
/// under a new cookie value (returned; the old one stops working). The challenge is used up
/// whatever the outcome.
pub async fn finish_passkey_step_up(
    accounts: &Accounts,
    context: &RequestContext,
    current: &CurrentSession,
    token: &str,
    credential: &Value,
) -> Result<String, AccountError> {
    let webauthn = webauthn(accounts)?;
    let now = accounts.clock.now();
    let response: PublicKeyCredential = decode(credential)?;
    let (row, ceremony) = consume(accounts, token, PASSKEY_STEP_UP, now).await?;
    if row.user_id != Some(current.user.id()) || row.session_id != Some(current.session.id) {
        return Err(AccountError::ChallengeExpired);
    }
    let Ceremony::Authenticate { authentication } = ceremony else {
        return Err(AccountError::ChallengeExpired);
    };
    let checked = match credential_of(accounts, &response, current.user.id(), true).await {
        Ok(key) => verify_assertion(webauthn, &authentication, &response, &key)
            .map(|verified| (key, verified)),
        Err(refusal) => Err(refusal),
    };
    let (key, verified) = match checked {
        Ok(checked) => checked,
        Err(Refusal {
            reason: "internal",
            error,
        }) => return Err(error),
        Err(refusal) => {
            step_up_failure(accounts, context, current, refusal.reason, now).await?;
            return Err(refusal.error);
        }
    };
    let (renewed, renewed_hash) = new_link_token()?;
    let mut transaction = accounts.store.begin().await?;
    if !transaction
        .reauthenticate_session(
            current.session.id,
            &renewed_hash,
            &amr::encode(&[verified.method, amr::MULTI_FACTOR]),
            now,
        )
        .await?
    {
        transaction.rollback().await?;
        return Err(AccountError::NotSignedIn);
    }
    transaction
        .update_webauthn_use(
            key.id,
            &verified.credential,
            verified.sign_count,
            verified.backup_state,
            now,
        )
        .await?;
    let mut event = context.event(
        Actor::User(current.user.id()),
        "user.stepped_up",
        Outcome::Success,
        Some(current.user.id()),
        None,
    );
    event.details = Some(serde_json::json!({ "method": "passkey", "credential": key.id }));
    record(&mut *transaction, &accounts.keyring, now, event).await?;
    transaction.commit().await?;
    accounts.session_cache.forget_user(current.user.id());
    Ok(renewed)
}

#[cfg(test)]
mod tests {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    use super::*;
    use crate::secrets::sha256;

    const ORIGIN: &str = "http://localhost:8080";

    fn rp() -> Arc<Webauthn> {
        relying_party(ORIGIN, "Gatehouse").unwrap()
    }

    /// Minimal CBOR (RFC 8949) for attestation objects and COSE keys.
    mod cbor {
        fn head(major: u8, length: usize) -> Vec<u8> {
            let major = major << 5;
            match length {
                0..=23 => vec![major | u8::try_from(length).unwrap()],
                24..=255 => vec![major | 24, u8::try_from(length).unwrap()],
                _ => {
                    let mut out = vec![major | 25];
                    out.extend_from_slice(&u16::try_from(length).unwrap().to_be_bytes());
                    out
                }
            }
        }

        pub fn int(value: i64) -> Vec<u8> {
            if value >= 0 {
                head(0, usize::try_from(value).unwrap())
            } else {
                head(1, usize::try_from(-1 - value).unwrap())
            }
        }

        pub fn bytes(value: &[u8]) -> Vec<u8> {
            [head(2, value.len()), value.to_vec()].concat()
        }

        pub fn text(value: &str) -> Vec<u8> {
            [head(3, value.len()), value.as_bytes().to_vec()].concat()
        }

        pub fn map(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
            let mut out = head(5, pairs.len());
            for (key, value) in pairs {
                out.extend_from_slice(key);
                out.extend_from_slice(value);
            }
            out
        }
    }

    const UP: u8 = 0x01;
    const UV: u8 = 0x04;
    const BE: u8 = 0x08;
    const BS: u8 = 0x10;
    const AT: u8 = 0x40;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A software authenticator: one P-256 credential.
    struct Authenticator {
        key: aws_lc_rs::signature::EcdsaKeyPair,
        id: Vec<u8>,
        counter: u32,
        /// Flags beyond user presence (UV, BE, BS).
        flags: u8,
        resident: bool,
        user_handle: Option<Vec<u8>>,
    }

    impl Authenticator {
        fn new(flags: u8) -> Self {
            let key = aws_lc_rs::signature::EcdsaKeyPair::generate(
                &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            )
            .unwrap();
            let mut id = vec![0_u8; 32];
            crate::secrets::random_bytes(&mut id).unwrap();
            Self {
                key,
                id,
                counter: 0,
                flags,
                resident: true,
                user_handle: None,
            }
        }

        fn client_data(kind: &str, options: &Value) -> Vec<u8> {
            let challenge = options["publicKey"]["challenge"].as_str().unwrap();
            serde_json::json!({
                "type": kind, "challenge": challenge, "origin": ORIGIN, "crossOrigin": false
            })
            .to_string()
            .into_bytes()
        }

        fn auth_data(&self, flags: u8) -> Vec<u8> {
            let mut data = sha256(b"localhost");
            data.push(UP | self.flags | flags);
            data.extend_from_slice(&self.counter.to_be_bytes());
            data
        }

        /// `navigator.credentials.create()` with `options`.
        fn create(&mut self, options: &Value) -> Value {
            use aws_lc_rs::signature::KeyPair;
            self.user_handle = options["publicKey"]["user"]["id"]
                .as_str()
                .map(|id| URL_SAFE_NO_PAD.decode(id).unwrap());
            let point = self.key.public_key().as_ref().to_vec();
            let cose = cbor::map(&[
                (cbor::int(1), cbor::int(2)),
                (cbor::int(3), cbor::int(-7)),
                (cbor::int(-1), cbor::int(1)),
                (cbor::int(-2), cbor::bytes(&point[1..33])),
                (cbor::int(-3), cbor::bytes(&point[33..65])),
            ]);
            let mut auth_data = self.auth_data(AT);
            auth_data.extend_from_slice(&[0; 16]);
            auth_data.extend_from_slice(&u16::try_from(self.id.len()).unwrap().to_be_bytes());
            auth_data.extend_from_slice(&self.id);
            auth_data.extend_from_slice(&cose);
            let attestation = cbor::map(&[
                (cbor::text("fmt"), cbor::text("none")),
                (cbor::text("attStmt"), cbor::map(&[])),
                (cbor::text("authData"), cbor::bytes(&auth_data)),
            ]);
            serde_json::json!({
                "id": b64(&self.id),
                "rawId": b64(&self.id),
                "type": "public-key",
                "response": {
                    "attestationObject": b64(&attestation),
                    "clientDataJSON": b64(&Self::client_data("webauthn.create", options)),
                },
                "clientExtensionResults": { "credProps": { "rk": self.resident } },
            })
        }

        /// `navigator.credentials.get()` with `options`; the counter moves on first.
        fn get(&mut self, options: &Value) -> Value {
            self.counter += 1;
            self.sign(options)
        }

        /// An assertion with the counter as it is.
        fn sign(&self, options: &Value) -> Value {
            let auth_data = self.auth_data(0);
            let client_data = Self::client_data("webauthn.get", options);
            let message = [auth_data.clone(), sha256(&client_data)].concat();
            let signature = self
                .key
                .sign(&aws_lc_rs::rand::SystemRandom::new(), &message)
                .unwrap();
            serde_json::json!({
                "id": b64(&self.id),
                "rawId": b64(&self.id),
                "type": "public-key",
                "response": {
                    "authenticatorData": b64(&auth_data),
                    "clientDataJSON": b64(&client_data),
                    "signature": b64(signature.as_ref()),
                    "userHandle": self.user_handle.as_deref().map(b64),
                },
                "clientExtensionResults": {},
            })
        }
    }

    fn user() -> Uuid {
        Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef)
    }

    fn row(kind: CredentialKind, new: NewCredential) -> WebauthnRow {
        WebauthnRow {
            id: new_id(),
            user_id: user(),
            name: kind.default_name().to_owned(),
            credential_id: new.credential_id,
            credential: new.credential,
            kind: kind.as_str().to_owned(),
            sign_count: new.sign_count,
            backup_eligible: new.backup_eligible,
            backup_state: new.backup_state,
            created_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            last_used_at: None,
        }
    }

    /// Registers `authenticator` as `kind` under `verification`; the ceremony's state goes
    /// through JSON as it does through the sealed challenge.
    fn register(
        authenticator: &mut Authenticator,
        kind: CredentialKind,
        verification: UserVerification,
    ) -> Result<WebauthnRow, AccountError> {
        let webauthn = rp();
        let (options, registration) = start_registration(
            &webauthn,
            kind,
            verification,
            (user(), "ada@example.com", "Ada"),
            Vec::new(),
        )
        .unwrap();
        let ceremony = Ceremony::Register {
            kind,
            name: "key".to_owned(),
            registration,
        };
        let state = ChallengeState {
            ceremony: Some(ceremony.to_value().unwrap()),
            ..ChallengeState::default()
        };
        let state: ChallengeState =
            serde_json::from_slice(&serde_json::to_vec(&state).unwrap()).unwrap();
        let Some(Ceremony::Register { registration, .. }) = Ceremony::from_state(&state) else {
            panic!("the ceremony survives the round trip");
        };
        let response = decode(&authenticator.create(&options))?;
        finish_registration_ceremony(&webauthn, kind, &registration, &response)
            .map(|new| row(kind, new))
    }

    #[test]
    fn the_relying_party_comes_from_a_host_name_only() {
        assert!(relying_party("http://localhost:8080", "Gatehouse").is_some());
        assert!(relying_party("https://id.example.com", "Gatehouse").is_some());
        assert!(relying_party("http://127.0.0.1:8080", "Gatehouse").is_none());
        assert!(relying_party("http://[::1]:8080", "Gatehouse").is_none());
        assert!(relying_party("not a url", "Gatehouse").is_none());
    }

    #[test]
    fn kinds_parse_and_print() {
        for kind in [CredentialKind::Passkey, CredentialKind::SecurityKey] {
            assert_eq!(CredentialKind::parse(kind.as_str()).unwrap(), kind);
        }
        assert!(CredentialKind::parse("fingerprint").is_err());
    }

    #[test]
    fn passkey_options_ask_for_a_discoverable_verified_credential_and_exclude_existing_ones() {
        let (options, _) = start_registration(
            &rp(),
            CredentialKind::Passkey,
            UserVerification::Discouraged,
            (user(), "ada@example.com", "Ada"),
            vec![vec![1, 2, 3]],
        )
        .unwrap();
        let public_key = &options["publicKey"];
        assert_eq!(public_key["rp"]["id"], "localhost");
        assert_eq!(public_key["user"]["id"], b64(user().as_bytes()));
        let selection = &public_key["authenticatorSelection"];
        assert_eq!(selection["residentKey"], "required");
        assert_eq!(selection["requireResidentKey"], true);
        assert_eq!(selection["userVerification"], "required");
        assert_eq!(public_key["excludeCredentials"][0]["id"], b64(&[1, 2, 3]));
    }

    #[test]
    fn a_passkey_registers_with_user_verification_and_a_resident_credential_only() {
        let mut good = Authenticator::new(UV);
        let row = register(
            &mut good,
            CredentialKind::Passkey,
            UserVerification::Preferred,
        )
        .unwrap();
        assert_eq!(row.credential_id, good.id);
        assert_eq!(
            (row.sign_count, row.backup_eligible, row.backup_state),
            (0, false, false)
        );
        let _: Passkey = stored(&row).unwrap();
        let _: SecurityKey = stored(&row).unwrap();

        let mut unverified = Authenticator::new(0);
        let error = register(
            &mut unverified,
            CredentialKind::Passkey,
            UserVerification::Preferred,
        )
        .unwrap_err();
        assert_eq!(error.code(), "webauthn_failed");

        let mut not_resident = Authenticator::new(UV);
        not_resident.resident = false;
        let error = register(
            &mut not_resident,
            CredentialKind::Passkey,
            UserVerification::Preferred,
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("cannot keep a passkey"),
            "{error}"
        );
    }

    #[test]
    fn security_keys_follow_the_configured_user_verification() {
        let mut touch_only = Authenticator::new(0);
        register(
            &mut touch_only,
            CredentialKind::SecurityKey,
            UserVerification::Preferred,
        )
        .unwrap();
        let mut touch_only = Authenticator::new(0);
        assert!(
            register(
                &mut touch_only,
                CredentialKind::SecurityKey,
                UserVerification::Required
            )
            .is_err(),
            "user verification required: a touch is not enough"
        );
        let mut verifying = Authenticator::new(UV);
        register(
            &mut verifying,
            CredentialKind::SecurityKey,
            UserVerification::Required,
        )
        .unwrap();

        let (required, _) = start_registration(
            &rp(),
            CredentialKind::SecurityKey,
            UserVerification::Required,
            (user(), "ada@example.com", "Ada"),
            Vec::new(),
        )
        .unwrap();
        assert_eq!(
            required["publicKey"]["authenticatorSelection"]["userVerification"],
            "required"
        );
        assert_eq!(
            required["publicKey"]["authenticatorSelection"]["residentKey"],
            "discouraged"
        );
        assert_eq!(required["publicKey"]["hints"][0], "security-key");
        let (discouraged, _) = start_registration(
            &rp(),
            CredentialKind::SecurityKey,
            UserVerification::Discouraged,
            (user(), "ada@example.com", "Ada"),
            Vec::new(),
        )
        .unwrap();
        let public_key = &discouraged["publicKey"];
        assert_eq!(
            public_key["authenticatorSelection"]["userVerification"],
            "discouraged"
        );
        assert!(
            public_key["extensions"]
                .get("credentialProtectionPolicy")
                .is_none()
        );
        let (preferred, _) = start_registration(
            &rp(),
            CredentialKind::SecurityKey,
            UserVerification::Preferred,
            (user(), "ada@example.com", "Ada"),
            Vec::new(),
        )
        .unwrap();
        let public_key = &preferred["publicKey"];
        assert_eq!(
            public_key["authenticatorSelection"]["userVerification"],
            "preferred"
        );
        assert_eq!(public_key["hints"][0], "security-key");
        assert!(
            public_key["extensions"]
                .get("credentialProtectionPolicy")
                .is_none(),
            "browsers refuse credential protection without required verification"
        );
        assert_eq!(
            required["publicKey"]["extensions"]["credentialProtectionPolicy"],
            "userVerificationRequired"
        );
    }

    #[test]
    fn a_second_factor_may_be_any_of_the_users_credentials_and_each_assertion_counts_once() {
        let webauthn = rp();
        let mut key = Authenticator::new(0);
        let key_row = register(
            &mut key,
            CredentialKind::SecurityKey,
            UserVerification::Preferred,
        )
        .unwrap();
        let mut synced = Authenticator::new(UV | BE | BS);
        let passkey_row = register(
            &mut synced,
            CredentialKind::Passkey,
            UserVerification::Preferred,
        )
        .unwrap();
        assert_eq!(
            (passkey_row.backup_eligible, passkey_row.backup_state),
            (true, true)
        );
        let rows = [key_row.clone(), passkey_row.clone()];

        let (options, authentication) =
            start_second_factor(&webauthn, UserVerification::Preferred, &rows).unwrap();
        let allowed: Vec<&str> = options["publicKey"]["allowCredentials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|credential| credential["id"].as_str().unwrap())
            .collect();
        assert_eq!(allowed, [b64(&key.id), b64(&synced.id)]);
        assert!(
            options["publicKey"].get("hints").is_none(),
            "passkeys are not only on keys"
        );

        let response = decode(&key.get(&options)).unwrap();
        let verified = verify_assertion(&webauthn, &authentication, &response, &key_row).unwrap();
        assert_eq!(
            (verified.method, verified.sign_count),
            (amr::HARDWARE_KEY, 1)
        );
        assert!(
            verified.credential.contains("\"counter\":1"),
            "{}",
            verified.credential
        );

        let response = decode(&synced.get(&options)).unwrap();
        let verified =
            verify_assertion(&webauthn, &authentication, &response, &passkey_row).unwrap();
        assert_eq!(
            verified.method,
            amr::SOFTWARE_KEY,
            "a synced passkey is a software key"
        );

        // The stored counter is 1 now: an assertion that does not move past it is refused.
        let mut used = key_row.clone();
        used.sign_count = 1;
        let (options, authentication) =
            start_second_factor(&webauthn, UserVerification::Preferred, &[used.clone()]).unwrap();
        let replayed = decode(&key.sign(&options)).unwrap();
        used.sign_count = i64::from(key.counter);
        let refusal = verify_assertion(&webauthn, &authentication, &replayed, &used).unwrap_err();
        assert_eq!(refusal.reason, "counter");
        let fresh = decode(&key.get(&options)).unwrap();
        verify_assertion(&webauthn, &authentication, &fresh, &used).unwrap();

        // An assertion for another ceremony's challenge is refused.
        let (other, _) =
            start_second_factor(&webauthn, UserVerification::Preferred, &rows).unwrap();
        let stale = decode(&key.get(&other)).unwrap();
        let refusal = verify_assertion(&webauthn, &authentication, &stale, &key_row).unwrap_err();
        assert_eq!(refusal.reason, "wrong_challenge");
    }

    #[test]
    fn required_user_verification_refuses_a_touch_only_assertion() {
        let webauthn = rp();
        let mut key = Authenticator::new(0);
        let key_row = register(
            &mut key,
            CredentialKind::SecurityKey,
            UserVerification::Preferred,
        )
        .unwrap();
        let (options, authentication) = start_second_factor(
            &webauthn,
            UserVerification::Required,
            std::slice::from_ref(&key_row),
        )
        .unwrap();
        assert_eq!(options["publicKey"]["userVerification"], "required");
        let response = decode(&key.get(&options)).unwrap();
        let refusal =
            verify_assertion(&webauthn, &authentication, &response, &key_row).unwrap_err();
        assert_eq!(refusal.reason, "user_not_verified");
        assert!(start_second_factor(&webauthn, UserVerification::Preferred, &[]).is_err());
    }

    #[test]
    fn a_passkey_signs_in_by_its_user_handle() {
        let webauthn = rp();
        let mut passkey = Authenticator::new(UV);
        let passkey_row = register(
            &mut passkey,
            CredentialKind::Passkey,
            UserVerification::Preferred,
        )
        .unwrap();
        let (options, state) = webauthn.start_discoverable_authentication().unwrap();
        let options = to_json(&options).unwrap();
        assert_eq!(options["mediation"], "conditional");
        assert_eq!(
            options["publicKey"]["allowCredentials"],
            serde_json::json!([])
        );
        let authentication = Authentication::Discoverable(state);
        let response: PublicKeyCredential = decode(&passkey.get(&options)).unwrap();
        let (named, credential_id) = webauthn
            .identify_discoverable_authentication(&response)
            .unwrap();
        assert_eq!((named, credential_id), (user(), passkey.id.as_slice()));
        let verified =
            verify_assertion(&webauthn, &authentication, &response, &passkey_row).unwrap();
        assert_eq!(verified.method, amr::HARDWARE_KEY);

        // Without user verification a passkey proves nothing.
        passkey.flags = 0;
        let unverified: PublicKeyCredential = decode(&passkey.get(&options)).unwrap();
        let refusal =
            verify_assertion(&webauthn, &authentication, &unverified, &passkey_row).unwrap_err();
        assert_eq!(refusal.reason, "user_not_verified");
    }

    #[test]
    fn garbage_is_a_refused_credential() {
        let error = decode::<PublicKeyCredential>(&serde_json::json!({ "id": 1 })).unwrap_err();
        assert_eq!(error.code(), "webauthn_failed");
        let error = decode::<RegisterPublicKeyCredential>(&serde_json::json!("not a credential"))
            .unwrap_err();
        assert_eq!(error.code(), "webauthn_failed");
    }

    #[test]
    fn the_counter_must_move_on_unless_both_are_zero() {
        assert!(counter_advanced(0, 0));
        assert!(counter_advanced(0, 1));
        assert!(counter_advanced(41, 42));
        assert!(!counter_advanced(42, 42));
        assert!(!counter_advanced(42, 7));
        assert!(!counter_advanced(42, 0));
    }
}
