//! Recovery codes: replacing a user's set, using a code once (also under a race), and keeping
//! users' codes apart.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::store::{RecoveryCodeRow, Store};
use uuid::Uuid;

use super::{committed, race, recovery_code, user_id};
use crate::fixtures::epoch;

async fn replace(store: &Arc<dyn Store>, user_id: Uuid, rows: &[RecoveryCodeRow]) {
    committed(store, async |transaction| {
        transaction
            .replace_recovery_codes(user_id, rows)
            .await
            .unwrap();
    })
    .await;
}

async fn use_code(
    store: &Arc<dyn Store>,
    user_id: Uuid,
    code_mac: &[u8],
    now: DateTime<Utc>,
) -> bool {
    committed(store, async |transaction| {
        transaction
            .use_recovery_code(user_id, code_mac, now)
            .await
            .unwrap()
    })
    .await
}

async fn unused(store: &Arc<dyn Store>, user_id: Uuid) -> i64 {
    store
        .mfa()
        .factor_summary(user_id)
        .await
        .unwrap()
        .recovery_codes
}

/// A code is used once, only by its owner and only with its digest; another user holding the
/// same digest keeps theirs.
pub async fn recovery_code_is_used_once_by_its_owner(store: Arc<dyn Store>) {
    let owner = user_id(&store, "codes@example.test").await;
    let stranger = user_id(&store, "codes-other@example.test").await;
    let macs: [&[u8]; 3] = [&[1; 32], &[2; 32], &[0, 255, 3]];
    let rows: Vec<_> = macs.iter().map(|mac| recovery_code(owner, mac)).collect();
    replace(&store, owner, &rows).await;
    replace(&store, stranger, &[recovery_code(stranger, macs[0])]).await;
    assert_eq!(unused(&store, owner).await, 3);
    let now = epoch() + Duration::hours(1);

    assert!(!use_code(&store, stranger, macs[1], now).await);
    assert!(!use_code(&store, owner, &[7; 32], now).await);
    assert!(use_code(&store, owner, macs[0], now).await);
    assert!(!use_code(&store, owner, macs[0], now).await);
    assert_eq!(unused(&store, owner).await, 2);
    assert_eq!(unused(&store, stranger).await, 1);
    assert!(use_code(&store, stranger, macs[0], now).await);
    assert!(use_code(&store, owner, macs[2], now).await);
    assert_eq!(unused(&store, owner).await, 1);

    // A use in a transaction that rolls back leaves the code usable.
    let mut transaction = store.begin().await.unwrap();
    assert!(
        transaction
            .use_recovery_code(owner, macs[1], now)
            .await
            .unwrap()
    );
    transaction.rollback().await.unwrap();
    assert_eq!(unused(&store, owner).await, 1);
    assert!(use_code(&store, owner, macs[1], now).await);
    assert_eq!(unused(&store, owner).await, 0);
}

/// Replacing the codes removes every old one, used or not, and only the user's.
pub async fn replace_recovery_codes_kills_the_old_ones(store: Arc<dyn Store>) {
    let owner = user_id(&store, "codes-replace@example.test").await;
    let stranger = user_id(&store, "codes-kept@example.test").await;
    let old: Vec<_> = (1..=4_u8).map(|n| recovery_code(owner, &[n; 16])).collect();
    replace(&store, owner, &old).await;
    replace(&store, stranger, &[recovery_code(stranger, &[1; 16])]).await;
    let now = epoch() + Duration::hours(1);
    assert!(use_code(&store, owner, &old[0].code_mac, now).await);

    // The new set may repeat an old digest: it is a new, unused code.
    let new = vec![
        recovery_code(owner, &[1; 16]),
        recovery_code(owner, &[9; 16]),
        RecoveryCodeRow {
            used_at: Some(epoch()),
            ..recovery_code(owner, &[8; 16])
        },
    ];
    replace(&store, owner, &new).await;
    assert_eq!(unused(&store, owner).await, 2);
    for row in &old[1..] {
        assert!(!use_code(&store, owner, &row.code_mac, now).await);
    }
    assert!(
        !use_code(&store, owner, &[8; 16], now).await,
        "stored as used"
    );
    assert!(use_code(&store, owner, &[1; 16], now).await);
    assert!(use_code(&store, owner, &[9; 16], now).await);
    assert_eq!(unused(&store, stranger).await, 1);

    replace(&store, owner, &[]).await;
    assert_eq!(unused(&store, owner).await, 0);
    assert_eq!(unused(&store, stranger).await, 1);
}

/// Of several nodes using the same code at the same moment, exactly one succeeds.
pub async fn concurrent_uses_of_a_recovery_code_succeed_once(store: Arc<dyn Store>) {
    let owner = user_id(&store, "codes-race@example.test").await;
    let mac = vec![5_u8; 32];
    replace(&store, owner, &[recovery_code(owner, &mac)]).await;
    let now = epoch() + Duration::hours(1);
    let results = race(&store, |store| {
        let mac = mac.clone();
        async move {
            let mut transaction = store.begin().await.unwrap();
            let used = transaction
                .use_recovery_code(owner, &mac, now)
                .await
                .unwrap();
            transaction.commit().await.unwrap();
            used
        }
    })
    .await;
    assert_eq!(results.iter().filter(|used| **used).count(), 1);
    assert_eq!(unused(&store, owner).await, 0);
}
