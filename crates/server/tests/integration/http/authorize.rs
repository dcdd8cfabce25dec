//! `POST /api/v1/authorize`: allow or deny, with the roles that granted it.

use gatehouse_domain::accounts::{NewAccount, create_user};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use super::account::browser::{Browser, PASSWORD, Reply, verified_user};
use crate::support::TestApp;

async fn ask(browser: &mut Browser<'_>, body: Value) -> Reply {
    let token = browser.csrf_token().await;
    let request = browser
        .request(Method::POST, "/api/v1/authorize")
        .header("x-csrf-token", token)
        .json(&body);
    browser.send(request).await
}

async fn user_id(app: &TestApp, email: &str) -> Uuid {
    app.services
        .store
        .users()
        .by_email(email)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn the_check_api_answers_with_the_granting_roles_and_guards_other_subjects() {
    let app = TestApp::spawn().await;
    let account = NewAccount {
        email: "root@example.com".to_owned(),
        password: PASSWORD.to_owned(),
        display_name: None,
    };
    let admin = create_user(&app.services.accounts, account, true, true)
        .await
        .unwrap();
    verified_user(&app, "plain@example.com").await;
    let plain = user_id(&app, "plain@example.com").await;

    let mut root = Browser::new(&app).signed_in("root@example.com").await;
    let own = ask(
        &mut root,
        json!({ "subject": admin, "capability": "gatehouse:users.read" }),
    )
    .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert_eq!(own.json()["allowed"], true);
    assert_eq!(own.json()["granted_by"], json!(["gatehouse:admin"]));
    let other = ask(
        &mut root,
        json!({ "subject": plain, "capabilities": ["gatehouse:users.read", "shop:orders.refund"] }),
    )
    .await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.body);
    let results = other.json()["results"].clone();
    assert_eq!(results[0]["allowed"], false);
    assert_eq!(results[1]["capability"], "shop:orders.refund");

    let mut user = Browser::new(&app).signed_in("plain@example.com").await;
    let itself = ask(
        &mut user,
        json!({ "subject": plain, "capability": "gatehouse:users.read" }),
    )
    .await;
    assert_eq!(
        (itself.status, itself.json()["allowed"].clone()),
        (StatusCode::OK, json!(false))
    );
    let nosy = ask(
        &mut user,
        json!({ "subject": admin, "capability": "gatehouse:users.read" }),
    )
    .await;
    assert_eq!(nosy.status, StatusCode::FORBIDDEN, "{}", nosy.body);
    let empty = ask(&mut user, json!({ "subject": plain, "capabilities": [] })).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let no_csrf = user
        .send(
            user.request(Method::POST, "/api/v1/authorize")
                .json(&json!({ "subject": plain, "capability": "x" })),
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let mut stranger = Browser::new(&app);
    let anonymous = ask(
        &mut stranger,
        json!({ "subject": plain, "capability": "x" }),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn a_role_given_on_one_node_is_enforced_by_another_node_within_a_second() {
    let first = TestApp::spawn().await;
    // Before the second node starts: its job runner could otherwise deliver the verification
    // mail to its own SMTP listener.
    verified_user(&first, "node@example.com").await;
    let Some(second) = first.second_node().await else {
        first.stop().await;
        return; // two nodes need PostgreSQL
    };
    let user = user_id(&first, "node@example.com").await;
    let mut browser = Browser::new(&second).signed_in("node@example.com").await;
    let question = json!({ "subject": user, "capability": "gatehouse:audit.read" });
    assert_eq!(
        ask(&mut browser, question.clone()).await.json()["allowed"],
        false
    );

    let services = &first.services;
    let mut transaction = services.store.begin().await.unwrap();
    transaction.lock_rbac().await.unwrap();
    let auditor = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0203);
    transaction
        .assign_role(
            user,
            auditor,
            None,
            gatehouse_domain::Clock::now(&*services.clock),
        )
        .await
        .unwrap();
    transaction.bump_rbac_version().await.unwrap();
    transaction.commit().await.unwrap();

    let started = std::time::Instant::now();
    loop {
        let reply = ask(&mut browser, question.clone()).await;
        if reply.json()["allowed"] == true {
            assert_eq!(reply.json()["granted_by"], json!(["gatehouse:auditor"]));
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "the other node still denies after 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    second.stop().await;
    first.stop().await;
}
