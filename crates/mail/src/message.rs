//! Builds the RFC 5322 message that both mailers deliver: headers, and a multipart/alternative
//! body with the plain-text part first (RFC 2046 §5.1.4: the preferred part comes last).

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use gatehouse_domain::{
    mail::{Email, MailError},
    secrets::random_bytes,
};
use lettre::{
    Address, Message,
    message::{
        Mailbox, MultiPart,
        header::{Header, HeaderName, HeaderValue},
    },
};

use crate::{MailSettings, render::render};

/// RFC 3834 §5: marks the message as automatic, so auto-responders stay quiet.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_value: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// RFC 3282: the language the message is written in.
#[derive(Debug, Clone)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(value: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(value.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

pub(crate) fn permanent(message: impl Into<String>) -> MailError {
    MailError {
        retryable: false,
        message: message.into(),
    }
}

/// The sender's mailbox from the settings.
pub(crate) fn sender(settings: &MailSettings) -> Result<Mailbox, MailError> {
    let address: Address = settings
        .from_address
        .parse()
        .map_err(|_| permanent("email.from_address is not an email address"))?;
    let name = Some(settings.from_name.trim().to_owned()).filter(|name| !name.is_empty());
    Ok(Mailbox::new(name, address))
}

/// RFC 5322 §3.6.4: a unique id on the sender's domain (never this machine's host name).
fn message_id(sender: &Mailbox) -> Result<String, MailError> {
    let mut random = [0_u8; 16];
    random_bytes(&mut random).map_err(|error| permanent(error.to_string()))?;
    let unique: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(format!("<{unique}@{}>", sender.email.domain()))
}

/// Renders `email` and builds the message, dated `now`.
pub(crate) fn build(
    email: &Email,
    settings: &MailSettings,
    now: DateTime<Utc>,
) -> Result<Message, MailError> {
    let from = sender(settings)?;
    let to: Address = email
        .to
        .parse()
        .map_err(|_| permanent("the recipient is not an email address"))?;
    let rendered = render(email, &settings.product_name)?;
    let language = ContentLanguage(rendered.language.code().to_owned());
    Message::builder()
        .message_id(Some(message_id(&from)?))
        .from(from)
        .to(Mailbox::new(None, to))
        .subject(rendered.subject)
        .date(SystemTime::from(now))
        .header(language)
        .header(AutoSubmitted)
        .multipart(MultiPart::alternative_plain_html(
            rendered.text,
            rendered.html,
        ))
        .map_err(|error| permanent(format!("building the message: {error}")))
}
