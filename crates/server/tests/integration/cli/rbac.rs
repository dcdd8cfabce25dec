//! `gatehouse rbac export` and `gatehouse rbac import`.

use super::fresh;

const SHOP: &str = r#"{
  "apis": [{ "audience": "shop", "name": "Shop", "capabilities": [{ "name": "orders:read" }] }],
  "roles": [{ "name": "shop:clerk", "capabilities": ["orders:read"] }]
}"#;

#[tokio::test]
async fn export_imports_unchanged_and_import_is_a_dry_run_unless_applied() {
    let dir = tempfile::tempdir().unwrap();
    let binary = fresh(dir.path()).await;
    binary.run(&["migrate"]);
    let exported = binary.run(&["rbac", "export"]);
    assert_eq!(exported.code(), 0, "{}", exported.stderr());
    let document: serde_json::Value = serde_json::from_str(&exported.stdout()).unwrap();
    assert!(
        document["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|role| role["name"] == "gatehouse:admin"),
        "system roles are part of it"
    );
    let unchanged = binary.run_with_input(&["rbac", "import", "-"], &exported.stdout());
    assert_eq!(
        (unchanged.code(), unchanged.stdout()),
        (0, "no changes\n".to_owned()),
        "{}",
        unchanged.stderr()
    );

    let file = dir.path().join("shop.json");
    std::fs::write(&file, SHOP).unwrap();
    let path = file.to_str().unwrap();
    let dry = binary.run(&["rbac", "import", path]);
    assert_eq!(dry.code(), 0, "{}", dry.stderr());
    assert!(
        dry.stdout().contains("+ role shop:clerk") && dry.stdout().contains("dry run"),
        "{}",
        dry.stdout()
    );
    assert_eq!(
        binary.run(&["rbac", "export"]).stdout(),
        exported.stdout(),
        "a dry run changes nothing"
    );
    let applied = binary.run(&["rbac", "import", path, "--apply"]);
    assert!(
        applied.stdout().contains("applied 3 changes"),
        "{}",
        applied.stdout()
    );

    let yaml = binary.run(&["rbac", "export", "--format", "yaml"]);
    assert!(yaml.stdout().contains("shop:clerk"), "{}", yaml.stdout());
    let again = binary.run_with_input(&["rbac", "import", "-", "--prune"], &yaml.stdout());
    assert_eq!(again.stdout(), "no changes\n", "{}", again.stderr());
    let pruned = binary.run_with_input(&["rbac", "import", "-", "--prune", "--apply"], "{}");
    assert!(
        pruned.stdout().contains("- role shop:clerk"),
        "{}",
        pruned.stdout()
    );
    assert!(
        binary
            .run(&["rbac", "export"])
            .stdout()
            .contains("gatehouse:admin"),
        "system roles stay"
    );
}

#[tokio::test]
async fn a_bad_model_file_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let binary = fresh(dir.path()).await;
    binary.run(&["migrate"]);
    let unknown = binary.run_with_input(
        &["rbac", "import", "-", "--apply"],
        r#"{"roles":[{"name":"x","capabilities":["nope"]}]}"#,
    );
    assert_eq!(unknown.code(), 1);
    assert!(
        unknown.stderr().contains("unknown capability"),
        "{}",
        unknown.stderr()
    );
    let garbage = binary.run_with_input(&["rbac", "import", "-"], r#"{"rolez": []}"#);
    assert_eq!(garbage.code(), 1);
    assert!(
        garbage.stderr().contains("not a model document"),
        "{}",
        garbage.stderr()
    );
    let missing = binary.run(&["rbac", "import", "/nonexistent/file.json"]);
    assert_eq!(missing.code(), 2);
}
