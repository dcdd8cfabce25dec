//! Delivery through an SMTP relay (lettre, rustls with aws-lc-rs). Failures are sorted for the
//! job runner: no connection, timeouts and 4xx replies are worth another try; 5xx replies and
//! messages that cannot be built are not.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use gatehouse_domain::{
    Clock,
    mail::{Email, MailError, Mailer},
};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
    transport::smtp::{self, authentication::Credentials},
};

use crate::{
    MailSettings, SmtpTls,
    message::{build, permanent},
};

/// Sends each message to the configured SMTP relay.
pub struct SmtpMailer {
    settings: MailSettings,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SmtpMailer")
            .field("host", &self.settings.smtp.host)
            .field("port", &self.settings.smtp.port)
            .field("tls", &self.settings.smtp.tls)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for the relay in `settings.smtp` (which must name a host), dating messages by
    /// `clock`. Nothing is connected until the first message.
    pub fn new(settings: &MailSettings, clock: Arc<dyn Clock>) -> Result<Self, MailError> {
        let smtp = &settings.smtp;
        let host = smtp
            .host
            .as_deref()
            .ok_or_else(|| permanent("email.smtp.host is not set"))?;
        let builder = match smtp.tls {
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
            SmtpTls::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                host,
            )),
        }
        .map_err(|error| permanent(format!("SMTP TLS setup: {error}")))?;
        let mut builder = builder
            .port(smtp.port)
            .timeout(Some(Duration::from_secs(smtp.timeout_secs)));
        if let (Some(username), Some(password)) = (&smtp.username, &smtp.password) {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                password.expose().to_owned(),
            ));
        }
        Ok(Self {
            settings: settings.clone(),
            transport: builder.build(),
            clock,
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let message = build(email, &self.settings, self.clock.now())?;
        self.transport
            .send(message)
            .await
            .map_err(|error| classify(&error))?;
        tracing::debug!(
            template = email.template.name(),
            "email handed to the SMTP relay"
        );
        Ok(())
    }
}

/// Sorts an SMTP failure into retryable or not. The message holds the reply code or the kind
/// of failure, never the server's reply text, which may repeat the recipient's address.
fn classify(error: &smtp::Error) -> MailError {
    if let Some(code) = error.status() {
        return MailError {
            retryable: error.is_transient(),
            message: format!("the SMTP relay answered {code}"),
        };
    }
    let (retryable, what) = if error.is_timeout() {
        (true, "timed out talking to the SMTP relay")
    } else if error.is_tls() {
        (true, "TLS with the SMTP relay failed")
    } else if error.is_client() {
        (false, "the SMTP session could not go on")
    } else if error.is_response() {
        (true, "the SMTP relay sent a reply that could not be read")
    } else {
        (true, "could not reach the SMTP relay")
    };
    let cause = std::error::Error::source(error)
        .filter(|_| !error.is_response())
        .map(|source| format!(": {source}"))
        .unwrap_or_default();
    MailError {
        retryable,
        message: format!("{what}{cause}"),
    }
}
