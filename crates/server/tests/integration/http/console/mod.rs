//! The console and management API: every declared route's capability enforced for each
//! system role (the authorization matrix), and an administrator's journey through the pages.

mod clients;
mod journey;
mod matrix;
mod objects;

use gatehouse_domain::{
    accounts::{NewAccount, RequestContext, create_user},
    authorization::{Admin, Assignment, Authorization, assign_role},
};
use uuid::Uuid;

use super::account::browser::{PASSWORD, verified_user};
use crate::support::TestApp;

/// The use cases' deps, as the server builds them.
pub fn authorization(app: &TestApp) -> Authorization {
    Authorization {
        store: app.services.store.clone(),
        keyring: app.services.keyring.clone(),
        clock: app.services.clock.clone(),
        authorizer: app.services.authorizer.clone(),
    }
}

/// The id of the user with `email`.
pub async fn user_id(app: &TestApp, email: &str) -> Uuid {
    app.services
        .store
        .users()
        .by_email(email)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// An administrator (bootstrap flag → `gatehouse:admin`) with password [`PASSWORD`].
pub async fn administrator(app: &TestApp, email: &str) -> Uuid {
    let account = NewAccount {
        email: email.to_owned(),
        password: PASSWORD.to_owned(),
        display_name: None,
    };
    create_user(&app.services.accounts, account, true, true)
        .await
        .unwrap()
}

/// A verified user holding the role named `role` (if any), given by `admin`.
pub async fn user_with_role(app: &TestApp, admin: Uuid, email: &str, role: Option<&str>) -> Uuid {
    verified_user(app, email).await;
    let user = user_id(app, email).await;
    if let Some(role) = role {
        let model = app.services.store.rbac().model().await.unwrap();
        let role = model.roles.iter().find(|row| row.name == role).unwrap().id;
        let actor = Admin {
            user_id: admin,
            context: RequestContext::default(),
        };
        let input = Assignment {
            user,
            role,
            expires_at: None,
        };
        assign_role(&authorization(app), &actor, input)
            .await
            .unwrap();
    }
    user
}
