//! The tampering scenarios: build a chained log, change it the way an attacker could, and check
//! that verification points at the first broken record.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::{
    Clock, ManualClock,
    audit::{self, Actor, AuditEvent, ChainBreak, PersonalData, PersonalView},
    secrets::{Keyring, MasterKey, MasterKeys, destroy_subject_key},
    store::Store,
};
use uuid::Uuid;

use super::Tamper;
use crate::fixtures::epoch;

/// A chained log of five records, the second and fourth carrying personal data of `subject`.
struct Chained {
    store: Arc<dyn Store>,
    keyring: Keyring,
    subject: Uuid,
}

async fn chained_log(tamper: &dyn Tamper) -> Chained {
    let store = tamper.store();
    let clock = Arc::new(ManualClock::new(epoch()));
    let master = MasterKeys::single(MasterKey::generate().unwrap());
    let keyring = Keyring::new(store.clone(), master, clock.clone());
    let subject = Uuid::now_v7();
    for index in 0..5 {
        let mut event = AuditEvent::new(Actor::User(subject), &format!("user.event_{index}"));
        if index % 2 == 1 {
            event.subject = Some(subject);
            event.personal = Some(PersonalData {
                ip: Some("192.0.2.7".to_owned()),
                user_agent: Some("Mozilla/5.0".to_owned()),
                email: Some("someone@example.com".to_owned()),
            });
        }
        let mut transaction = store.begin().await.unwrap();
        audit::record(&mut *transaction, &keyring, clock.now(), event)
            .await
            .unwrap();
        transaction.commit().await.unwrap();
        clock.advance(Duration::seconds(1));
    }
    assert_eq!(
        audit::chain_pending(&*store, &keyring, clock.now(), 100)
            .await
            .unwrap(),
        5
    );
    Chained {
        store,
        keyring,
        subject,
    }
}

async fn first_break(chained: &Chained) -> ChainBreak {
    audit::verify_chain(&*chained.store, &chained.keyring)
        .await
        .unwrap()
        .unwrap_err()
}

/// An untouched log verifies, including records chained in a later batch.
pub async fn untouched_chain_verifies(tamper: &dyn Tamper) {
    let chained = chained_log(tamper).await;
    let mut transaction = chained.store.begin().await.unwrap();
    let event = AuditEvent::new(Actor::System, "system.started");
    audit::record(&mut *transaction, &chained.keyring, epoch(), event)
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    let report = audit::verify_chain(&*chained.store, &chained.keyring)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((report.records, report.unchained), (5, 1));
    audit::chain_pending(&*chained.store, &chained.keyring, epoch(), 100)
        .await
        .unwrap();
    let report = audit::verify_chain(&*chained.store, &chained.keyring)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((report.records, report.unchained), (6, 0));
}

/// Changing a field of a record breaks the chain at that record.
pub async fn edited_record_is_detected(tamper: &dyn Tamper) {
    let chained = chained_log(tamper).await;
    tamper.set_action(3, "user.nothing_to_see").await;
    let found = first_break(&chained).await;
    assert_eq!(found.seq, 3);
    assert!(found.id.is_some());
}

/// Replacing sealed personal data is detected through its digest.
pub async fn edited_personal_data_is_detected(tamper: &dyn Tamper) {
    let chained = chained_log(tamper).await;
    tamper.set_personal(4, &[1, 2, 3]).await;
    let found = first_break(&chained).await;
    assert_eq!(found.seq, 4);
    assert!(found.reason.contains("personal"), "{found}");
}

/// A deleted record in the middle leaves a gap that is reported.
pub async fn deleted_record_is_detected(tamper: &dyn Tamper) {
    let chained = chained_log(tamper).await;
    tamper.delete_record(2).await;
    let found = first_break(&chained).await;
    assert_eq!(found.seq, 2);
    assert!(found.reason.contains("missing"), "{found}");
}

/// Swapping two records' places breaks the chain at the first of them.
pub async fn reordered_records_are_detected(tamper: &dyn Tamper) {
    let chained = chained_log(tamper).await;
    tamper.swap_records(2, 4).await;
    let found = first_break(&chained).await;
    assert_eq!(found.seq, 2);
}

/// Deleting the newest records is found by the head, kept apart from the records.
pub async fn cut_off_tail_is_detected(tamper: &dyn Tamper) {
    let chained = chained_log(tamper).await;
    tamper.cut_tail(2).await;
    let found = first_break(&chained).await;
    assert_eq!(found.seq, 4);
    assert!(found.reason.contains("tail"), "{found}");
}

/// Destroying a subject's key makes their personal data unreadable and leaves the chain valid.
pub async fn destroyed_subject_key_keeps_chain_valid_and_data_unreadable(tamper: &dyn Tamper) {
    let chained = chained_log(tamper).await;
    let rows = chained.store.audit().chained_after(0, 10).await.unwrap();
    let view = audit::read_personal(&*chained.store, &chained.keyring, &rows[1])
        .await
        .unwrap();
    let PersonalView::Readable(data) = view else {
        panic!("readable before erasure: {view:?}")
    };
    assert_eq!(data.email.as_deref(), Some("someone@example.com"));

    assert!(
        destroy_subject_key(&*chained.store, chained.subject, epoch())
            .await
            .unwrap()
    );
    let rows = chained.store.audit().chained_after(0, 10).await.unwrap();
    for row in &rows {
        let view = audit::read_personal(&*chained.store, &chained.keyring, row)
            .await
            .unwrap();
        let expected = if row.personal.is_some() {
            PersonalView::Erased
        } else {
            PersonalView::Absent
        };
        assert_eq!(view, expected);
    }
    let report = audit::verify_chain(&*chained.store, &chained.keyring)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.records, 5);
}
