//! Runtime administration: shared steps, and who may read and change the model.

use gatehouse_domain::{
    accounts::{NewAccount, RequestContext, create_user},
    authorization::{
        AUDITOR_ROLE, Admin, Assignment, Authorization, AuthorizationError, NewApi, NewCapability,
        NewRole, RoleUpdate, USER_MANAGER_ROLE, assign_role, create_api, create_capability,
        create_role, list_model, role_usage, update_role, user_roles,
    },
    store::{AuditFilter, AuditRow, RbacModel},
};
use uuid::Uuid;

use crate::{accounts::support::PASSWORD, support::TestApp};

/// The administration deps of `app`.
pub fn deps(app: &TestApp) -> Authorization {
    let services = &app.services;
    Authorization {
        store: services.store.clone(),
        keyring: services.keyring.clone(),
        clock: services.clock.clone(),
        authorizer: services.authorizer.clone(),
    }
}

/// A verified user; with `admin`, holding `gatehouse:admin`.
pub async fn user(app: &TestApp, email: &str, admin: bool) -> Uuid {
    let account = NewAccount {
        email: email.to_owned(),
        password: PASSWORD.to_owned(),
        display_name: None,
    };
    create_user(&app.services.accounts, account, true, admin)
        .await
        .unwrap()
}

/// `user` acting through the console.
pub fn actor(user: Uuid) -> Admin {
    Admin {
        user_id: user,
        context: RequestContext::default(),
    }
}

/// An administrator acting through the console.
pub async fn administrator(app: &TestApp, email: &str) -> Admin {
    actor(user(app, email, true).await)
}

/// The stored model.
pub async fn model(app: &TestApp) -> RbacModel {
    app.services.store.rbac().model().await.unwrap()
}

/// The id of the role named `name`.
pub async fn role_id(app: &TestApp, name: &str) -> Uuid {
    model(app)
        .await
        .roles
        .iter()
        .find(|role| role.name == name)
        .unwrap()
        .id
}

/// The ids of the capabilities of a `shop` API (`orders:read`, `orders:refund`) and a
/// `shop:clerk` role with `orders:read`, made by `admin`.
pub struct Shop {
    /// `orders:read`.
    pub read: Uuid,
    /// `orders:refund`.
    pub refund: Uuid,
    /// `shop:clerk`.
    pub clerk: Uuid,
}

/// Creates the shop API, its capabilities and the clerk role through the use cases.
pub async fn shop(app: &TestApp, admin: &Admin) -> Shop {
    let deps = deps(app);
    let api = create_api(
        &deps,
        admin,
        NewApi {
            audience: "shop".to_owned(),
            name: "Shop".to_owned(),
            description: String::new(),
        },
    )
    .await
    .unwrap();
    let capability = async |name: &str| {
        let input = NewCapability {
            api: api.id,
            name: name.to_owned(),
            description: String::new(),
        };
        create_capability(&deps, admin, input).await.unwrap().id
    };
    let (read, refund) = (
        capability("orders:read").await,
        capability("orders:refund").await,
    );
    let clerk = NewRole {
        name: "shop:clerk".to_owned(),
        capabilities: vec![read],
        ..NewRole::default()
    };
    let clerk = create_role(&deps, admin, clerk).await.unwrap().id;
    Shop {
        read,
        refund,
        clerk,
    }
}

/// The newest audit records with `action`.
pub async fn audited(app: &TestApp, action: &str) -> Vec<AuditRow> {
    let filter = AuditFilter {
        action: Some(action.to_owned()),
        ..AuditFilter::default()
    };
    let page = app.services.store.audit().list(&filter, None, 50);
    page.await.unwrap().rows
}

/// Gives `user` the named system role, as `admin`.
pub async fn give(app: &TestApp, admin: &Admin, user: Uuid, role: &str) {
    let role = role_id(app, role).await;
    let input = Assignment {
        user,
        role,
        expires_at: None,
    };
    assign_role(&deps(app), admin, input).await.unwrap();
}

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

#[tokio::test]
async fn a_user_manager_can_neither_read_nor_change_roles() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, "root@example.com").await;
    let shop = shop(&app, &admin).await;
    let manager = user(&app, "manager@example.com", false).await;
    give(&app, &admin, manager, USER_MANAGER_ROLE).await;
    let (deps, manager) = (deps(&app), actor(manager));
    forbidden(list_model(&deps, &manager).await, "gatehouse:roles.read");
    let rename = RoleUpdate {
        role: shop.clerk,
        expected_version: 1,
        name: "clerk".to_owned(),
        description: String::new(),
    };
    forbidden(
        update_role(&deps, &manager, rename).await,
        "gatehouse:roles.write",
    );
    let own = Assignment {
        user: manager.user_id,
        role: role_id(&app, "gatehouse:admin").await,
        expires_at: None,
    };
    forbidden(
        assign_role(&deps, &manager, own).await,
        "gatehouse:roles.write",
    );
    assert_eq!(model(&app).await.roles.len(), 4, "nothing changed");
    app.stop().await;
}

#[tokio::test]
async fn an_auditor_can_read_the_model_but_not_change_it() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, "root@example.com").await;
    let shop = shop(&app, &admin).await;
    let auditor = user(&app, "auditor@example.com", false).await;
    give(&app, &admin, auditor, AUDITOR_ROLE).await;
    let (deps, auditor) = (deps(&app), actor(auditor));

    let read = list_model(&deps, &auditor).await.unwrap();
    assert!(read.roles.iter().any(|role| role.name == "shop:clerk"));
    let usage = role_usage(&deps, &auditor, shop.clerk).await.unwrap();
    assert!(usage.users.is_empty() && usage.groups.is_empty());
    let roles = user_roles(&deps, &auditor, auditor.user_id).await.unwrap();
    assert_eq!(roles.direct.len(), 1);
    let audit_read = roles
        .capabilities
        .iter()
        .find(|capability| capability.name == "gatehouse:audit.read")
        .unwrap();
    assert_eq!(audit_read.granted_by, vec![AUDITOR_ROLE.to_owned()]);
    assert_eq!(audit_read.audience.as_deref(), Some("gatehouse"));

    let new_role = NewRole {
        name: "shop:viewer".to_owned(),
        ..NewRole::default()
    };
    forbidden(
        create_role(&deps, &auditor, new_role).await,
        "gatehouse:roles.write",
    );
    assert!(
        audited(&app, "rbac.role_created")
            .await
            .iter()
            .all(|row| row.actor_id != Some(auditor.user_id.to_string()))
    );
    app.stop().await;
}
