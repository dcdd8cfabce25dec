//! Account rules and lifetimes, from configuration.

use chrono::Duration;

use super::PasswordPolicy;
use crate::mfa::MfaSettings;
use crate::store::ThrottlePolicy;

/// Session timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Ends after this long unused.
    pub idle: Duration,
    /// Ends this long after sign-in, used or not.
    pub absolute: Duration,
}

/// Everything the account use cases are configured by.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// Where links in mail point (never the Host header).
    pub public_url: String,
    /// Whether people may create their own accounts.
    pub sign_up_enabled: bool,
    /// Whether an unverified address may sign in.
    pub require_verified_email: bool,
    /// Password rules.
    pub password_policy: PasswordPolicy,
    /// Session timeouts.
    pub sessions: SessionPolicy,
    /// Per-account sign-in throttling.
    pub account_throttle: ThrottlePolicy,
    /// Per-IP throttling (sign-in, sign-up, reset, codes).
    pub ip_throttle: ThrottlePolicy,
    /// Per-account throttling of verification codes and reset requests.
    pub code_throttle: ThrottlePolicy,
    /// Verification links live this long (≤ 24 h).
    pub verification_link_lifetime: Duration,
    /// Codes and reset links live this long (≤ 10 min).
    pub short_lifetime: Duration,
    /// Wrong tries allowed per code.
    pub code_attempts: i32,
    /// Largest custom-attributes JSON, in bytes.
    pub max_attributes_bytes: usize,
    /// Second factors, step-up and the MFA policy.
    pub mfa: MfaSettings,
}

impl AccountSettings {
    /// Defaults for a given public URL.
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            sign_up_enabled: true,
            require_verified_email: true,
            password_policy: PasswordPolicy::default(),
            sessions: SessionPolicy {
                idle: Duration::hours(8),
                absolute: Duration::days(14),
            },
            account_throttle: ThrottlePolicy {
                free_attempts: 5,
                base_delay: Duration::seconds(30),
                max_delay: Duration::minutes(15),
                forget_after: Duration::hours(24),
            },
            ip_throttle: ThrottlePolicy {
                free_attempts: 1_000,
                base_delay: Duration::seconds(1),
                max_delay: Duration::minutes(1),
                forget_after: Duration::hours(1),
            },
            code_throttle: ThrottlePolicy {
                free_attempts: 10,
                base_delay: Duration::seconds(30),
                max_delay: Duration::minutes(15),
                forget_after: Duration::hours(1),
            },
            verification_link_lifetime: Duration::hours(24),
            short_lifetime: Duration::minutes(10),
            code_attempts: 5,
            max_attributes_bytes: 16 * 1024,
            mfa: MfaSettings::new(public_url, "Gatehouse"),
        }
    }

    /// `public_url` + `path_and_query`.
    pub fn link(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.public_url)
    }
}
