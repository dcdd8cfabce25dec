//! Runtime administration of roles: names, cycles, system roles, concurrent edits, audit, and
//! deleting a role in use.

use gatehouse_domain::{
    authorization::{
        ADMIN_ROLE, ADMIN_ROLE_ID, Assignment, AuthorizationError, CapabilityUpdate, Membership,
        NewApi, NewCapability, NewGroup, NewRole, RoleCapabilities, RoleIncludes, RoleUpdate,
        add_group_member, assign_role, create_api, create_capability, create_group, create_role,
        delete_api, delete_role, role_usage, set_role_capabilities, set_role_includes,
        update_capability, update_role, user_roles,
    },
    store::RbacModel,
};

use super::manage::{administrator, audited, deps, model, shop, user};
use crate::support::TestApp;

fn new_role(name: &str) -> NewRole {
    NewRole {
        name: name.to_owned(),
        ..NewRole::default()
    }
}

fn rename(role: uuid::Uuid, expected_version: i64, name: &str) -> RoleUpdate {
    RoleUpdate {
        role,
        expected_version,
        name: name.to_owned(),
        description: format!("{name} role"),
    }
}

#[tokio::test]
async fn duplicate_and_malformed_names_are_refused() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, "root@example.com").await;
    let shop = shop(&app, &admin).await;
    let deps = deps(&app);
    let stored = model(&app).await;
    let api = stored
        .capabilities
        .iter()
        .find(|c| c.id == shop.read)
        .unwrap()
        .api_id;
    let result = create_role(&deps, &admin, new_role("Shop:Clerk")).await;
    assert!(matches!(
        result,
        Err(AuthorizationError::AlreadyExists { kind: "role", .. })
    ));
    let capability = |name: &str| NewCapability {
        api,
        name: name.to_owned(),
        description: String::new(),
    };
    let result = create_capability(&deps, &admin, capability("orders:read")).await;
    assert!(matches!(
        result,
        Err(AuthorizationError::AlreadyExists {
            kind: "capability",
            ..
        })
    ));
    for malformed in [
        "orders",
        "Orders:Read",
        "orders:read now",
        "gatehouse:extra",
    ] {
        let result = create_capability(&deps, &admin, capability(malformed)).await;
        assert!(
            matches!(
                result,
                Err(AuthorizationError::Invalid { field: "name", .. })
            ),
            "{malformed}: {result:?}"
        );
    }
    let renamed = CapabilityUpdate {
        capability: shop.refund,
        name: "orders:read".to_owned(),
        description: String::new(),
    };
    let result = update_capability(&deps, &admin, renamed).await;
    assert!(matches!(
        result,
        Err(AuthorizationError::AlreadyExists { .. })
    ));
    let same_audience = NewApi {
        audience: "SHOP".to_owned(),
        name: "Shop again".to_owned(),
        description: String::new(),
    };
    let result = create_api(&deps, &admin, same_audience).await;
    assert!(matches!(
        result,
        Err(AuthorizationError::AlreadyExists { kind: "api", .. })
    ));
    let result = update_role(&deps, &admin, rename(shop.clerk, 1, "gatehouse:admin")).await;
    assert!(matches!(
        result,
        Err(AuthorizationError::Invalid { field: "name", .. })
    ));
    app.stop().await;
}

#[tokio::test]
async fn inclusion_cycles_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, "root@example.com").await;
    let shop = shop(&app, &admin).await;
    let deps = deps(&app);
    let manager = NewRole {
        includes: vec![shop.clerk],
        ..new_role("shop:manager")
    };
    let manager = create_role(&deps, &admin, manager).await.unwrap();
    let before = model(&app).await;
    let includes = |role, expected_version, includes| RoleIncludes {
        role,
        expected_version,
        includes,
    };
    let result = set_role_includes(&deps, &admin, includes(shop.clerk, 1, vec![manager.id])).await;
    assert!(
        matches!(
            &result,
            Err(AuthorizationError::Invalid {
                field: "includes",
                ..
            })
        ),
        "{result:?}"
    );
    let result = set_role_includes(&deps, &admin, includes(shop.clerk, 1, vec![shop.clerk])).await;
    assert!(matches!(
        result,
        Err(AuthorizationError::Invalid {
            field: "includes",
            ..
        })
    ));
    assert_eq!(model(&app).await, before);
    app.stop().await;
}

