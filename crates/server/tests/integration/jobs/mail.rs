//! Mail goes out through the job queue to the configured SMTP server.

use std::time::Duration;

use gatehouse_domain::mail::{Email, EmailTemplate};

use crate::support::TestApp;

#[tokio::test]
async fn a_mail_job_enqueued_with_a_change_is_delivered_over_smtp() {
    let app = TestApp::spawn().await;
    let services = &app.services;
    let mail = Email::new(
        EmailTemplate::ResetPassword,
        "someone@example.com",
        Some("de"),
    )
    .with("link", "http://localhost:8080/reset-password?token=abc");
    let job = mail
        .into_job(&services.keyring, services.clock.now())
        .await
        .unwrap();
    assert!(
        !job.payload.to_string().contains("someone@example.com"),
        "the payload is sealed"
    );
    let mut transaction = services.store.begin().await.unwrap();
    transaction.enqueue_job(&job).await.unwrap();
    transaction.commit().await.unwrap();
    let received = app.mail.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].recipients,
        vec!["someone@example.com".to_owned()]
    );
    assert_eq!(
        received[0]
            .find_link("http://localhost:8080/reset-password")
            .as_deref(),
        Some("http://localhost:8080/reset-password?token=abc")
    );
    app.stop().await;
}
