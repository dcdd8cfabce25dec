//! The `send_email` job: opens the sealed message and hands it to the mailer. The mailer's own
//! verdict decides whether a failure is retried.

use std::sync::Arc;

use async_trait::async_trait;
use gatehouse_domain::{
    DomainError, StoreError,
    mail::{Email, MailError, Mailer, SEND_EMAIL},
    secrets::Keyring,
    store::Job,
};

use crate::{JobError, JobHandler};

/// Delivers the [`Email`] a `send_email` job carries.
#[derive(Debug)]
pub struct SendEmail {
    /// Opens the sealed message (`mail` data key).
    pub keyring: Arc<Keyring>,
    /// Delivers it.
    pub mailer: Arc<dyn Mailer>,
}

/// A job that cannot be opened is dead, except while the database (holding the key) is away.
fn open_error(error: &DomainError) -> JobError {
    let message = format!("opening the message: {error}");
    match error {
        DomainError::Store(StoreError::Unavailable(_)) | DomainError::Busy => {
            JobError::Retry(message)
        }
        _ => JobError::Fatal(message),
    }
}

fn delivery_error(error: MailError) -> JobError {
    if error.retryable {
        JobError::Retry(error.message)
    } else {
        JobError::Fatal(error.message)
    }
}

#[async_trait]
impl JobHandler for SendEmail {
    fn kind(&self) -> &'static str {
        SEND_EMAIL
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let email = Email::from_job(&self.keyring, job)
            .await
            .map_err(|error| open_error(&error))?;
        self.mailer.send(&email).await.map_err(delivery_error)?;
        tracing::info!(job.id = %job.id, template = email.template.name(), "email delivered");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::{TimeZone, Utc};
    use gatehouse_domain::{
        Clock, ManualClock,
        mail::EmailTemplate,
        secrets::{MasterKey, MasterKeys},
        store::{JobState, NewJob},
    };
    use gatehouse_store_sqlite::SqliteStore;

    use super::*;

    /// Records what it is given and answers with `outcome`.
    #[derive(Debug)]
    struct FakeMailer {
        outcome: Result<(), MailError>,
        sent: Mutex<Vec<Email>>,
    }

    #[async_trait]
    impl Mailer for FakeMailer {
        async fn send(&self, email: &Email) -> Result<(), MailError> {
            self.sent.lock().unwrap().push(email.clone());
            self.outcome.clone()
        }
    }

    struct Fixture {
        keyring: Arc<Keyring>,
        _directory: tempfile::TempDir,
    }

    async fn fixture() -> Fixture {
        let directory = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&directory.path().join("gatehouse.db"))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap(),
        ));
        let keys = MasterKeys::single(MasterKey::generate().unwrap());
        let keyring = Arc::new(Keyring::new(Arc::new(store), keys, clock));
        Fixture {
            keyring,
            _directory: directory,
        }
    }

    fn claimed(job: NewJob) -> Job {
        Job {
            id: job.id,
            kind: job.kind,
            queue: job.queue,
            payload: job.payload,
            state: JobState::Running,
            attempt: 1,
            max_attempts: job.max_attempts,
            run_at: job.run_at,
            locked_by: Some("worker".to_owned()),
            lease_expires_at: None,
            last_error: None,
            unique_key: job.unique_key,
            created_at: job.created_at,
            updated_at: job.created_at,
            finished_at: None,
        }
    }

    fn email() -> Email {
        Email::new(EmailTemplate::ResetPassword, "ada@example.com", Some("de"))
            .with("link", "https://id.example.com/reset?token=abc")
    }

    async fn run_with(outcome: Result<(), MailError>) -> (Result<(), JobError>, Vec<Email>) {
        let fixture = fixture().await;
        let job = email()
            .into_job(
                &fixture.keyring,
                Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap(),
            )
            .await
            .unwrap();
        let mailer = Arc::new(FakeMailer {
            outcome,
            sent: Mutex::new(Vec::new()),
        });
        let handler = SendEmail {
            keyring: fixture.keyring.clone(),
            mailer: mailer.clone(),
        };
        assert_eq!(handler.kind(), "send_email");
        let result = handler.run(&claimed(job)).await;
        let sent = mailer.sent.lock().unwrap().clone();
        (result, sent)
    }

    #[tokio::test]
    async fn delivers_the_sealed_message() {
        let (result, sent) = run_with(Ok(())).await;
        assert_eq!(result, Ok(()));
        assert_eq!(sent, [email()]);
    }

    #[tokio::test]
    async fn retryable_mail_errors_retry_and_others_are_fatal() {
        let retryable = MailError {
            retryable: true,
            message: "relay down".to_owned(),
        };
        let (result, _) = run_with(Err(retryable)).await;
        assert_eq!(result, Err(JobError::Retry("relay down".to_owned())));
        let permanent = MailError {
            retryable: false,
            message: "550".to_owned(),
        };
        let (result, _) = run_with(Err(permanent)).await;
        assert_eq!(result, Err(JobError::Fatal("550".to_owned())));
    }

    #[tokio::test]
    async fn a_job_that_cannot_be_opened_is_fatal() {
        let fixture = fixture().await;
        let mut job = claimed(
            email()
                .into_job(
                    &fixture.keyring,
                    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap(),
                )
                .await
                .unwrap(),
        );
        job.id = uuid::Uuid::now_v7();
        let mailer = Arc::new(FakeMailer {
            outcome: Ok(()),
            sent: Mutex::new(Vec::new()),
        });
        let handler = SendEmail {
            keyring: fixture.keyring.clone(),
            mailer: mailer.clone(),
        };
        assert!(
            matches!(handler.run(&job).await, Err(JobError::Fatal(_))),
            "sealed to another job id"
        );
        job.payload = serde_json::json!({ "template": "reset_password" });
        assert!(
            matches!(handler.run(&job).await, Err(JobError::Fatal(_))),
            "nothing sealed"
        );
        assert!(mailer.sent.lock().unwrap().is_empty());
    }
}