#[tokio::test]
async fn system_roles_capabilities_and_the_gatehouse_api_are_protected() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, "root@example.com").await;
    let shop = shop(&app, &admin).await;
    let deps = deps(&app);
    let before = model(&app).await;
    let system = |result: Result<(), AuthorizationError>| {
        assert!(
            matches!(result, Err(AuthorizationError::SystemObject { .. })),
            "{result:?}"
        );
    };
    system(
        update_role(&deps, &admin, rename(ADMIN_ROLE_ID, 1, "boss"))
            .await
            .map(drop),
    );
    let grow = RoleCapabilities {
        role: ADMIN_ROLE_ID,
        expected_version: 1,
        capabilities: vec![shop.read],
    };
    system(set_role_capabilities(&deps, &admin, grow).await.map(drop));
    system(delete_role(&deps, &admin, ADMIN_ROLE_ID).await.map(drop));
    let gatehouse = before.apis.iter().find(|api| api.system).unwrap().id;
    system(delete_api(&deps, &admin, gatehouse).await);
    let extra = NewCapability {
        api: gatehouse,
        name: "console:extra".to_owned(),
        description: String::new(),
    };
    system(create_capability(&deps, &admin, extra).await.map(drop));
    let users_read = before.capabilities.iter().find(|c| c.system).unwrap();
    let renamed = CapabilityUpdate {
        capability: users_read.id,
        name: "people:read".to_owned(),
        description: String::new(),
    };
    system(update_capability(&deps, &admin, renamed).await.map(drop));
    let result = create_role(&deps, &admin, new_role("gatehouse:operator")).await;
    assert!(matches!(
        result,
        Err(AuthorizationError::Invalid { field: "name", .. })
    ));
    assert_eq!(model(&app).await, before);
    app.stop().await;
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, "root@example.com").await;
    let shop = shop(&app, &admin).await;
    let deps = deps(&app);
    let first = update_role(&deps, &admin, rename(shop.clerk, 1, "shop:cashier")).await;
    assert_eq!(first.unwrap().version, 2);
    let after_first: RbacModel = model(&app).await;
    let stale = RoleCapabilities {
        role: shop.clerk,
        expected_version: 1,
        capabilities: vec![shop.read, shop.refund],
    };
    match set_role_capabilities(&deps, &admin, stale).await {
        Err(AuthorizationError::Conflict {
            kind: "role",
            name,
            expected: 1,
            actual: 2,
        }) => assert_eq!(name, "shop:cashier"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(model(&app).await, after_first);

    let (one, two) = tokio::join!(
        update_role(&deps, &admin, rename(shop.clerk, 2, "shop:seller")),
        update_role(&deps, &admin, rename(shop.clerk, 2, "shop:vendor")),
    );
    let conflicts = [&one, &two]
        .iter()
        .filter(|result| matches!(result, Err(AuthorizationError::Conflict { .. })))
        .count();
    assert_eq!(conflicts, 1, "{one:?} {two:?}");
    let winner = one.or(two).unwrap();
    let stored = model(&app).await;
    let stored = stored
        .roles
        .iter()
        .find(|role| role.id == shop.clerk)
        .unwrap();
    assert_eq!((stored.version, &stored.name), (3, &winner.name));
    app.stop().await;
}

#[tokio::test]
async fn changes_are_audited_with_before_and_after() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, "root@example.com").await;
    let shop = shop(&app, &admin).await;
    let deps = deps(&app);
    let grow = RoleCapabilities {
        role: shop.clerk,
        expected_version: 1,
        capabilities: vec![shop.read, shop.refund],
    };
    set_role_capabilities(&deps, &admin, grow).await.unwrap();
    let rows = audited(&app, "rbac.role_updated").await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.actor_id, Some(admin.user_id.to_string()));
    assert_eq!(row.target, Some(format!("role:{}", shop.clerk)));
    let details: serde_json::Value = serde_json::from_str(row.details.as_deref().unwrap()).unwrap();
    assert_eq!(
        details["before"]["capabilities"],
        serde_json::json!(["orders:read"])
    );
    assert_eq!(
        details["after"]["capabilities"],
        serde_json::json!(["orders:read", "orders:refund"])
    );
    assert_eq!(
        (
            details["before"]["version"].as_i64(),
            details["after"]["version"].as_i64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(audited(&app, "rbac.role_created").await.len(), 1);
    assert_eq!(audited(&app, "rbac.capability_created").await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_deleted_role_in_use_disappears_from_effective_capabilities() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, "root@example.com").await;
    let shop = shop(&app, &admin).await;
    let deps = deps(&app);
    let (ana, bea) = (
        user(&app, "ana@example.com", false).await,
        user(&app, "bea@example.com", false).await,
    );
    let direct = Assignment {
        user: ana,
        role: shop.clerk,
        expires_at: None,
    };
    assign_role(&deps, &admin, direct).await.unwrap();
    let support = NewGroup {
        name: "support".to_owned(),
        description: String::new(),
        roles: vec![shop.clerk],
    };
    let support = create_group(&deps, &admin, support).await.unwrap();
    let member = Membership {
        group: support.id,
        user: bea,
    };
    assert!(add_group_member(&deps, &admin, member).await.unwrap());
    let ana_roles = user_roles(&deps, &admin, ana).await.unwrap();
    assert_eq!(ana_roles.capabilities[0].name, "orders:read");
    assert_eq!(
        ana_roles.capabilities[0].granted_by,
        vec!["shop:clerk".to_owned()]
    );

    let shown = role_usage(&deps, &admin, shop.clerk).await.unwrap();
    assert_eq!((shown.users.len(), shown.groups.len()), (2, 1));
    let deleted = delete_role(&deps, &admin, shop.clerk).await.unwrap();
    assert_eq!(deleted, shown, "the effect shown first is the effect");
    for user in [ana, bea] {
        assert!(
            user_roles(&deps, &admin, user)
                .await
                .unwrap()
                .capabilities
                .is_empty()
        );
        let check = app
            .services
            .authorizer
            .check(user, "orders:read")
            .await
            .unwrap();
        assert!(!check.allowed);
    }
    let rows = audited(&app, "rbac.role_deleted").await;
    let details: serde_json::Value =
        serde_json::from_str(rows[0].details.as_deref().unwrap()).unwrap();
    assert_eq!(
        (details["users"].as_u64(), &details["groups"]),
        (Some(2), &serde_json::json!(["support"]))
    );
    assert!(
        user_roles(&deps, &admin, admin.user_id)
            .await
            .unwrap()
            .direct[0]
            .role
            .name
            == ADMIN_ROLE
    );
    app.stop().await;
}
