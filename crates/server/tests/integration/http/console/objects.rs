//! APIs, capabilities and groups administered on the console pages: created, renamed and
//! deleted through the forms; each deletion's effect shown before it is confirmed; the system
//! API and capabilities refused with a clear message and nothing changed; a stale group edit
//! refused; and an auditor (read-only) refused every change.

use gatehouse_domain::{
    accounts::RequestContext,
    authorization::{
        ADMIN_ROLE_ID, AUDITOR_ROLE, Admin, GATEHOUSE_API, Membership, NewApi, NewCapability,
        NewGroup, NewRole, Unassignment, add_group_member, create_api, create_capability,
        create_group, create_role, unassign_role,
    },
    store::RbacModel,
};
use reqwest::StatusCode;
use uuid::Uuid;

use super::{administrator, authorization, user_id, user_with_role};
use crate::{
    http::account::browser::{Browser, Reply, attribute, audit, input_value, tags},
    support::TestApp,
};

const ROOT: &str = "root@example.com";

fn actor(user: Uuid) -> Admin {
    Admin {
        user_id: user,
        context: RequestContext::default(),
    }
}

async fn model(app: &TestApp) -> RbacModel {
    app.services.store.rbac().model().await.unwrap()
}

/// An API `https://shop.example.com` with `orders:refund`, the role `refunds` holding it and
/// the role `support` including `refunds`.
struct Shop {
    api: Uuid,
    refund: Uuid,
    refunds: Uuid,
    support: Uuid,
}

async fn shop(app: &TestApp, admin: Uuid) -> Shop {
    let deps = authorization(app);
    let admin = actor(admin);
    let api = NewApi {
        audience: "https://shop.example.com".to_owned(),
        name: "Shop".to_owned(),
        description: "The web shop".to_owned(),
    };
    let api = create_api(&deps, &admin, api).await.unwrap().id;
    let capability = NewCapability {
        api,
        name: "orders:refund".to_owned(),
        description: "Refund an order".to_owned(),
    };
    let refund = create_capability(&deps, &admin, capability)
        .await
        .unwrap()
        .id;
    let role = NewRole {
        name: "refunds".to_owned(),
        capabilities: vec![refund],
        ..NewRole::default()
    };
    let refunds = create_role(&deps, &admin, role).await.unwrap().id;
    let role = NewRole {
        name: "support".to_owned(),
        includes: vec![refunds],
        ..NewRole::default()
    };
    let support = create_role(&deps, &admin, role).await.unwrap().id;
    Shop {
        api,
        refund,
        refunds,
        support,
    }
}

/// The path of a redirect's target, without its query.
fn target(reply: &Reply) -> String {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    reply.location().split('?').next().unwrap().to_owned()
}

/// Asserts a console page: its status, markup a strict CSP allows, a label for every visible
/// field, a CSRF token in every form that posts, and the navigation to the APIs.
fn assert_page(what: &str, reply: &Reply, status: StatusCode) {
    assert_eq!(reply.status, status, "{what}: {}", reply.body);
    let html = &reply.body;
    assert!(html.starts_with("<!DOCTYPE html>"), "{what} is not a page");
    for script in tags(html, "script") {
        assert!(attribute(script, "src").is_some(), "{what}: {script}");
    }
    assert!(tags(html, "style").is_empty(), "{what}: a <style> element");
    assert!(!html.contains("style="), "{what}: a style attribute");
    for field in [tags(html, "input"), tags(html, "select")].concat() {
        let kind = attribute(field, "type").unwrap_or_else(|| "text".to_owned());
        if kind == "hidden" {
            continue;
        }
        let id = attribute(field, "id").unwrap_or_else(|| panic!("{what}: no id on {field}"));
        let labels = tags(html, "label")
            .into_iter()
            .filter(|label| attribute(label, "for").as_deref() == Some(id.as_str()))
            .count();
        assert_eq!(labels, 1, "{what}: {labels} labels for #{id}");
        assert_eq!(
            html.matches(&format!(" id=\"{id}\"")).count(),
            1,
            "{what}: #{id}"
        );
    }
    for form in html.split("<form").skip(1) {
        let form = &form[..form.find("</form>").unwrap()];
        if form.contains("method=\"post\"") {
            assert!(form.contains("name=\"csrf_token\""), "{what}: {form}");
        }
    }
    assert!(
        html.contains("href=\"/console/apis\""),
        "{what}: no nav link"
    );
}

