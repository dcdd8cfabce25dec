//! Both mailers end to end: SMTP into the capture server, files into a temporary directory, and
//! how delivery failures are classified.

use std::{
    io::Write,
    os::unix::fs::PermissionsExt,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use chrono::{TimeZone, Utc};
use gatehouse_domain::{
    ManualClock,
    mail::{Email, EmailTemplate, Mailer},
};
use gatehouse_mail::{
    FileMailer, MailSettings, SmtpMailer, SmtpTls, mailer,
    testing::{ReceivedMail, SmtpCapture},
};
use tokio::{io::AsyncWriteExt, net::TcpListener};

const LINK: &str = "https://id.example.com/verify-email?token=Qm9yZWFsaXMtbG9uZy10b2tlbi10aGF0LWlzLWxvbmdlci10aGFuLTc4LWNoYXJz";

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap(),
    ))
}

fn verify_email(locale: Option<&str>) -> Email {
    Email::new(EmailTemplate::VerifyEmail, "ada@example.com", locale)
        .with("link", LINK)
        .with("code", "042917")
}

#[tokio::test]
async fn smtp_mailer_delivers_a_localised_multipart_message() {
    let capture = SmtpCapture::start().await.unwrap();
    let mut settings = capture.settings();
    settings.product_name = "Acme ID".to_owned();
    let mailer = SmtpMailer::new(&settings, clock()).unwrap();

    mailer.send(&verify_email(Some("de-AT"))).await.unwrap();

    let mails = capture.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.from, "gatehouse@localhost");
    assert_eq!(mail.recipients, ["ada@example.com"]);
    let content_type = mail.header("Content-Type").unwrap();
    assert!(
        content_type.starts_with("multipart/alternative"),
        "{content_type}"
    );
    assert_eq!(
        mail.subject().as_deref(),
        Some("Bestätigen Sie Ihre E-Mail-Adresse für Acme ID")
    );
    assert_eq!(mail.header("Content-Language").as_deref(), Some("de"));
    assert_eq!(
        mail.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    assert_eq!(
        mail.header("Date").as_deref(),
        Some("Mon, 01 Jun 2026 09:00:00 +0000")
    );
    assert!(mail.header("Message-ID").unwrap().ends_with("@localhost>"));
    assert_eq!(
        mail.find_link("https://id.example.com/").as_deref(),
        Some(LINK)
    );
    assert_eq!(mail.find_code().as_deref(), Some("042917"));
    assert!(mail.text_body().unwrap().contains("Hallo,"));
    assert!(
        mail.html_body()
            .unwrap()
            .contains(&format!("href=\"{LINK}\""))
    );
}

#[tokio::test]
async fn capture_waits_for_several_messages() {
    let capture = SmtpCapture::start().await.unwrap();
    let mailer = SmtpMailer::new(&capture.settings(), clock()).unwrap();
    for locale in [None, Some("en")] {
        mailer.send(&verify_email(locale)).await.unwrap();
    }
    let mails = capture.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 2);
    assert!(
        mails
            .iter()
            .all(|mail| mail.subject().unwrap().starts_with("Confirm"))
    );
    let more = capture.wait_for(3, Duration::from_millis(50)).await;
    assert_eq!(more.len(), 2, "a timeout answers with what arrived");
}

#[tokio::test]
async fn starttls_is_required_not_opportunistic() {
    let capture = SmtpCapture::start().await.unwrap();
    let mut settings = capture.settings();
    settings.smtp.tls = SmtpTls::Starttls;
    let mailer = SmtpMailer::new(&settings, clock()).unwrap();
    assert!(mailer.send(&verify_email(None)).await.is_err());
    assert!(
        capture.received().is_empty(),
        "nothing may travel unencrypted"
    );
}

