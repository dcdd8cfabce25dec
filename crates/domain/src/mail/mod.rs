//! Outgoing email as the domain sees it: which message, to whom, in which language, with which
//! values. Use cases enqueue a `send_email` job in their own transaction; its payload is sealed
//! with the `mail` data key, because the values include one-time links and codes. The `mail`
//! crate renders the templates and delivers (SMTP, or `.eml` files in the embedded default).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    DomainError,
    jobs::new_job,
    secrets::{Keyring, purpose},
    store::{NewJob, new_id},
};

/// The job kind that delivers an [`Email`].
pub const SEND_EMAIL: &str = "send_email";
/// The queue mail is delivered from.
pub const MAIL_QUEUE: &str = "mail";

/// Which message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailTemplate {
    /// Confirm your address: `link` and `code`.
    VerifyEmail,
    /// Someone tried to sign up with an address that already has an account: `link` (sign in)
    /// and `reset_link`.
    AccountExists,
    /// Reset your password: `link`.
    ResetPassword,
    /// Your password was changed: `time`.
    PasswordChanged,
    /// Confirm your new address: `link`.
    ConfirmNewEmail,
    /// Your address is being changed to `new_email`.
    EmailChangeRequested,
    /// Sign-in was slowed down after failed attempts: `until`.
    SignInThrottled,
    /// A recovery code was used to sign in: `time`, `remaining`, `link` (regenerate).
    RecoveryCodeUsed,
    /// An administrator removed every second factor: `time`, `link` (set up again).
    MfaReset,
}

impl EmailTemplate {
    /// The template's file stem (`verify_email`).
    pub fn name(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::AccountExists => "account_exists",
            Self::ResetPassword => "reset_password",
            Self::PasswordChanged => "password_changed",
            Self::ConfirmNewEmail => "confirm_new_email",
            Self::EmailChangeRequested => "email_change_requested",
            Self::SignInThrottled => "sign_in_throttled",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::MfaReset => "mfa_reset",
        }
    }
}

/// One message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// Which message.
    pub template: EmailTemplate,
    /// The recipient's address.
    pub to: String,
    /// The recipient's language (BCP 47), if known.
    pub locale: Option<String>,
    /// Values the template shows (`link`, `code`, `display_name`, …).
    pub params: BTreeMap<String, String>,
}

impl Email {
    /// A message with no values yet.
    pub fn new(template: EmailTemplate, to: &str, locale: Option<&str>) -> Self {
        Self {
            template,
            to: to.to_owned(),
            locale: locale.map(str::to_owned),
            params: BTreeMap::new(),
        }
    }

    /// Adds a value.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.params.insert(name.to_owned(), value.into());
        self
    }

    /// The `send_email` job carrying this message, sealed under the `mail` data key.
    pub async fn into_job(
        self,
        keyring: &Keyring,
        now: DateTime<Utc>,
    ) -> Result<NewJob, DomainError> {
        let key = keyring.key(purpose::MAIL).await?;
        let id = new_id();
        let plaintext =
            serde_json::to_vec(&self).map_err(|e| DomainError::Invalid(e.to_string()))?;
        let sealed = key.seal(&plaintext, id.as_bytes())?;
        let payload =
            serde_json::json!({ "template": self.template.name(), "sealed": hex(&sealed) });
        Ok(NewJob {
            id,
            max_attempts: 8,
            ..new_job(SEND_EMAIL, MAIL_QUEUE, payload, now)
        })
    }

    /// Opens the message a `send_email` job carries.
    pub async fn from_job(keyring: &Keyring, job: &crate::store::Job) -> Result<Self, DomainError> {
        let sealed = job
            .payload
            .get("sealed")
            .and_then(serde_json::Value::as_str)
            .and_then(unhex);
        let sealed = sealed.ok_or_else(|| {
            DomainError::Invalid("send_email job without a sealed message".to_owned())
        })?;
        let key = keyring.key(purpose::MAIL).await?;
        let plaintext = key.open(&sealed, job.id.as_bytes())?;
        serde_json::from_slice(&plaintext)
            .map_err(|e| DomainError::Invalid(format!("sealed message: {e}")))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(text.get(index..index + 2)?, 16).ok())
        .collect()
}

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct MailError {
    /// True when trying again later may work (server down, greylisting).
    pub retryable: bool,
    /// What went wrong, without the message's content.
    pub message: String,
}

/// Renders and delivers messages.
#[async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    /// Delivers one message.
    async fn send(&self, email: &Email) -> Result<(), MailError>;
}
