//! The authorization model on SQLite in particular: migration 0009 over existing users, model
//! changes on the single writer, and the stored forms of its values.

#![expect(clippy::unwrap_used, reason = "a test: a failed step is a failed test")]

#[expect(dead_code, reason = "these tests use only part of the shared helpers")]
mod common;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use gatehouse_domain::store::{RoleAssignment, RoleRow, Store, UserAssignments, UserRow, new_id};
use sqlx::Row;
use uuid::Uuid;

use common::TestStore;

/// The seeded `gatehouse:admin` role.
const ADMIN_ROLE: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0201);

fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + Duration::microseconds(654_321)
}

fn user(email: &str, is_admin: bool) -> UserRow {
    UserRow {
        id: new_id(),
        email: email.to_owned(),
        email_normalized: email.to_owned(),
        email_verified_at: None,
        display_name: None,
        given_name: None,
        family_name: None,
        locale: None,
        picture_url: None,
        attributes: "{}".to_owned(),
        status: "active".to_owned(),
        is_admin,
        created_at: epoch(),
        updated_at: epoch(),
        last_sign_in_at: None,
    }
}

fn role(name: &str) -> RoleRow {
    RoleRow {
        id: new_id(),
        name: name.to_owned(),
        description: String::new(),
        system: false,
        version: 1,
        created_at: epoch(),
        updated_at: epoch(),
    }
}

#[tokio::test]
async fn migration_0009_gives_bootstrap_admins_the_admin_role() {
    let store = TestStore::unmigrated().await;
    let mut before_rbac = sqlx::migrate!("./migrations");
    before_rbac.migrations = before_rbac
        .migrations
        .iter()
        .filter(|migration| migration.version < 9)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    before_rbac.run(&mut store.raw().await).await.unwrap();
    let admin = user("admin@example.test", true);
    let plain = user("plain@example.test", false);
    let mut transaction = store.begin().await.unwrap();
    transaction.insert_user(&admin).await.unwrap();
    transaction.insert_user(&plain).await.unwrap();
    transaction.commit().await.unwrap();

    store.inner().migrate().await.unwrap();
    store.check_ready().await.unwrap();
    let expected = UserAssignments {
        roles: vec![RoleAssignment {
            role_id: ADMIN_ROLE,
            expires_at: None,
        }],
        groups: Vec::new(),
    };
    assert_eq!(
        store.rbac().user_assignments(admin.id).await.unwrap(),
        expected
    );
    assert_eq!(
        store.rbac().user_assignments(plain.id).await.unwrap(),
        UserAssignments::default()
    );
    let created_at: i64 = sqlx::query_scalar("SELECT created_at FROM user_roles")
        .fetch_one(&mut store.raw().await)
        .await
        .unwrap();
    assert_eq!(created_at, epoch().timestamp_micros());
    let holders = store.rbac().active_holders(ADMIN_ROLE, epoch()).await;
    assert_eq!(holders.unwrap(), vec![admin.id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_rbac_holds_the_single_writer_until_the_change_ends() {
    let store = Arc::new(TestStore::migrated().await);
    let start = store.rbac().version().await.unwrap();
    let mut first = store.begin().await.unwrap();
    assert_eq!(first.lock_rbac().await.unwrap(), start);
    let waiting = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut second = store.begin().await.unwrap();
            let locked = second.lock_rbac().await.unwrap();
            second.commit().await.unwrap();
            locked
        })
    };
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    assert!(
        !waiting.is_finished(),
        "a second change ran beside the first"
    );
    first.upsert_role(&role("first")).await.unwrap();
    assert_eq!(first.bump_rbac_version().await.unwrap(), start + 1);
    // Readers see only committed data meanwhile.
    assert_eq!(store.rbac().version().await.unwrap(), start);
    first.commit().await.unwrap();
    assert_eq!(waiting.await.unwrap(), start + 1);
}

#[tokio::test]
async fn rbac_values_are_stored_as_uuid_blobs_integer_flags_and_microseconds() {
    let store = TestStore::migrated().await;
    let holder = user("holder@example.test", false);
    let temporary = role("temporary");
    let expires_at = epoch() + Duration::days(1);
    let mut transaction = store.begin().await.unwrap();
    transaction.insert_user(&holder).await.unwrap();
    transaction.lock_rbac().await.unwrap();
    transaction.upsert_role(&temporary).await.unwrap();
    transaction
        .assign_role(holder.id, temporary.id, Some(expires_at), epoch())
        .await
        .unwrap();
    transaction.bump_rbac_version().await.unwrap();
    transaction.commit().await.unwrap();

    let stored = sqlx::query(
        "SELECT typeof(user_roles.role_id), length(user_roles.role_id), \
             user_roles.expires_at, user_roles.created_at, roles.system, roles.id = ?1 \
         FROM user_roles JOIN roles ON roles.id = user_roles.role_id",
    )
    .bind(temporary.id)
    .fetch_one(&mut store.raw().await)
    .await
    .unwrap();
    assert_eq!(stored.get::<String, _>(0), "blob");
    assert_eq!(stored.get::<i64, _>(1), 16);
    assert_eq!(stored.get::<i64, _>(2), expires_at.timestamp_micros());
    assert_eq!(stored.get::<i64, _>(3), epoch().timestamp_micros());
    assert_eq!(stored.get::<i64, _>(4), 0);
    assert_eq!(stored.get::<i64, _>(5), 1);
    let system: Vec<i64> = sqlx::query_scalar("SELECT system FROM roles WHERE system <> 0")
        .fetch_all(&mut store.raw().await)
        .await
        .unwrap();
    assert_eq!(system, vec![1, 1, 1]);
}