#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn file_mailer_writes_a_private_eml_and_logs_only_its_path() {
    let data_dir = tempfile::tempdir().unwrap();
    let directory = data_dir.path().join("mail");
    let mailer = FileMailer::new(&MailSettings::default(), directory.clone(), clock());
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    mailer.send(&verify_email(None)).await.unwrap();
    drop(guard);

    let files: Vec<_> = std::fs::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let path = &files[0];
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("20260601T090000000Z-") && name.ends_with(".eml"),
        "{name}"
    );
    assert_eq!(
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(&directory).unwrap().permissions().mode() & 0o777,
        0o700
    );

    let parsed = ReceivedMail {
        from: String::new(),
        recipients: Vec::new(),
        data: std::fs::read(path).unwrap(),
    };
    assert_eq!(parsed.header("To").as_deref(), Some("ada@example.com"));
    assert_eq!(
        parsed.header("From").as_deref(),
        Some("Gatehouse <gatehouse@localhost>")
    );
    assert_eq!(parsed.find_link("https://").as_deref(), Some(LINK));

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("email written") && logs.contains(name),
        "{logs}"
    );
    for secret in ["ada@example.com", "042917", "token="] {
        assert!(!logs.contains(secret), "the log shows {secret}");
    }
}

#[tokio::test]
async fn mailer_picks_files_without_a_host_and_smtp_with_one() {
    let data_dir = tempfile::tempdir().unwrap();
    let files = mailer(&MailSettings::default(), data_dir.path()).unwrap();
    files.send(&verify_email(None)).await.unwrap();
    assert_eq!(
        std::fs::read_dir(data_dir.path().join("mail"))
            .unwrap()
            .count(),
        1
    );

    let capture = SmtpCapture::start().await.unwrap();
    let smtp = mailer(&capture.settings(), data_dir.path()).unwrap();
    smtp.send(&verify_email(None)).await.unwrap();
    assert_eq!(capture.wait_for(1, Duration::from_secs(5)).await.len(), 1);

    let broken = MailSettings {
        from_address: "nobody".to_owned(),
        ..MailSettings::default()
    };
    let error = mailer(&broken, data_dir.path()).unwrap_err();
    assert!(
        error.message.starts_with("email.from_address"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn invalid_recipient_is_not_retried() {
    let capture = SmtpCapture::start().await.unwrap();
    let mailer = SmtpMailer::new(&capture.settings(), clock()).unwrap();
    let email = Email {
        to: "not an address".to_owned(),
        ..verify_email(None)
    };
    assert!(!mailer.send(&email).await.unwrap_err().retryable);
}

/// A relay that answers every connection with `greeting` and hangs up.
async fn relay_answering(greeting: &'static str) -> std::io::Result<MailSettings> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let mut settings = MailSettings::default();
    settings.smtp.host = Some("127.0.0.1".to_owned());
    settings.smtp.port = listener.local_addr()?.port();
    settings.smtp.tls = SmtpTls::None;
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.write_all(greeting.as_bytes()).await;
        }
    });
    Ok(settings)
}

#[tokio::test]
async fn unreachable_relay_is_retryable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut settings = MailSettings::default();
    settings.smtp.host = Some("127.0.0.1".to_owned());
    settings.smtp.port = port;
    settings.smtp.tls = SmtpTls::None;
    let mailer = SmtpMailer::new(&settings, clock()).unwrap();
    let error = mailer.send(&verify_email(None)).await.unwrap_err();
    assert!(error.retryable, "{}", error.message);
}

#[tokio::test]
async fn temporary_refusal_is_retryable_and_permanent_is_not() {
    let temporary = relay_answering("421 4.3.2 busy for ada@example.com\r\n")
        .await
        .unwrap();
    let error = SmtpMailer::new(&temporary, clock())
        .unwrap()
        .send(&verify_email(None))
        .await
        .unwrap_err();
    assert!(error.retryable, "{}", error.message);
    assert!(
        !error.message.contains("ada@example.com"),
        "{}",
        error.message
    );

    let permanent = relay_answering("554 5.7.1 no service for ada@example.com\r\n")
        .await
        .unwrap();
    let error = SmtpMailer::new(&permanent, clock())
        .unwrap()
        .send(&verify_email(None))
        .await
        .unwrap_err();
    assert!(!error.retryable, "{}", error.message);
    assert!(error.message.contains("554"), "{}", error.message);
    assert!(
        !error.message.contains("ada@example.com"),
        "{}",
        error.message
    );
}
