//! The authorization model on PostgreSQL beyond the shared contract: several nodes (each a store
//! with its own pool) changing the model at once serialise on the `rbac_version` row lock, so
//! every committed change gets a version of its own; a model read is one snapshot; and the
//! migration turns the bootstrap admin flag into the admin role.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failed step is a failed test"
)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use gatehouse_domain::store::{RoleAssignment, RoleRow, Store, UserRow, new_id};
use gatehouse_store_contract::fixtures::{epoch, user};
use gatehouse_store_postgres::PostgresStore;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPool;
use tokio::task::JoinSet;
use uuid::Uuid;

/// The migrations, to apply those before the authorization model.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The last migration before `0009_create_rbac`.
const BEFORE_RBAC: i64 = 8;

/// The seeded `gatehouse:admin` role.
const ADMIN_ROLE: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0201);

/// Roles the migration seeds.
const SEEDED_ROLES: usize = 3;

/// Writers per node in the version race.
const WRITERS_PER_NODE: usize = 3;

/// Model changes each writer makes in the version race.
const ROUNDS: usize = 20;

fn role(name: &str) -> RoleRow {
    RoleRow {
        id: new_id(),
        name: name.to_owned(),
        description: "A role made by a test".to_owned(),
        system: false,
        version: 1,
        created_at: epoch(),
        updated_at: epoch(),
    }
}

/// Two nodes on one fresh, migrated database.
async fn two_nodes() -> Option<(PostgresStore, PostgresStore)> {
    let (first, url) = common::fresh_store().await?;
    let second = common::connect(&url).await;
    Some((first, second))
}

/// One model change on `store`: locks the model, adds a role named `name`, bumps the version
/// and commits (or rolls back). Returns the version seen under the lock and the bumped one.
async fn change(store: &PostgresStore, name: &str, commit: bool) -> (i64, i64) {
    let mut transaction = store.begin().await.unwrap();
    let locked = transaction.lock_rbac().await.unwrap();
    transaction.upsert_role(&role(name)).await.unwrap();
    let bumped = transaction.bump_rbac_version().await.unwrap();
    if commit {
        transaction.commit().await.unwrap();
    } else {
        transaction.rollback().await.unwrap();
    }
    (locked, bumped)
}

/// One writer of the race: `ROUNDS` changes, every fourth one rolled back. Returns the versions
/// its committed changes took.
async fn writer(store: PostgresStore, name: String) -> Vec<i64> {
    let mut committed = Vec::new();
    for round in 0..ROUNDS {
        let commit = round % 4 != 3;
        let (locked, bumped) = change(&store, &format!("{name}-{round}"), commit).await;
        assert_eq!(bumped, locked + 1, "a bump under the lock adds exactly one");
        if commit {
            committed.push(bumped);
        }
    }
    committed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn model_changes_on_two_nodes_take_distinct_versions() {
    let Some((first, second)) = two_nodes().await else {
        return;
    };
    let start = first.rbac().version().await.unwrap();
    let mut writers = JoinSet::new();
    for index in 0..2 * WRITERS_PER_NODE {
        let store = if index % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        writers.spawn(writer(store, format!("writer-{index}")));
    }
    let committed: Vec<i64> = writers.join_all().await.into_iter().flatten().collect();
    let commits = i64::try_from(committed.len()).unwrap();
    let distinct: BTreeSet<i64> = committed.iter().copied().collect();
    assert_eq!(distinct.len(), committed.len(), "a version was taken twice");
    assert_eq!(distinct, (start + 1..=start + commits).collect());
    assert_eq!(second.rbac().version().await.unwrap(), start + commits);
    let model = first.rbac().model().await.unwrap();
    assert_eq!(model.version, start + commits);
    assert_eq!(model.roles.len(), SEEDED_ROLES + committed.len());
}

#[tokio::test]
async fn a_model_lock_waits_for_the_holder_on_another_node() {
    let Some((first, second)) = two_nodes().await else {
        return;
    };
    let mut holder = first.begin().await.unwrap();
    let start = holder.lock_rbac().await.unwrap();
    let waiting = tokio::spawn(async move { change(&second, "waiter", true).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "a second model lock must wait for the first transaction"
    );
    holder.upsert_role(&role("holder")).await.unwrap();
    assert_eq!(holder.bump_rbac_version().await.unwrap(), start + 1);
    holder.commit().await.unwrap();
    assert_eq!(waiting.await.unwrap(), (start + 1, start + 2));
    assert_eq!(first.rbac().version().await.unwrap(), start + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_model_read_is_one_snapshot_while_another_node_changes_it() {
    let Some((first, second)) = two_nodes().await else {
        return;
    };
    let start = first.rbac().version().await.unwrap();
    let changes = tokio::spawn(async move {
        for round in 0..40 {
            change(&second, &format!("changed-{round}"), true).await;
        }
    });
    let mut reads = 0;
    while !changes.is_finished() || reads == 0 {
        let model = first.rbac().model().await.unwrap();
        let added = usize::try_from(model.version - start).unwrap();
        assert_eq!(model.roles.len(), SEEDED_ROLES + added, "{model:?}");
        reads += 1;
    }
    changes.await.unwrap();
}

/// A user as a bootstrap administrator or not, inserted directly.
async fn insert_user(store: &PostgresStore, email: &str, is_admin: bool) -> UserRow {
    let row = UserRow {
        is_admin,
        ..user(email)
    };
    let mut transaction = store.begin().await.unwrap();
    transaction.insert_user(&row).await.unwrap();
    transaction.commit().await.unwrap();
    row
}

#[tokio::test]
async fn the_migration_gives_bootstrap_admins_the_admin_role() {
    let Some(url) = common::fresh_url().await else {
        return;
    };
    let pool = PgPool::connect(&url).await.unwrap();
    MIGRATOR.run_to(BEFORE_RBAC, &pool).await.unwrap();
    pool.close().await;
    let store = common::connect(&url).await;
    let admin = insert_user(&store, "admin@example.com", true).await;
    let plain = insert_user(&store, "plain@example.com", false).await;
    store.migrate().await.unwrap();
    store.check_ready().await.unwrap();
    let assignments = store.rbac().user_assignments(admin.id).await.unwrap();
    assert_eq!(
        assignments.roles,
        vec![RoleAssignment {
            role_id: ADMIN_ROLE,
            expires_at: None,
        }]
    );
    assert!(
        store
            .rbac()
            .user_assignments(plain.id)
            .await
            .unwrap()
            .roles
            .is_empty()
    );
    assert_eq!(
        store
            .rbac()
            .active_holders(ADMIN_ROLE, epoch())
            .await
            .unwrap(),
        vec![admin.id]
    );
    // 0009 seeds version 1; 0012, which seeds the OAuth capabilities, bumps it once.
    assert_eq!(store.rbac().version().await.unwrap(), 2);
}
