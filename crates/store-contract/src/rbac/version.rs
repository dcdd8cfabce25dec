//! The model version: bumps, rolled-back changes, and changes that race.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use gatehouse_domain::store::{Store, UserAssignments};

use super::model;
use crate::fixtures::{api, capability, epoch, group, insert_user, role, user};

/// Each bump increments the version; a change that rolls back leaves the model, the
/// assignments and the version as they were.
pub async fn bump_increments_and_a_rolled_back_change_leaves_nothing(store: Arc<dyn Store>) {
    let holder = insert_user(&store, user("holder@example.test")).await.id;
    let start = store.rbac().version().await.unwrap();
    let (shop, kept) = (api("shop"), role("kept"));
    let read = capability(shop.id, "shop:read");
    let mut transaction = store.begin().await.unwrap();
    assert_eq!(transaction.lock_rbac().await.unwrap(), start);
    transaction.upsert_api(&shop).await.unwrap();
    transaction.upsert_capability(&read).await.unwrap();
    transaction.upsert_role(&kept).await.unwrap();
    transaction
        .set_role_capabilities(kept.id, &[read.id])
        .await
        .unwrap();
    assert_eq!(transaction.bump_rbac_version().await.unwrap(), start + 1);
    assert_eq!(transaction.bump_rbac_version().await.unwrap(), start + 2);
    transaction.commit().await.unwrap();
    assert_eq!(store.rbac().version().await.unwrap(), start + 2);
    let before = model(&store).await;
    assert_eq!(before.version, start + 2);

    let (doomed, team) = (role("doomed"), group("team"));
    let mut transaction = store.begin().await.unwrap();
    assert_eq!(transaction.lock_rbac().await.unwrap(), start + 2);
    transaction.upsert_role(&doomed).await.unwrap();
    transaction
        .set_role_capabilities(doomed.id, &[read.id])
        .await
        .unwrap();
    transaction
        .set_role_includes(kept.id, &[doomed.id])
        .await
        .unwrap();
    transaction.upsert_group(&team).await.unwrap();
    transaction.add_group_member(team.id, holder).await.unwrap();
    transaction
        .assign_role(holder, doomed.id, None, epoch())
        .await
        .unwrap();
    assert!(transaction.delete_role(kept.id).await.unwrap());
    assert!(transaction.delete_api(shop.id).await.unwrap());
    assert_eq!(transaction.bump_rbac_version().await.unwrap(), start + 3);
    transaction.rollback().await.unwrap();

    assert_eq!(model(&store).await, before);
    assert_eq!(store.rbac().version().await.unwrap(), start + 2);
    let assignments = store.rbac().user_assignments(holder).await.unwrap();
    assert_eq!(assignments, UserAssignments::default());
}

/// Two transactions that lock the model and bump its version take turns: the second sees the
/// first one's version, and each ends with its own.
pub async fn concurrent_model_changes_take_turns(store: Arc<dyn Store>) {
    let start = store.rbac().version().await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..2 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut transaction = store.begin().await.unwrap();
            let locked = transaction.lock_rbac().await.unwrap();
            tokio::time::sleep(StdDuration::from_millis(100)).await;
            let row = role(&format!("concurrent-{n}"));
            transaction.upsert_role(&row).await.unwrap();
            let bumped = transaction.bump_rbac_version().await.unwrap();
            transaction.commit().await.unwrap();
            (locked, bumped)
        }));
    }
    let mut bumped = Vec::new();
    for task in tasks {
        let (locked, version) = task.await.unwrap();
        assert_eq!(version, locked + 1);
        bumped.push(version);
    }
    bumped.sort_unstable();
    assert_eq!(bumped, vec![start + 1, start + 2]);
    assert_eq!(store.rbac().version().await.unwrap(), start + 2);
    let roles = model(&store).await.roles;
    assert!(roles.iter().any(|row| row.name == "concurrent-0"));
    assert!(roles.iter().any(|row| row.name == "concurrent-1"));
}
