//! Self-protection: nobody grants a capability they do not hold; the last administrator cannot
//! be removed or demoted, whether they hold the role directly or through a group.

use gatehouse_domain::authorization::{
    ADMIN_ROLE_ID, Admin, Assignment, AuthorizationError, GroupRoles, Membership, NewGroup,
    NewRole, RoleCapabilities, RoleIncludes, Unassignment, add_group_member, assign_role,
    create_group, create_role, delete_group, remove_group_member, set_group_roles,
    set_role_capabilities, set_role_includes, unassign_role,
};
use uuid::Uuid;

use super::manage::{actor, administrator, deps, model, role_id, shop, user};
use crate::support::TestApp;

fn forbidden<T: std::fmt::Debug>(result: Result<T, AuthorizationError>, capability: &str) {
    match result {
        Err(AuthorizationError::Forbidden {
            capability: missing,
        }) => {
            assert_eq!(missing, capability);
        }
        other => panic!("expected Forbidden({capability}), got {other:?}"),
    }
}

fn last_administrator<T: std::fmt::Debug>(result: Result<T, AuthorizationError>) {
    assert!(
        matches!(result, Err(AuthorizationError::LastAdministrator)),
        "{result:?}"
    );
}

/// A user holding `gatehouse:roles.read` and `gatehouse:roles.write` through a custom role.
async fn role_editor(app: &TestApp, admin: &Admin) -> Admin {
    let deps = deps(app);
    let stored = model(app).await;
    let capability = |name: &str| {
        stored
            .capabilities
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .id
    };
    let editor = NewRole {
        name: "rbac-editor".to_owned(),
        description: String::new(),
        capabilities: vec![
            capability("gatehouse:roles.read"),
            capability("gatehouse:roles.write"),
        ],
        includes: vec![],
    };
    let editor = create_role(&deps, admin, editor).await.unwrap();
    let user = user(app, "editor@example.com", false).await;
    let assignment = Assignment {
        user,
        role: editor.id,
        expires_at: None,
    };
    assign_role(&deps, admin, assignment).await.unwrap();
    actor(user)
}

#[tokio::test]
async fn nobody_grants_a_capability_they_do_not_hold() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, "root@example.com").await;
    let shop = shop(&app, &admin).await;
    let editor = role_editor(&app, &admin).await;
    let deps = deps(&app);
    let ana = user(&app, "ana@example.com", false).await;
    let before = model(&app).await;

    let to_ana = |role| Assignment {
        user: ana,
        role,
        expires_at: None,
    };
    forbidden(
        assign_role(&deps, &editor, to_ana(shop.clerk)).await,
        "orders:read",
    );
    let grow = RoleCapabilities {
        role: shop.clerk,
        expected_version: 1,
        capabilities: vec![shop.read, shop.refund],
    };
    forbidden(
        set_role_capabilities(&deps, &editor, grow).await,
        "orders:refund",
    );
    let wrapper = NewRole {
        name: "shop:wrapper".to_owned(),
        includes: vec![shop.clerk],
        ..NewRole::default()
    };
    forbidden(create_role(&deps, &editor, wrapper).await, "orders:read");
    let group = NewGroup {
        name: "support".to_owned(),
        description: String::new(),
        roles: vec![shop.clerk],
    };
    forbidden(create_group(&deps, &editor, group).await, "orders:read");
    let admin_role = to_ana(ADMIN_ROLE_ID);
    assert!(matches!(
        assign_role(&deps, &editor, admin_role).await,
        Err(AuthorizationError::Forbidden { .. })
    ));
    assert_eq!(model(&app).await, before, "nothing changed");

    // What the editor holds, they may pass on; an empty role grants nothing.
    let empty = NewRole {
        name: "shop:empty".to_owned(),
        ..NewRole::default()
    };
    let empty = create_role(&deps, &editor, empty).await.unwrap();
    let includes = RoleIncludes {
        role: empty.id,
        expected_version: 1,
        includes: vec![shop.clerk],
    };
    forbidden(
        set_role_includes(&deps, &editor, includes).await,
        "orders:read",
    );
    let editor_role = role_id(&app, "rbac-editor").await;
    assign_role(&deps, &editor, to_ana(editor_role))
        .await
        .unwrap();

    // Adding a member to a group gives them its roles.
    let group = NewGroup {
        name: "support".to_owned(),
        description: String::new(),
        roles: vec![shop.clerk],
    };
    let group = create_group(&deps, &admin, group).await.unwrap();
    let join = Membership {
        group: group.id,
        user: ana,
    };
    forbidden(add_group_member(&deps, &editor, join).await, "orders:read");
    app.stop().await;
}

#[tokio::test]
async fn the_last_direct_administrator_cannot_be_removed_or_given_an_end() {
    let app = TestApp::spawn().await;
    let root = administrator(&app, "root@example.com").await;
    let deps = deps(&app);
    let demote = |user: Uuid| Unassignment {
        user,
        role: ADMIN_ROLE_ID,
    };
    last_administrator(unassign_role(&deps, &root, demote(root.user_id)).await);
    let ending = Assignment {
        user: root.user_id,
        role: ADMIN_ROLE_ID,
        expires_at: Some(app.services.clock.now() + chrono::Duration::days(1)),
    };
    last_administrator(assign_role(&deps, &root, ending).await);
    let active = app
        .services
        .store
        .rbac()
        .active_holders(ADMIN_ROLE_ID, app.services.clock.now());
    assert_eq!(active.await.unwrap(), vec![root.user_id]);

    let second = user(&app, "second@example.com", false).await;
    let promote = Assignment {
        user: second,
        role: ADMIN_ROLE_ID,
        expires_at: None,
    };
    assign_role(&deps, &root, promote).await.unwrap();
    unassign_role(&deps, &root, demote(root.user_id))
        .await
        .unwrap();
    let second = actor(second);
    last_administrator(unassign_role(&deps, &second, demote(second.user_id)).await);
    app.stop().await;
}

#[tokio::test]
async fn the_last_administrator_through_a_group_is_kept() {
    let app = TestApp::spawn().await;
    let root = administrator(&app, "root@example.com").await;
    let deps = deps(&app);
    let ops = user(&app, "ops@example.com", false).await;
    let admins = NewGroup {
        name: "administrators".to_owned(),
        description: String::new(),
        roles: vec![ADMIN_ROLE_ID],
    };
    let admins = create_group(&deps, &root, admins).await.unwrap();
    let membership = Membership {
        group: admins.id,
        user: ops,
    };
    add_group_member(&deps, &root, membership).await.unwrap();
    let demote_root = Unassignment {
        user: root.user_id,
        role: ADMIN_ROLE_ID,
    };
    unassign_role(&deps, &root, demote_root).await.unwrap();

    let ops = actor(ops);
    let before = model(&app).await;
    last_administrator(remove_group_member(&deps, &ops, membership).await);
    last_administrator(delete_group(&deps, &ops, admins.id).await);
    let strip = GroupRoles {
        group: admins.id,
        expected_version: 1,
        roles: vec![],
    };
    last_administrator(set_group_roles(&deps, &ops, strip.clone()).await);
    assert_eq!(model(&app).await, before);
    let members = app.services.store.rbac().group_members(admins.id).await;
    assert_eq!(members.unwrap(), vec![ops.user_id]);

    let restore = Assignment {
        user: root.user_id,
        role: ADMIN_ROLE_ID,
        expires_at: None,
    };
    assign_role(&deps, &ops, restore).await.unwrap();
    set_group_roles(&deps, &ops, strip).await.unwrap();
    delete_group(&deps, &root, admins.id).await.unwrap();
    app.stop().await;
}