/// Asserts the form's error summary links to `field`.
fn assert_error_on(reply: &Reply, field: &str) {
    assert!(
        reply.body.contains("class=\"error-summary\""),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains(&format!("href=\"#{field}\"")),
        "no error on {field}: {}",
        reply.body
    );
}

#[tokio::test]
async fn an_api_is_created_renamed_and_deleted_on_the_console() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, ROOT).await;
    let mut root = Browser::new(&app).signed_in(ROOT).await;

    let list = root.get("/console/apis").await;
    assert_page("APIs", &list, StatusCode::OK);
    assert!(
        list.body.contains("<code>gatehouse</code>"),
        "{}",
        list.body
    );

    let fields = [
        ("audience", "https://shop.example.com/ api"),
        ("name", "Shop"),
        ("description", "The web shop"),
    ];
    let refused = root.submit("/console/apis", &fields).await;
    assert_page("bad audience", &refused, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error_on(&refused, "audience");
    assert_eq!(input_value(&refused.body, "name").as_deref(), Some("Shop"));

    let fields = [
        ("audience", "https://shop.example.com"),
        ("name", "Shop"),
        ("description", "The web shop"),
    ];
    let created = root.submit("/console/apis", &fields).await;
    let api_path = target(&created);
    assert!(created.location().ends_with("?done=api_created"));
    let page = root.get(created.location()).await;
    assert_page("API", &page, StatusCode::OK);
    assert!(
        page.body.contains("The API has been created"),
        "{}",
        page.body
    );
    assert!(page.body.contains("https://shop.example.com"));
    assert!(page.body.contains("The audience cannot be changed"));
    assert_eq!(input_value(&page.body, "name").as_deref(), Some("Shop"));

    let taken = [
        ("audience", "HTTPS://SHOP.example.com"),
        ("name", "Another shop"),
    ];
    let taken = root.submit("/console/apis", &taken).await;
    assert_page("taken audience", &taken, StatusCode::CONFLICT);
    assert_error_on(&taken, "audience");

    let list = root.get("/console/apis").await;
    assert!(
        list.body.contains("<code>https://shop.example.com</code>")
            && list.body.contains("The web shop"),
        "{}",
        list.body
    );
    assert!(list.body.contains(&format!("href=\"{api_path}\"")));
    assert!(list.body.contains(&format!("href=\"{api_path}/delete\"")));

    let renamed = [("name", "Web shop"), ("description", "Orders and refunds")];
    let renamed = root.submit(&api_path, &renamed).await;
    assert_eq!(target(&renamed), api_path);
    let page = root.get(renamed.location()).await;
    assert!(
        page.body.contains("The API has been saved"),
        "{}",
        page.body
    );
    assert_eq!(input_value(&page.body, "name").as_deref(), Some("Web shop"));
    let empty = root
        .submit(&api_path, &[("name", " "), ("description", "")])
        .await;
    assert_page("empty name", &empty, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error_on(&empty, "name");
    let stored = model(&app).await;
    let api = stored
        .apis
        .iter()
        .find(|row| row.audience == "https://shop.example.com")
        .unwrap();
    assert_eq!(
        (api.name.as_str(), api.description.as_str()),
        ("Web shop", "Orders and refunds")
    );
    let api_id = api.id;

    let capability = [
        ("api", api_id.to_string()),
        ("name", "orders:refund".to_owned()),
    ];
    let capability: Vec<(&str, &str)> = capability.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let made = root.submit("/console/capabilities", &capability).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let refund = model(&app)
        .await
        .capabilities
        .iter()
        .find(|row| row.name == "orders:refund")
        .unwrap()
        .id;
    let deps = authorization(&app);
    let role = NewRole {
        name: "refunds".to_owned(),
        capabilities: vec![refund],
        ..NewRole::default()
    };
    let refunds = create_role(&deps, &actor(admin), role).await.unwrap().id;
    let role = NewRole {
        name: "support".to_owned(),
        includes: vec![refunds],
        ..NewRole::default()
    };
    create_role(&deps, &actor(admin), role).await.unwrap();
    let page = root.get(&api_path).await;
    assert!(
        page.body
            .contains(&format!("href=\"/console/capabilities/{refund}\"")),
        "{}",
        page.body
    );

    let confirm = root.get(&format!("{api_path}/delete")).await;
    assert_page("API deletion", &confirm, StatusCode::OK);
    for shown in [
        "orders:refund",
        "Capabilities deleted with it (1)",
        "Roles that lose capabilities (2)",
        &format!("href=\"/console/roles/{refunds}\">refunds</a></li>"),
        "support</a> (through an included role)",
        &format!("action=\"{api_path}/delete\""),
    ] {
        assert!(confirm.body.contains(shown), "{shown}: {}", confirm.body);
    }
    assert!(model(&app).await.apis.iter().any(|row| row.id == api_id));

    let deleted = root.submit(&format!("{api_path}/delete"), &[]).await;
    assert_eq!(target(&deleted), "/console/apis");
    let list = root.get(deleted.location()).await;
    assert!(
        list.body
            .contains("The API and its capabilities have been deleted")
    );
    assert!(
        !list.body.contains("<code>https://shop.example.com</code>"),
        "{}",
        list.body
    );
    let stored = model(&app).await;
    assert!(!stored.apis.iter().any(|row| row.id == api_id));
    assert!(!stored.capabilities.iter().any(|row| row.id == refund));
    assert!(
        stored.roles.iter().any(|row| row.id == refunds),
        "roles stay"
    );
    assert!(
        !stored
            .role_capabilities
            .iter()
            .any(|(role, _)| *role == refunds)
    );
    assert_eq!(audit(&app, "rbac.api_deleted").await.len(), 1);
    assert_eq!(root.get(&api_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        root.submit(&format!("{api_path}/delete"), &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_capability_is_renamed_and_deleted_on_the_console() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, ROOT).await;
    let shop = shop(&app, admin).await;
    let mut root = Browser::new(&app).signed_in(ROOT).await;
    let path = format!("/console/capabilities/{}", shop.refund);

    let list = root.get("/console/capabilities").await;
    assert_page("capabilities", &list, StatusCode::OK);
    for link in [
        format!("href=\"{path}\""),
        format!("href=\"{path}/delete\""),
        format!("href=\"/console/apis/{}\"", shop.api),
    ] {
        assert!(list.body.contains(&link), "{link}: {}", list.body);
    }

    let page = root.get(&path).await;
    assert_page("capability", &page, StatusCode::OK);
    assert_eq!(
        input_value(&page.body, "name").as_deref(),
        Some("orders:refund")
    );
    assert!(
        page.body.contains("Roles that have it (1)"),
        "{}",
        page.body
    );

    let renamed = [
        ("name", "orders:refund-any"),
        ("description", "Refund any order"),
    ];
    let renamed = root.submit(&path, &renamed).await;
    assert_eq!(target(&renamed), path);
    let page = root.get(renamed.location()).await;
    assert!(
        page.body.contains("The capability has been saved"),
        "{}",
        page.body
    );
    assert_eq!(
        input_value(&page.body, "name").as_deref(),
        Some("orders:refund-any")
    );

    for bad in ["Orders", "gatehouse:orders.refund"] {
        let refused = root
            .submit(&path, &[("name", bad), ("description", "")])
            .await;
        assert_page(bad, &refused, StatusCode::UNPROCESSABLE_ENTITY);
        assert_error_on(&refused, "name");
        assert_eq!(input_value(&refused.body, "name").as_deref(), Some(bad));
    }
    let stored = model(&app).await;
    let row = stored
        .capabilities
        .iter()
        .find(|row| row.id == shop.refund)
        .unwrap();
    assert_eq!(
        (row.name.as_str(), row.description.as_str()),
        ("orders:refund-any", "Refund any order")
    );
    assert!(
        stored
            .role_capabilities
            .contains(&(shop.refunds, shop.refund)),
        "roles keep a renamed capability"
    );

    let confirm = root.get(&format!("{path}/delete")).await;
    assert_page("capability deletion", &confirm, StatusCode::OK);
    let direct = confirm.body.find("Roles that have it (1)").unwrap();
    let included = confirm
        .body
        .find("Roles that get it through an included role (1)")
        .unwrap();
    let refunds = confirm
        .body
        .find(&format!("href=\"/console/roles/{}\"", shop.refunds))
        .unwrap();
    let support = confirm
        .body
        .find(&format!("href=\"/console/roles/{}\"", shop.support))
        .unwrap();
    assert!(direct < refunds && refunds < included && included < support);
    assert!(confirm.body.contains(&format!("action=\"{path}/delete\"")));

    let deleted = root.submit(&format!("{path}/delete"), &[]).await;
    assert_eq!(target(&deleted), "/console/capabilities");
    let list = root.get(deleted.location()).await;
    assert!(list.body.contains("The capability has been deleted"));
    assert!(!list.body.contains("orders:refund-any"), "{}", list.body);
    let stored = model(&app).await;
    assert!(!stored.capabilities.iter().any(|row| row.id == shop.refund));
    assert!(
        !stored
            .role_capabilities
            .iter()
            .any(|(role, _)| *role == shop.refunds)
    );
    assert_eq!(audit(&app, "rbac.capability_deleted").await.len(), 1);
}

#[tokio::test]
async fn a_group_is_renamed_and_deleted_on_the_console_and_a_stale_edit_is_refused() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, ROOT).await;
    let member = user_with_role(&app, admin, "member@example.com", None).await;
    let role = NewRole {
        name: "helpdesk".to_owned(),
        ..NewRole::default()
    };
    let helpdesk = create_role(&authorization(&app), &actor(admin), role)
        .await
        .unwrap()
        .id;
    let mut root = Browser::new(&app).signed_in(ROOT).await;

    let created = root
        .submit(
            "/console/groups",
            &[("name", "Support"), ("description", "")],
        )
        .await;
    let path = target(&created);
    let helpdesk_id = helpdesk.to_string();
    let given = root
        .submit(
            &format!("{path}/roles"),
            &[("version", "1"), ("role", helpdesk_id.as_str())],
        )
        .await;
    assert_eq!(given.status, StatusCode::SEE_OTHER, "{}", given.body);
    let added = root
        .submit(
            &format!("{path}/members"),
            &[("email", "member@example.com")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);

    let page = root.get(&path).await;
    assert_page("group", &page, StatusCode::OK);
    assert_eq!(input_value(&page.body, "version").as_deref(), Some("2"));
    assert_eq!(input_value(&page.body, "name").as_deref(), Some("Support"));
    assert!(page.body.contains(&format!("href=\"{path}/delete\"")));

    let renamed = [
        ("version", "2"),
        ("name", "Customer support"),
        ("description", "First line"),
    ];
    let renamed = root.submit(&path, &renamed).await;
    assert_eq!(target(&renamed), path);
    let page = root.get(renamed.location()).await;
    assert!(
        page.body.contains("The group has been saved"),
        "{}",
        page.body
    );
    assert_eq!(input_value(&page.body, "version").as_deref(), Some("3"));

    let stale = [
        ("version", "2"),
        ("name", "Someone else's name"),
        ("description", ""),
    ];
    let stale = root.submit(&path, &stale).await;
    assert_page("stale group edit", &stale, StatusCode::CONFLICT);
    assert!(
        stale.body.contains("Someone else changed this") && stale.body.contains("version 3"),
        "{}",
        stale.body
    );
    assert_eq!(
        input_value(&stale.body, "name").as_deref(),
        Some("Customer support"),
        "the form shows the current state"
    );
    let empty = root
        .submit(
            &path,
            &[("version", "3"), ("name", ""), ("description", "")],
        )
        .await;
    assert_page("empty group name", &empty, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error_on(&empty, "name");
    let stored = model(&app).await;
    let group = stored
        .groups
        .iter()
        .find(|row| row.name == "Customer support");
    let group = group.expect("the stale and empty edits changed nothing");
    assert_eq!(
        (group.description.as_str(), group.version),
        ("First line", 3)
    );
    let group_id = group.id;

    let list = root.get("/console/groups").await;
    assert_page("groups", &list, StatusCode::OK);
    assert!(list.body.contains(&format!("href=\"{path}/delete\"")));

    let confirm = root.get(&format!("{path}/delete")).await;
    assert_page("group deletion", &confirm, StatusCode::OK);
    for shown in [
        "Members who lose its roles (1)",
        "member@example.com",
        "Roles it gives (1)",
        "helpdesk",
        &format!("action=\"{path}/delete\""),
    ] {
        assert!(confirm.body.contains(shown), "{shown}: {}", confirm.body);
    }

    let deleted = root.submit(&format!("{path}/delete"), &[]).await;
    assert_eq!(target(&deleted), "/console/groups");
    let list = root.get(deleted.location()).await;
    assert!(list.body.contains("The group has been deleted"));
    assert!(!list.body.contains("Customer support"), "{}", list.body);
    let stored = model(&app).await;
    assert!(!stored.groups.iter().any(|row| row.id == group_id));
    assert!(
        stored.roles.iter().any(|row| row.id == helpdesk),
        "roles stay"
    );
    let assignments = app
        .services
        .store
        .rbac()
        .user_assignments(member)
        .await
        .unwrap();
    assert!(assignments.groups.is_empty());
    assert_eq!(audit(&app, "rbac.group_deleted").await.len(), 1);
}

#[tokio::test]
async fn the_group_keeping_the_last_administrator_is_not_deleted() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, ROOT).await;
    let deps = authorization(&app);
    let group = NewGroup {
        name: "Administrators".to_owned(),
        roles: vec![ADMIN_ROLE_ID],
        ..NewGroup::default()
    };
    let group = create_group(&deps, &actor(admin), group).await.unwrap().id;
    let membership = Membership { group, user: admin };
    add_group_member(&deps, &actor(admin), membership)
        .await
        .unwrap();
    let direct = Unassignment {
        user: admin,
        role: ADMIN_ROLE_ID,
    };
    unassign_role(&deps, &actor(admin), direct).await.unwrap();
    let mut root = Browser::new(&app).signed_in(ROOT).await;

    let path = format!("/console/groups/{group}/delete");
    let confirm = root.get(&path).await;
    assert_page("group deletion", &confirm, StatusCode::OK);
    assert!(confirm.body.contains(ROOT) && confirm.body.contains("gatehouse:admin"));
    let refused = root.submit(&path, &[]).await;
    assert_page("last administrator", &refused, StatusCode::CONFLICT);
    assert!(
        refused.body.contains("This would leave no administrator"),
        "{}",
        refused.body
    );
    assert!(model(&app).await.groups.iter().any(|row| row.id == group));
}

#[tokio::test]
async fn the_system_api_and_capabilities_cannot_be_changed_or_deleted() {
    let app = TestApp::spawn().await;
    administrator(&app, ROOT).await;
    let before = model(&app).await;
    let system = before
        .apis
        .iter()
        .find(|row| row.audience == GATEHOUSE_API)
        .unwrap();
    assert!(system.system);
    let mut root = Browser::new(&app).signed_in(ROOT).await;

    let api_path = format!("/console/apis/{}", system.id);
    let page = root.get(&api_path).await;
    assert_page("system API", &page, StatusCode::OK);
    assert!(
        page.body.contains("This API is part of Gatehouse"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(&format!("action=\"{api_path}\"")));
    assert!(!page.body.contains(&format!("href=\"{api_path}/delete\"")));
    let confirm = root.get(&format!("{api_path}/delete")).await;
    assert_page("system API deletion", &confirm, StatusCode::OK);
    assert!(confirm.body.contains("gatehouse:roles.write"));
    assert!(
        !confirm
            .body
            .contains(&format!("action=\"{api_path}/delete\""))
    );

    let renamed = root
        .submit(&api_path, &[("name", "Mine"), ("description", "")])
        .await;
    assert_page("system API rename", &renamed, StatusCode::FORBIDDEN);
    assert!(
        renamed
            .body
            .contains("gatehouse is part of Gatehouse and cannot be changed"),
        "{}",
        renamed.body
    );
    let deleted = root.submit(&format!("{api_path}/delete"), &[]).await;
    assert_page("system API delete", &deleted, StatusCode::FORBIDDEN);
    assert!(
        deleted
            .body
            .contains("gatehouse is part of Gatehouse and cannot be changed"),
        "{}",
        deleted.body
    );

    let capability = before
        .capabilities
        .iter()
        .find(|row| row.name == "gatehouse:roles.read")
        .unwrap();
    let path = format!("/console/capabilities/{}", capability.id);
    let page = root.get(&path).await;
    assert_page("system capability", &page, StatusCode::OK);
    assert!(page.body.contains("This capability is part of Gatehouse"));
    assert!(!page.body.contains(&format!("href=\"{path}/delete\"")));
    let renamed = root
        .submit(&path, &[("name", "mine:read"), ("description", "")])
        .await;
    assert_page("system capability rename", &renamed, StatusCode::FORBIDDEN);
    assert!(
        renamed
            .body
            .contains("gatehouse:roles.read is part of Gatehouse and cannot be changed"),
        "{}",
        renamed.body
    );
    let deleted = root.submit(&format!("{path}/delete"), &[]).await;
    assert_page("system capability delete", &deleted, StatusCode::FORBIDDEN);
    assert!(
        deleted
            .body
            .contains("gatehouse:roles.read is part of Gatehouse")
    );

    assert_eq!(model(&app).await, before, "nothing changed");
    for action in [
        "rbac.api_updated",
        "rbac.api_deleted",
        "rbac.capability_updated",
        "rbac.capability_deleted",
    ] {
        assert!(audit(&app, action).await.is_empty(), "{action}");
    }
}

#[tokio::test]
async fn an_auditor_reads_the_pages_but_every_change_is_forbidden() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, ROOT).await;
    let shop = shop(&app, admin).await;
    let group = NewGroup {
        name: "Support".to_owned(),
        roles: vec![shop.support],
        ..NewGroup::default()
    };
    let group = create_group(&authorization(&app), &actor(admin), group)
        .await
        .unwrap()
        .id;
    user_with_role(&app, admin, "auditor@example.com", Some(AUDITOR_ROLE)).await;
    let before = model(&app).await;
    let mut auditor = Browser::new(&app).signed_in("auditor@example.com").await;

    let api = format!("/console/apis/{}", shop.api);
    let capability = format!("/console/capabilities/{}", shop.refund);
    let group = format!("/console/groups/{group}");
    for path in [
        "/console/apis".to_owned(),
        api.clone(),
        format!("{api}/delete"),
        capability.clone(),
        format!("{capability}/delete"),
        group.clone(),
        format!("{group}/delete"),
    ] {
        assert_page(&path, &auditor.get(&path).await, StatusCode::OK);
    }
    let rename = [("name", "Renamed"), ("description", "")];
    let attempts: [(String, &[(&str, &str)]); 7] = [
        (
            "/console/apis".to_owned(),
            &[("audience", "https://other.example.com"), ("name", "Other")],
        ),
        (api.clone(), &rename),
        (format!("{api}/delete"), &[]),
        (capability.clone(), &[("name", "orders:renamed")]),
        (format!("{capability}/delete"), &[]),
        (
            group.clone(),
            &[("version", "1"), ("name", "Renamed"), ("description", "")],
        ),
        (format!("{group}/delete"), &[]),
    ];
    for (path, fields) in attempts {
        let reply = auditor.submit(&path, fields).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "POST {path}: {}",
            reply.body
        );
    }
    assert_eq!(model(&app).await, before, "nothing changed");
    let denied = audit(&app, "authorization.denied").await;
    assert_eq!(denied.len(), 7);
    let auditor_id = user_id(&app, "auditor@example.com").await.to_string();
    assert!(
        denied
            .iter()
            .all(|row| row.actor_id.as_deref() == Some(auditor_id.as_str()))
    );
}
