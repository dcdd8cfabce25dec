//! Contract: the audit log's rows, listing, chaining and pruning.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::store::{AuditFilter, AuditRow, ChainHead, Store};

use crate::fixtures::{audit_row, epoch};

async fn insert(store: &Arc<dyn Store>, rows: &[AuditRow]) {
    let mut transaction = store.begin().await.unwrap();
    for row in rows {
        transaction.insert_audit_event(row).await.unwrap();
    }
    transaction.commit().await.unwrap();
}

fn without_position(mut row: AuditRow) -> AuditRow {
    row.position = 0;
    row
}

/// Every field comes back byte for byte, including Unicode text, JSON text and binary data.
pub async fn audit_rows_round_trip_exactly(store: Arc<dyn Store>) {
    let full = audit_row("user.signed_in", epoch());
    let sparse = AuditRow {
        actor_id: None,
        target: None,
        request_id: None,
        subject_id: None,
        details: None,
        personal: None,
        personal_digest: None,
        actor_kind: "anonymous".to_owned(),
        ..audit_row("user.sign_in_failed", epoch() + Duration::microseconds(1))
    };
    insert(&store, &[full.clone(), sparse.clone()]).await;
    let page = store
        .audit()
        .list(&AuditFilter::default(), None, 10)
        .await
        .unwrap();
    let rows: Vec<AuditRow> = page.rows.into_iter().map(without_position).collect();
    assert_eq!(rows, vec![sparse, full]);
    assert_eq!(store.audit().count_unchained().await.unwrap(), 2);
}

/// An event written in a rolled-back (or dropped) transaction is gone.
pub async fn rolled_back_audit_event_leaves_nothing(store: Arc<dyn Store>) {
    let mut transaction = store.begin().await.unwrap();
    transaction
        .insert_audit_event(&audit_row("a", epoch()))
        .await
        .unwrap();
    transaction.rollback().await.unwrap();
    let mut transaction = store.begin().await.unwrap();
    transaction
        .insert_audit_event(&audit_row("b", epoch()))
        .await
        .unwrap();
    drop(transaction);
    let page = store
        .audit()
        .list(&AuditFilter::default(), None, 10)
        .await
        .unwrap();
    assert!(page.rows.is_empty());
}

/// Filters combine; pages come newest first and the cursor walks to the end.
pub async fn list_filters_and_pages_newest_first(store: Arc<dyn Store>) {
    let mut rows = Vec::new();
    for index in 0..7 {
        let mut row = audit_row(if index % 2 == 0 { "even" } else { "odd" }, epoch());
        row.occurred_at = epoch() + Duration::minutes(index);
        row.outcome = if index == 4 {
            "failure".to_owned()
        } else {
            "success".to_owned()
        };
        rows.push(row);
    }
    insert(&store, &rows).await;

    let filter = AuditFilter {
        action: Some("even".to_owned()),
        ..AuditFilter::default()
    };
    let first = store.audit().list(&filter, None, 3).await.unwrap();
    let ids: Vec<_> = first.rows.iter().map(|row| row.id).collect();
    assert_eq!(ids, vec![rows[6].id, rows[4].id, rows[2].id]);
    let second = store
        .audit()
        .list(&filter, first.next_before, 3)
        .await
        .unwrap();
    assert_eq!(
        second.rows.iter().map(|row| row.id).collect::<Vec<_>>(),
        vec![rows[0].id]
    );
    assert_eq!(second.next_before, None);

    let failures = AuditFilter {
        outcome: Some("failure".to_owned()),
        subject_id: rows[4].subject_id,
        ..AuditFilter::default()
    };
    let found = store.audit().list(&failures, None, 10).await.unwrap();
    assert_eq!(found.rows.len(), 1);
    assert_eq!(found.rows[0].id, rows[4].id);

    let window = AuditFilter {
        since: Some(epoch() + Duration::minutes(2)),
        until: Some(epoch() + Duration::minutes(4)),
        actor_id: rows[3].actor_id.clone(),
        ..AuditFilter::default()
    };
    let found = store.audit().list(&window, None, 10).await.unwrap();
    assert_eq!(
        found.rows.iter().map(|row| row.id).collect::<Vec<_>>(),
        vec![rows[3].id]
    );
}

/// The chainer sees unchained rows in insertion order, links them, and the head and the chained
/// listing reflect exactly what it committed.
pub async fn chaining_links_rows_in_position_order_and_keeps_the_head(store: Arc<dyn Store>) {
    let rows: Vec<AuditRow> = (0..5)
        .map(|index| audit_row(&format!("event.{index}"), epoch()))
        .collect();
    insert(&store, &rows).await;
    assert_eq!(store.audit().head().await.unwrap(), None);

    let mut chain = store.audit().begin_chaining().await.unwrap();
    assert_eq!(chain.head().await.unwrap(), None);
    let pending = chain.unchained(3).await.unwrap();
    assert_eq!(
        pending.iter().map(|row| row.id).collect::<Vec<_>>(),
        vec![rows[0].id, rows[1].id, rows[2].id]
    );
    assert!(
        pending
            .windows(2)
            .all(|pair| pair[0].position < pair[1].position)
    );
    for (index, row) in pending.iter().enumerate() {
        let seq = i64::try_from(index).unwrap() + 1;
        chain
            .link(row.id, seq, &[u8::try_from(seq).unwrap(); 32])
            .await
            .unwrap();
    }
    let head = ChainHead {
        seq: 3,
        mac: vec![3; 32],
        head_mac: vec![4; 32],
        updated_at: epoch(),
    };
    chain.set_head(&head).await.unwrap();
    chain.commit().await.unwrap();

    assert_eq!(store.audit().head().await.unwrap(), Some(head.clone()));
    assert_eq!(store.audit().count_unchained().await.unwrap(), 2);
    let chained = store.audit().chained_after(1, 10).await.unwrap();
    assert_eq!(
        chained.iter().map(|row| row.chain_seq).collect::<Vec<_>>(),
        vec![Some(2), Some(3)]
    );
    assert_eq!(chained[0].chain_mac, Some(vec![2; 32]));

    let mut chain = store.audit().begin_chaining().await.unwrap();
    let rest = chain.unchained(10).await.unwrap();
    assert_eq!(
        rest.iter().map(|row| row.id).collect::<Vec<_>>(),
        vec![rows[3].id, rows[4].id]
    );
    let newer = ChainHead {
        seq: 4,
        updated_at: epoch() + Duration::seconds(1),
        ..head
    };
    chain.link(rest[0].id, 4, &[4; 32]).await.unwrap();
    chain.set_head(&newer).await.unwrap();
    drop(chain);
    assert_eq!(
        store.audit().count_unchained().await.unwrap(),
        2,
        "dropped chaining rolls back"
    );
}

/// Personal data older than the cut-off is cleared; its digest and newer data stay.
pub async fn prune_personal_clears_only_old_personal_data(store: Arc<dyn Store>) {
    let old = audit_row("old", epoch());
    let new = audit_row("new", epoch() + Duration::days(10));
    insert(&store, &[old.clone(), new.clone()]).await;
    let cleared = store
        .audit()
        .prune_personal(epoch() + Duration::days(5))
        .await
        .unwrap();
    assert_eq!(cleared, 1);
    assert_eq!(
        store
            .audit()
            .prune_personal(epoch() + Duration::days(5))
            .await
            .unwrap(),
        0
    );
    let page = store
        .audit()
        .list(&AuditFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(page.rows[0].personal, new.personal);
    assert_eq!(page.rows[1].personal, None);
    assert_eq!(page.rows[1].personal_digest, old.personal_digest);
}
