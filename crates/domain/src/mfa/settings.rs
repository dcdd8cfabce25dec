//! MFA configuration.

use std::sync::Arc;

use chrono::Duration;

/// Who must have a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaPolicy {
    /// Nobody may enrol new factors (factors already enrolled are still asked for).
    Off,
    /// Everyone may; holders of `required_roles` (and administrators) must.
    Optional,
    /// Everyone must.
    Required,
}

/// How strictly WebAuthn asks the authenticator to verify the user (PIN, biometrics) when a
/// security key is used as a second factor. Passkeys always require verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserVerification {
    /// The authenticator must verify the user.
    Required,
    /// Verify when the authenticator can.
    Preferred,
    /// Presence is enough (a touch).
    Discouraged,
}

/// Everything MFA is configured by.
#[derive(Debug, Clone)]
pub struct MfaSettings {
    /// Who must have a second factor.
    pub policy: MfaPolicy,
    /// Holders of these roles must have one (with policy `optional`).
    pub required_roles: Vec<String>,
    /// Holders of `gatehouse:admin` must have one.
    pub admins_required: bool,
    /// How long someone who must enrol may still sign in without, counted from the first
    /// sign-in that asked.
    pub enrolment_grace: Duration,
    /// Sensitive actions need an authentication at most this old.
    pub step_up_max_age: Duration,
    /// A pending sign-in or confirmation lives this long.
    pub challenge_lifetime: Duration,
    /// Wrong answers allowed per pending sign-in.
    pub challenge_attempts: i32,
    /// The issuer shown in authenticator apps.
    pub issuer: String,
    /// User verification for security keys.
    pub user_verification: UserVerification,
    /// The WebAuthn relying party (from the public URL); `None` when the public URL's host is
    /// an IP address, which WebAuthn refuses.
    pub webauthn: Option<Arc<webauthn_rs::Webauthn>>,
}

impl MfaSettings {
    /// Defaults for `public_url`, with `issuer` as the name authenticator apps show.
    pub fn new(public_url: &str, issuer: &str) -> Self {
        Self {
            policy: MfaPolicy::Optional,
            required_roles: Vec::new(),
            admins_required: true,
            enrolment_grace: Duration::days(7),
            step_up_max_age: Duration::minutes(10),
            challenge_lifetime: Duration::minutes(5),
            challenge_attempts: 5,
            issuer: issuer.to_owned(),
            user_verification: UserVerification::Preferred,
            webauthn: super::webauthn::relying_party(public_url, issuer),
        }
    }
}
