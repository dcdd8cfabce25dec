//! Gatehouse's outgoing email: renders the domain's [`Email`] messages from per-language text
//! catalogues (`locales/*.toml`) into multipart/alternative messages, and delivers them through
//! an SMTP relay ([`SmtpMailer`]) or into `.eml` files ([`FileMailer`]). [`mailer`] picks one
//! from the `email.*` settings; [`testing::SmtpCapture`] is an SMTP server for tests.
//!
//! [`Email`]: gatehouse_domain::mail::Email

mod catalogue;
mod file;
mod message;
mod render;
mod settings;
mod smtp;
pub mod testing;

use std::{path::Path, sync::Arc};

use gatehouse_domain::{
    SystemClock,
    mail::{MailError, Mailer},
};

pub use file::FileMailer;
pub use settings::{MailSettings, SettingError, SmtpPassword, SmtpSettings, SmtpTls};
pub use smtp::SmtpMailer;

/// The mailer the settings ask for: SMTP when `email.smtp.host` is set, otherwise `.eml` files
/// in `DATA_DIR/mail/`. Messages are dated by the system clock.
pub fn mailer(settings: &MailSettings, data_dir: &Path) -> Result<Arc<dyn Mailer>, MailError> {
    settings.validate().map_err(|(key, problem)| MailError {
        retryable: false,
        message: format!("{key} {problem}"),
    })?;
    let clock = Arc::new(SystemClock);
    if settings.smtp.host.is_some() {
        Ok(Arc::new(SmtpMailer::new(settings, clock)?))
    } else {
        let directory = data_dir.join("mail");
        tracing::info!(directory = %directory.display(), "no SMTP relay configured: email goes to files");
        Ok(Arc::new(FileMailer::new(settings, directory, clock)))
    }
}
