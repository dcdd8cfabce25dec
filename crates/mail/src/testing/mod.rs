//! For tests only: [`SmtpCapture`], a real SMTP server on `127.0.0.1` that keeps every message
//! it receives in memory, and [`ReceivedMail`] helpers to read them (subject, text part, the link
//! or code in it). It speaks plain RFC 5321 without TLS or authentication, so point a mailer at
//! it with `tls = none` and no credentials, as [`SmtpCapture::settings`] does.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use std::time::Duration;
//! use gatehouse_mail::testing::SmtpCapture;
//!
//! let capture = SmtpCapture::start().await?;
//! let settings = capture.settings(); // hand to `gatehouse_mail::mailer`
//! // … make the application send a message …
//! let mails = capture.wait_for(1, Duration::from_secs(5)).await;
//! let link = mails[0].find_link("http://");
//! # Ok(()) }
//! ```

mod mime;
mod session;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use tokio::{net::TcpListener, sync::watch, task::JoinSet};

use crate::{MailSettings, SmtpTls};

/// Where sessions put what they receive; watchers wake on each message.
type Inbox = Arc<watch::Sender<Vec<ReceivedMail>>>;

/// One message as the capture server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`), in order.
    pub recipients: Vec<String>,
    /// The message as sent after `DATA`, dot-stuffing undone, CRLF line ends.
    pub data: Vec<u8>,
}

impl ReceivedMail {
    fn raw(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.data)
    }

    /// The first header called `name` (any case), unfolded, encoded words decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        mime::Entity::parse(&self.raw()).header(name)
    }

    /// The decoded `Subject:`.
    pub fn subject(&self) -> Option<String> {
        self.header("Subject")
    }

    /// The first text/plain part, transfer encoding undone, line ends as `\n`.
    pub fn text_body(&self) -> Option<String> {
        mime::Entity::parse(&self.raw()).find_text("text/plain")
    }

    /// The first text/html part, transfer encoding undone, line ends as `\n`.
    pub fn html_body(&self) -> Option<String> {
        mime::Entity::parse(&self.raw()).find_text("text/html")
    }

    /// The first whitespace-separated word of the text part that starts with `prefix`
    /// (`"https://id.example.com/verify"`), without trailing punctuation.
    pub fn find_link(&self, prefix: &str) -> Option<String> {
        let text = self.text_body()?;
        text.split_whitespace()
            .map(|word| word.trim_end_matches(['.', ',', ';', ':', ')', '>', '"', '\'']))
            .find(|word| word.starts_with(prefix))
            .map(str::to_owned)
    }

    /// The first word of the text part that is exactly six digits (an email code).
    pub fn find_code(&self) -> Option<String> {
        let text = self.text_body()?;
        text.split_whitespace()
            .map(|word| word.trim_matches(|c: char| !c.is_ascii_alphanumeric()))
            .find(|word| word.len() == 6 && word.bytes().all(|byte| byte.is_ascii_digit()))
            .map(str::to_owned)
    }
}

/// An SMTP server on `127.0.0.1` and a random port, keeping received messages in memory. It
/// stops when dropped.
#[derive(Debug)]
pub struct SmtpCapture {
    address: SocketAddr,
    inbox: Inbox,
    server: tokio::task::JoinHandle<()>,
}

impl SmtpCapture {
    /// Starts the server on a free port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let inbox: Inbox = Arc::new(watch::Sender::new(Vec::new()));
        let server = tokio::spawn(accept(listener, inbox.clone()));
        Ok(Self {
            address,
            inbox,
            server,
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Default `email.*` settings pointed at this server: host `127.0.0.1`, its port, no TLS,
    /// no credentials, a 5-second timeout.
    pub fn settings(&self) -> MailSettings {
        let mut settings = MailSettings::default();
        settings.smtp.host = Some(self.address.ip().to_string());
        settings.smtp.port = self.address.port();
        settings.smtp.tls = SmtpTls::None;
        settings.smtp.timeout_secs = 5;
        settings
    }

    /// Every message received so far, oldest first.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.inbox.borrow().clone()
    }

    /// Waits until at least `count` messages arrived in total, or `timeout` passed, and returns
    /// all received so far (fewer than `count` after a timeout: assert on the length).
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let mut watcher = self.inbox.subscribe();
        let arrived = watcher.wait_for(|received| received.len() >= count);
        // Either outcome is answered by what has arrived.
        let _ = tokio::time::timeout(timeout, arrived).await;
        self.received()
    }
}

impl Drop for SmtpCapture {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Accepts connections until aborted; dropping the task's set ends its sessions too.
async fn accept(listener: TcpListener, inbox: Inbox) {
    let mut sessions = JoinSet::new();
    loop {
        while sessions.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((stream, _)) => {
                sessions.spawn(session::serve(stream, inbox.clone()));
            }
            Err(error) => {
                tracing::warn!(%error, "smtp capture could not accept a connection");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
