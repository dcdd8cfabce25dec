//! An administrator's journey: a capability and a role made on the console pages, the role
//! given on a user's roles page, and the check API agreeing; a stale role save is refused.

use gatehouse_domain::{
    accounts::RequestContext,
    authorization::{Admin, NewApi, create_api},
};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{administrator, authorization, user_with_role};
use crate::{
    http::account::browser::{Browser, input_value, tags},
    support::TestApp,
};

/// The `value` of the checkbox whose label mentions `name` (the label follows its input).
fn checkbox_for(html: &str, name: &str) -> String {
    let label = html
        .find(&format!(">{name}"))
        .unwrap_or_else(|| panic!("{name}: {html}"));
    let input = tags(&html[..label], "input").into_iter().last().unwrap();
    let value_start = input.find("value=\"").unwrap() + 7;
    input[value_start..value_start + 36].to_owned()
}

#[tokio::test]
async fn an_administrator_defines_a_role_on_the_console_and_the_check_api_honours_it() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, "root@example.com").await;
    let clerk = user_with_role(&app, admin, "clerk@example.com", None).await;
    let actor = Admin {
        user_id: admin,
        context: RequestContext::default(),
    };
    let api = NewApi {
        audience: "https://shop.example.com".to_owned(),
        name: "Shop".to_owned(),
        description: String::new(),
    };
    let shop = create_api(&authorization(&app), &actor, api).await.unwrap();
    let mut root = Browser::new(&app).signed_in("root@example.com").await;

    let fields = [
        ("api", shop.id.to_string()),
        ("name", "orders:refund".to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = root.submit("/console/capabilities", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let list = root.get("/console/capabilities").await;
    assert!(list.body.contains("orders:refund"), "{}", list.body);

    let role = root
        .submit(
            "/console/roles",
            &[("name", "refunds"), ("description", "Refund orders")],
        )
        .await;
    assert_eq!(role.status, StatusCode::SEE_OTHER, "{}", role.body);
    let role_path = role.location().split('?').next().unwrap().to_owned();
    let page = root.get(&role_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let version = input_value(&page.body, "version").unwrap();
    let capability = checkbox_for(&page.body, "orders:refund");
    let save = [
        ("version", version.as_str()),
        ("name", "refunds"),
        ("description", "Refund orders"),
        ("capability", capability.as_str()),
    ];
    let saved = root.submit(&role_path, &save).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let stale = root
        .submit(
            &role_path,
            &[
                ("version", version.as_str()),
                ("name", "refunds"),
                ("description", "Changed"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(
        stale.body.contains("Someone else changed this"),
        "{}",
        stale.body
    );

    let role_id = role_path.rsplit('/').next().unwrap().to_owned();
    let user_page = format!("/console/users/{clerk}/roles");
    let assigned = root
        .submit(
            &user_page,
            &[("role", role_id.as_str()), ("expires_at", "")],
        )
        .await;
    assert_eq!(assigned.status, StatusCode::SEE_OTHER, "{}", assigned.body);
    let shown = root.get(&user_page).await;
    assert!(
        shown.body.contains("orders:refund") && shown.body.contains("refunds"),
        "{}",
        shown.body
    );

    let usage = root.get(&format!("{role_path}/delete")).await;
    assert!(usage.body.contains("clerk@example.com"), "{}", usage.body);

    let token = root.csrf_token().await;
    let request = root
        .request(Method::POST, "/api/v1/authorize")
        .header("x-csrf-token", token)
        .json(&json!({ "subject": clerk, "capability": "orders:refund" }));
    let answer = root.send(request).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["allowed"], true);
    assert_eq!(answer.json()["granted_by"], json!(["refunds"]));
}
