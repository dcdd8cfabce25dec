//! The `email.*` configuration section: who mail comes from, and how it leaves (an SMTP relay,
//! or `.eml` files in the data directory when no relay is set).

use std::fmt;

use lettre::Address;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `email.*`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSettings {
    /// The sender's address (`From:` and the SMTP envelope).
    pub from_address: String,
    /// The sender's display name.
    pub from_name: String,
    /// The name the messages call the service by, in subjects and bodies.
    pub product_name: String,
    /// The SMTP relay.
    pub smtp: SmtpSettings,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            from_address: "gatehouse@localhost".to_owned(),
            from_name: "Gatehouse".to_owned(),
            product_name: "Gatehouse".to_owned(),
            smtp: SmtpSettings::default(),
        }
    }
}

/// `email.smtp.*`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpSettings {
    /// The relay's host name; unset writes each message to `DATA_DIR/mail/` instead.
    pub host: Option<String>,
    /// The relay's port (587 for submission with STARTTLS, 465 for implicit TLS).
    pub port: u16,
    /// How the connection is encrypted.
    pub tls: SmtpTls,
    /// The user name to authenticate with, if the relay wants one.
    pub username: Option<String>,
    /// The password to authenticate with.
    pub password: Option<SmtpPassword>,
    /// Longest wait for connecting and for each reply, in seconds.
    pub timeout_secs: u64,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: None,
            port: 587,
            tls: SmtpTls::default(),
            username: None,
            password: None,
            timeout_secs: 10,
        }
    }
}

/// How the SMTP connection is encrypted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which is required (RFC 3207).
    #[default]
    Starttls,
    /// TLS from the first byte (RFC 8314).
    Tls,
    /// No encryption: only for a relay on the same host, or for tests.
    None,
}

/// The SMTP password: readable by the mailer, shown by neither `Debug` nor serialisation.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpPassword(String);

impl SmtpPassword {
    /// Wraps a password.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The password itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SmtpPassword {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("[redacted]")
    }
}

impl Serialize for SmtpPassword {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for SmtpPassword {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// A setting that is wrong: its dotted key and what is wrong with it.
pub type SettingError = (&'static str, String);

impl MailSettings {
    /// Checks the values that types alone do not, naming the first wrong setting.
    pub fn validate(&self) -> Result<(), SettingError> {
        if self.from_address.parse::<Address>().is_err() {
            return Err(("email.from_address", "is not an email address".to_owned()));
        }
        if self.from_name.chars().any(char::is_control) {
            return Err((
                "email.from_name",
                "must not contain control characters".to_owned(),
            ));
        }
        let product = self.product_name.trim();
        if product.is_empty() || self.product_name.chars().any(char::is_control) {
            return Err((
                "email.product_name",
                "must be a name without control characters".to_owned(),
            ));
        }
        self.smtp.validate()
    }
}

impl SmtpSettings {
    fn validate(&self) -> Result<(), SettingError> {
        if let Some(host) = &self.host
            && (host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '/'))
        {
            return Err(("email.smtp.host", "is not a host name".to_owned()));
        }
        if self.port == 0 {
            return Err(("email.smtp.port", "must be between 1 and 65535".to_owned()));
        }
        if self.timeout_secs == 0 {
            return Err(("email.smtp.timeout_secs", "must be at least 1".to_owned()));
        }
        match (&self.username, &self.password) {
            (Some(_), None) => Err((
                "email.smtp.username",
                "is set without email.smtp.password".to_owned(),
            )),
            (None, Some(_)) => Err((
                "email.smtp.password",
                "is set without email.smtp.username".to_owned(),
            )),
            (Some(_), Some(_)) if self.tls == SmtpTls::None && !self.is_local() => Err((
                "email.smtp.tls",
                "is none, which would send the password unencrypted to another host; \
                 use starttls or tls"
                    .to_owned(),
            )),
            _ => Ok(()),
        }
    }

    fn is_local(&self) -> bool {
        matches!(
            self.host.as_deref(),
            Some("localhost" | "127.0.0.1" | "::1" | "[::1]")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_key(settings: &MailSettings) -> Option<&'static str> {
        settings.validate().err().map(|(key, _)| key)
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(MailSettings::default().validate(), Ok(()));
    }

    #[test]
    fn password_is_redacted_in_debug_and_serialisation() {
        let mut settings = MailSettings::default();
        settings.smtp.username = Some("mailer".to_owned());
        settings.smtp.password = Some(SmtpPassword::new("hunter2-secret"));
        let debug = format!("{settings:?}");
        let serialised = toml::to_string(&settings).unwrap();
        assert!(!debug.contains("hunter2") && debug.contains("[redacted]"));
        assert!(!serialised.contains("hunter2") && serialised.contains("[redacted]"));
    }

    #[test]
    fn deserialises_partial_sections_and_refuses_unknown_keys() {
        let settings: MailSettings =
            toml::from_str("from_address = \"id@example.com\"\n[smtp]\ntls = \"tls\"\n").unwrap();
        assert_eq!(settings.smtp.tls, SmtpTls::Tls);
        assert_eq!(settings.smtp.port, 587);
        assert!(toml::from_str::<MailSettings>("[smtp]\nhots = \"x\"\n").is_err());
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut settings = MailSettings {
            from_address: "not an address".to_owned(),
            ..MailSettings::default()
        };
        assert_eq!(error_key(&settings), Some("email.from_address"));
        settings = MailSettings::default();
        settings.smtp.password = Some(SmtpPassword::new("x"));
        assert_eq!(error_key(&settings), Some("email.smtp.password"));
        settings.smtp.username = Some("user".to_owned());
        settings.smtp.host = Some("smtp.example.com".to_owned());
        settings.smtp.tls = SmtpTls::None;
        assert_eq!(error_key(&settings), Some("email.smtp.tls"));
        settings.smtp.host = Some("localhost".to_owned());
        assert_eq!(error_key(&settings), None);
        settings.smtp.timeout_secs = 0;
        assert_eq!(error_key(&settings), Some("email.smtp.timeout_secs"));
        settings = MailSettings::default();
        settings.product_name = " ".to_owned();
        assert_eq!(error_key(&settings), Some("email.product_name"));
    }
}
