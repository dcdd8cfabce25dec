//! The verifier's side of each ceremony: options to send, state to keep, answers to check.

use super::*;

/// A registration's verifier state. A security key registered while user verification is
/// required uses the passkey ceremony (which requires it) without the resident-key demand.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", content = "state", rename_all = "snake_case")]
pub(super) enum Registration {
    /// User verification required.
    Verified(PasskeyRegistration),
    /// User verification preferred or discouraged.
    SecurityKey(SecurityKeyRegistration),
}

/// An authentication's verifier state.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", content = "state", rename_all = "snake_case")]
pub(super) enum Authentication {
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
pub(super) enum Ceremony {
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
    pub(super) fn to_value(&self) -> Result<Value, AccountError> {
        serde_json::to_value(self)
            .map_err(|e| crate::DomainError::Invalid(format!("webauthn state: {e}")).into())
    }

    pub(super) fn from_state(state: &ChallengeState) -> Option<Self> {
        serde_json::from_value(state.ceremony.clone()?).ok()
    }
}

pub(super) fn rejected(error: &WebauthnError) -> AccountError {
    AccountError::WebAuthn(error.to_string())
}

pub(super) fn webauthn(accounts: &Accounts) -> Result<&Webauthn, AccountError> {
    accounts
        .settings
        .mfa
        .webauthn
        .as_deref()
        .ok_or(AccountError::WebAuthnUnavailable)
}

pub(super) fn to_json<T: Serialize>(value: &T) -> Result<Value, AccountError> {
    serde_json::to_value(value)
        .map_err(|e| crate::DomainError::Invalid(format!("webauthn options: {e}")).into())
}

/// The browser's answer, decoded; anything malformed is a refused credential.
pub(super) fn decode<T: DeserializeOwned>(credential: &Value) -> Result<T, AccountError> {
    T::deserialize(credential)
        .map_err(|e| AccountError::WebAuthn(format!("the credential is malformed: {e}")))
}

/// A stored credential (its JSON is webauthn-rs's `Passkey` or `SecurityKey`: both wrap the
/// same credential record, so either reads either).
pub(super) fn stored<T: DeserializeOwned>(row: &WebauthnRow) -> Result<T, AccountError> {
    serde_json::from_str(&row.credential).map_err(|e| {
        crate::DomainError::Invalid(format!("stored webauthn credential {}: {e}", row.id)).into()
    })
}

/// A new credential, as the row keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NewCredential {
    pub(super) credential_id: Vec<u8>,
    pub(super) credential: String,
    pub(super) sign_count: i64,
    pub(super) backup_eligible: bool,
    pub(super) backup_state: bool,
}

impl NewCredential {
    pub(super) fn of<T: Serialize>(
        credential_id: &[u8],
        credential: &T,
    ) -> Result<Self, AccountError> {
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
pub(super) fn require_discoverable(options: &mut Value) {
    let selection = &mut options["publicKey"]["authenticatorSelection"];
    selection["residentKey"] = Value::from("required");
    selection["requireResidentKey"] = Value::from(true);
}

/// The registration options and state for one kind under the configured user verification.
pub(super) fn start_registration(
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
pub(super) fn finish_registration_ceremony(
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
pub(super) fn start_second_factor(
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
pub(super) struct Refusal {
    pub(super) reason: &'static str,
    pub(super) error: AccountError,
}

impl Refusal {
    pub(super) fn new(reason: &'static str, detail: impl Into<String>) -> Self {
        Self {
            reason,
            error: AccountError::WebAuthn(detail.into()),
        }
    }

    pub(super) fn of(error: &WebauthnError) -> Self {
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
    pub(super) fn counter() -> Self {
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
pub(super) struct Verified {
    pub(super) credential: String,
    pub(super) sign_count: i64,
    pub(super) backup_state: bool,
    pub(super) method: &'static str,
}

/// Whether the signature counter moved on: when either is non-zero, the new one must be
/// greater (a counter that stands still or goes back suggests a cloned authenticator).
pub(super) fn counter_advanced(stored: i64, seen: u32) -> bool {
    (stored == 0 && seen == 0) || i64::from(seen) > stored
}

/// Verifies `response` against `authentication` with the stored credential `row` (which the
/// caller found by the response's credential id and checked is the right user's).
pub(super) fn verify_assertion(
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
