//! Runtime administration of APIs, capabilities, groups and assignments: renames, cascades,
//! stale group edits, and bad input.

use gatehouse_domain::authorization::{
    ApiUpdate, Assignment, AuthorizationError, GroupRoles, GroupUpdate, Membership, NewGroup,
    Unassignment, add_group_member, assign_role, create_group, delete_api, delete_capability,
    remove_group_member, set_group_roles, unassign_role, update_api, update_group, user_roles,
};

use super::manage::{administrator, audited, deps, model, shop, user};
use crate::support::TestApp;

#[tokio::test]
async fn deleting_capabilities_and_apis_takes_them_out_of_roles() {
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
    let renamed = ApiUpdate {
        api,
        name: "Web shop".to_owned(),
        description: "Orders and refunds".to_owned(),
    };
    let renamed = update_api(&deps, &admin, renamed).await.unwrap();
    assert_eq!(
        (renamed.audience.as_str(), renamed.name.as_str()),
        ("shop", "Web shop")
    );
    let rows = audited(&app, "rbac.api_updated").await;
    let details: serde_json::Value =
        serde_json::from_str(rows[0].details.as_deref().unwrap()).unwrap();
    assert_eq!(
        (
            details["before"]["name"].as_str(),
            details["after"]["name"].as_str()
        ),
        (Some("Shop"), Some("Web shop"))
    );

    delete_capability(&deps, &admin, shop.refund).await.unwrap();
    assert!(
        !model(&app)
            .await
            .capabilities
            .iter()
            .any(|c| c.id == shop.refund)
    );
    delete_api(&deps, &admin, api).await.unwrap();
    let after = model(&app).await;
    assert!(after.apis.iter().all(|row| row.id != api));
    assert!(
        after
            .role_capabilities
            .iter()
            .all(|(_, capability)| *capability != shop.read)
    );
    let missing = delete_api(&deps, &admin, api).await;
    assert!(matches!(
        missing,
        Err(AuthorizationError::NotFound { kind: "api", .. })
    ));
    app.stop().await;
}

#[tokio::test]
async fn groups_take_members_once_and_refuse_stale_edits() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, "root@example.com").await;
    let shop = shop(&app, &admin).await;
    let deps = deps(&app);
    let ana = user(&app, "ana@example.com", false).await;
    let group = NewGroup {
        name: "support".to_owned(),
        ..NewGroup::default()
    };
    let group = create_group(&deps, &admin, group).await.unwrap();
    let duplicate = NewGroup {
        name: "Support".to_owned(),
        ..NewGroup::default()
    };
    let result = create_group(&deps, &admin, duplicate).await;
    assert!(matches!(
        result,
        Err(AuthorizationError::AlreadyExists { kind: "group", .. })
    ));
    let membership = Membership {
        group: group.id,
        user: ana,
    };
    assert!(add_group_member(&deps, &admin, membership).await.unwrap());
    assert!(
        !add_group_member(&deps, &admin, membership).await.unwrap(),
        "already a member"
    );

    let roles = GroupRoles {
        group: group.id,
        expected_version: 1,
        roles: vec![shop.clerk],
    };
    assert_eq!(
        set_group_roles(&deps, &admin, roles).await.unwrap().version,
        2
    );
    assert_eq!(
        user_roles(&deps, &admin, ana).await.unwrap().capabilities[0].name,
        "orders:read"
    );
    let stale = GroupUpdate {
        group: group.id,
        expected_version: 1,
        name: "helpdesk".to_owned(),
        description: String::new(),
    };
    let result = update_group(&deps, &admin, stale).await;
    assert!(matches!(
        result,
        Err(AuthorizationError::Conflict {
            kind: "group",
            expected: 1,
            actual: 2,
            ..
        })
    ));

    remove_group_member(&deps, &admin, membership)
        .await
        .unwrap();
    let again = remove_group_member(&deps, &admin, membership).await;
    assert!(matches!(
        again,
        Err(AuthorizationError::NotFound {
            kind: "group member",
            ..
        })
    ));
    assert!(
        user_roles(&deps, &admin, ana)
            .await
            .unwrap()
            .capabilities
            .is_empty()
    );
    app.stop().await;
}

#[tokio::test]
async fn assignments_expire_in_the_future_and_only_held_roles_are_taken_away() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, "root@example.com").await;
    let shop = shop(&app, &admin).await;
    let deps = deps(&app);
    let ana = user(&app, "ana@example.com", false).await;
    let now = app.services.clock.now();
    let past = Assignment {
        user: ana,
        role: shop.clerk,
        expires_at: Some(now),
    };
    let result = assign_role(&deps, &admin, past).await;
    assert!(matches!(
        result,
        Err(AuthorizationError::Invalid {
            field: "expires_at",
            ..
        })
    ));
    let taken = Unassignment {
        user: ana,
        role: shop.clerk,
    };
    let result = unassign_role(&deps, &admin, taken).await;
    assert!(matches!(
        result,
        Err(AuthorizationError::NotFound {
            kind: "role assignment",
            ..
        })
    ));
    let nobody = Assignment {
        user: uuid::Uuid::now_v7(),
        role: shop.clerk,
        expires_at: None,
    };
    let result = assign_role(&deps, &admin, nobody).await;
    assert!(matches!(
        result,
        Err(AuthorizationError::NotFound { kind: "user", .. })
    ));

    let hour = Assignment {
        user: ana,
        role: shop.clerk,
        expires_at: Some(now + chrono::Duration::hours(1)),
    };
    assign_role(&deps, &admin, hour).await.unwrap();
    let held = user_roles(&deps, &admin, ana).await.unwrap();
    assert_eq!(
        (held.direct[0].expires_at, held.direct[0].active),
        (hour.expires_at, true)
    );
    app.clock.advance(chrono::Duration::hours(2));
    let held = user_roles(&deps, &admin, ana).await.unwrap();
    assert!(!held.direct[0].active && held.capabilities.is_empty());
    unassign_role(&deps, &admin, taken).await.unwrap();
    assert!(
        user_roles(&deps, &admin, ana)
            .await
            .unwrap()
            .direct
            .is_empty()
    );
    assert_eq!(audited(&app, "rbac.role_unassigned").await.len(), 1);
    app.stop().await;
}
