//! Declarative import: dry runs, apply, prune, and refusals.

use gatehouse_domain::authorization::{ModelDocument, import_model};
use serde_json::json;

use crate::support::TestApp;

/// A shop API with two capabilities, a clerk role, a manager role that includes it, a group.
pub fn shop() -> ModelDocument {
    serde_json::from_value(json!({
        "apis": [{ "audience": "shop", "name": "Shop", "capabilities": [
            { "name": "orders:read", "description": "See orders" },
            { "name": "orders:refund", "description": "Refund orders" }
        ]}],
        "roles": [
            { "name": "shop:clerk", "capabilities": ["orders:read"] },
            { "name": "shop:manager", "capabilities": ["orders:refund"], "includes": ["shop:clerk"] }
        ],
        "groups": [{ "name": "support", "roles": ["shop:clerk"] }]
    }))
    .unwrap()
}

async fn import(
    app: &TestApp,
    document: &ModelDocument,
    prune: bool,
    apply: bool,
) -> Result<gatehouse_domain::authorization::ImportPlan, gatehouse_domain::DomainError> {
    let services = &app.services;
    import_model(
        &*services.store,
        &services.keyring,
        services.clock.now(),
        document,
        prune,
        apply,
    )
    .await
}

#[tokio::test]
async fn a_dry_run_lists_the_changes_and_changes_nothing_then_apply_makes_them_once() {
    let app = TestApp::spawn().await;
    let before = app.services.store.rbac().model().await.unwrap();
    let dry = import(&app, &shop(), false, false).await.unwrap();
    assert_eq!(dry.applied_version, None);
    assert!(
        dry.changes.contains(&"+ role shop:manager".to_owned()),
        "{:?}",
        dry.changes
    );
    assert_eq!(dry.changes.len(), 6, "{:?}", dry.changes);
    assert_eq!(app.services.store.rbac().model().await.unwrap(), before);

    let applied = import(&app, &shop(), false, true).await.unwrap();
    assert_eq!(applied.applied_version, Some(before.version + 1));
    let again = import(&app, &shop(), false, true).await.unwrap();
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    let exported = ModelDocument::from_model(&app.services.store.rbac().model().await.unwrap());
    assert!(
        import(&app, &exported, true, false)
            .await
            .unwrap()
            .changes
            .is_empty(),
        "an export imports unchanged"
    );
    app.stop().await;
}

#[tokio::test]
async fn prune_removes_what_the_file_leaves_out_but_never_system_roles() {
    let app = TestApp::spawn().await;
    import(&app, &shop(), false, true).await.unwrap();
    let mut smaller = shop();
    smaller.groups.clear();
    smaller.roles.retain(|role| role.name == "shop:clerk");
    let kept = import(&app, &smaller, false, true).await.unwrap();
    assert!(
        kept.changes.is_empty(),
        "without --prune nothing is removed: {:?}",
        kept.changes
    );
    let pruned = import(&app, &smaller, true, true).await.unwrap();
    assert_eq!(
        pruned.changes,
        vec![
            "- role shop:manager".to_owned(),
            "- group support".to_owned()
        ]
    );
    let model = app.services.store.rbac().model().await.unwrap();
    assert!(
        model
            .roles
            .iter()
            .any(|role| role.name == "gatehouse:admin")
    );
    assert_eq!(
        model
            .capabilities
            .iter()
            .filter(|c| c.name.starts_with("gatehouse:"))
            .count(),
        15
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_documents_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let before = app.services.store.rbac().model().await.unwrap();
    let mut cycle = shop();
    cycle.roles[0].includes.push("shop:manager".to_owned());
    let mut unknown = shop();
    unknown.roles[0]
        .capabilities
        .push("orders:teleport".to_owned());
    let mut system = ModelDocument::from_model(&before);
    system
        .roles
        .iter_mut()
        .find(|role| role.name == "gatehouse:auditor")
        .unwrap()
        .capabilities
        .push("gatehouse:users.write".to_owned());
    for (document, expected) in [
        (cycle, "includes itself"),
        (unknown, "unknown capability"),
        (system, "cannot be changed"),
    ] {
        let error = import(&app, &document, false, true)
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{error}");
    }
    assert_eq!(app.services.store.rbac().model().await.unwrap(), before);
    app.stop().await;
}
