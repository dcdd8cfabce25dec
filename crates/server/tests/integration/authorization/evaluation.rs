//! Effective capabilities: direct, group and included roles; expiry; other nodes notice changes.

use std::{sync::Arc, time::Duration};

use gatehouse_domain::authorization::Authorizer;
use tokio::sync::watch;
use uuid::Uuid;

use super::import::shop;
use crate::{accounts::support::verified_user, support::TestApp};

async fn verified_user_id(app: &TestApp, email: &str) -> Uuid {
    verified_user(app, email).await.user.id()
}

async fn role_id(app: &TestApp, name: &str) -> Uuid {
    app.services
        .store
        .rbac()
        .model()
        .await
        .unwrap()
        .roles
        .iter()
        .find(|role| role.name == name)
        .unwrap()
        .id
}

async fn change(
    app: &TestApp,
    step: impl AsyncFnOnce(&mut dyn gatehouse_domain::store::Transaction),
) {
    let mut transaction = app.services.store.begin().await.unwrap();
    transaction.lock_rbac().await.unwrap();
    step(&mut *transaction).await;
    transaction.bump_rbac_version().await.unwrap();
    transaction.commit().await.unwrap();
}

#[tokio::test]
async fn capabilities_come_from_direct_group_and_included_roles_and_expire() {
    let app = TestApp::spawn().await;
    let services = &app.services;
    gatehouse_domain::authorization::import_model(
        &*services.store,
        &services.keyring,
        services.clock.now(),
        &shop(),
        false,
        true,
    )
    .await
    .unwrap();
    let user = verified_user_id(&app, "ana@example.com").await;
    let authorizer = &services.authorizer;
    assert!(!authorizer.check(user, "orders:read").await.unwrap().allowed);

    let manager = role_id(&app, "shop:manager").await;
    let until = services.clock.now() + chrono::Duration::hours(1);
    change(&app, async |tx| {
        tx.assign_role(user, manager, Some(until), services.clock.now())
            .await
            .unwrap()
    })
    .await;
    authorizer.refresh().await.unwrap();
    let read = authorizer.check(user, "orders:read").await.unwrap();
    assert!(read.allowed);
    assert_eq!(
        read.granted_by,
        vec!["shop:manager".to_owned()],
        "through the included clerk role"
    );
    assert_eq!(
        authorizer
            .capabilities(user, Some("shop"))
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        authorizer
            .capabilities(user, Some("gatehouse"))
            .await
            .unwrap()
            .is_empty()
    );

    app.clock.advance(chrono::Duration::hours(2));
    assert!(
        !authorizer
            .check(user, "orders:refund")
            .await
            .unwrap()
            .allowed,
        "the assignment expired"
    );

    let support = services.store.rbac().model().await.unwrap().groups[0].id;
    change(&app, async |tx| {
        tx.add_group_member(support, user).await.unwrap()
    })
    .await;
    authorizer.refresh().await.unwrap();
    let through_group = authorizer.check(user, "orders:read").await.unwrap();
    assert_eq!(
        (through_group.allowed, through_group.granted_by),
        (true, vec!["shop:clerk".to_owned()])
    );
    assert!(
        !authorizer
            .check(user, "orders:refund")
            .await
            .unwrap()
            .allowed
    );
    app.stop().await;
}

#[tokio::test]
async fn a_change_made_on_one_node_is_enforced_on_another_within_a_second() {
    let app = TestApp::spawn().await;
    let services = &app.services;
    gatehouse_domain::authorization::import_model(
        &*services.store,
        &services.keyring,
        services.clock.now(),
        &shop(),
        false,
        true,
    )
    .await
    .unwrap();
    let user = verified_user_id(&app, "bea@example.com").await;
    let other_node = app.another_node().await;
    let remote = Arc::new(Authorizer::new(other_node.store(), services.clock.clone()));
    let (_stop, signal) = watch::channel(false);
    let watcher = remote.clone().watch(Duration::from_millis(250), signal);
    assert!(!remote.check(user, "orders:read").await.unwrap().allowed);

    let clerk = role_id(&app, "shop:clerk").await;
    change(&app, async |tx| {
        tx.assign_role(user, clerk, None, services.clock.now())
            .await
            .unwrap()
    })
    .await;
    let started = std::time::Instant::now();
    while !remote.check(user, "orders:read").await.unwrap().allowed {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "not enforced on the other node within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    watcher.abort();
    app.stop().await;
}
