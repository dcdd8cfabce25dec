//! Delivery into files, for when no SMTP relay is configured: each message is written as an
//! RFC 5322 `.eml` file (the bytes SMTP would carry) that only the server's user can read.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use async_trait::async_trait;
use gatehouse_domain::{
    Clock,
    mail::{Email, MailError, Mailer},
    secrets::random_bytes,
};
use tokio::{fs, io::AsyncWriteExt};

use crate::{
    MailSettings,
    message::{build, permanent},
};

/// Writes each message to `<directory>/<UTC timestamp>-<random>.eml`.
#[derive(Debug)]
pub struct FileMailer {
    settings: MailSettings,
    directory: PathBuf,
    clock: Arc<dyn Clock>,
}

impl FileMailer {
    /// A mailer writing into `directory` (created with mode 0700 when first needed), dating
    /// messages by `clock`.
    pub fn new(settings: &MailSettings, directory: PathBuf, clock: Arc<dyn Clock>) -> Self {
        Self {
            settings: settings.clone(),
            directory,
            clock,
        }
    }

    /// Where the messages go.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    async fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.directory)
            .await?;
        let path = self.directory.join(name);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .await?;
        file.write_all(bytes).await?;
        file.sync_all().await?;
        Ok(path)
    }
}

/// Retryable: a full disk or a wrong permission can be fixed by the operator.
fn io_error(error: &std::io::Error) -> MailError {
    MailError {
        retryable: true,
        message: format!("writing the email file: {error}"),
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let now = self.clock.now();
        let message = build(email, &self.settings, now)?;
        let mut random = [0_u8; 6];
        random_bytes(&mut random).map_err(|error| permanent(error.to_string()))?;
        let suffix: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
        let name = format!("{}-{suffix}.eml", now.format("%Y%m%dT%H%M%S%3fZ"));
        let path = self
            .write(&name, &message.formatted())
            .await
            .map_err(|error| io_error(&error))?;
        tracing::info!(path = %path.display(), "email written");
        Ok(())
    }
}
