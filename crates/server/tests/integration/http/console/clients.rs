//! OAuth clients and signing keys administered on the console pages: a client registered
//! through the form shows its secret once; a stale edit is refused and changes nothing; a
//! rotated secret replaces the old one at the token endpoint; a logo is uploaded (only real
//! images), served and removed; a deletion is confirmed first; the keys page lists the keys
//! and rotation adds the next ones; and read-only administrators are refused every change.

use gatehouse_domain::{
    accounts::RequestContext,
    authorization::{AUDITOR_ROLE, Admin, NewRole, create_role},
    oauth::{ClientSpec, Operator, get_client},
};
use reqwest::{Method, StatusCode, header};
use uuid::Uuid;

use super::{administrator, authorization, user_with_role};
use crate::{
    http::{
        account::browser::{Browser, Reply, audit, input_value},
        oauth::support::{REDIRECT, TestClient, register, token},
    },
    support::TestApp,
};

const ROOT: &str = "root@example.com";
/// The start of a PNG file (the use case reads the type from these bytes).
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
const BOUNDARY: &str = "gatehouse-test-boundary-7d1f";

/// The text between `start` and the next `end` in `html`.
fn between(html: &str, start: &str, end: &str) -> Option<String> {
    let from = html.find(start)? + start.len();
    let to = from + html[from..].find(end)?;
    Some(html[from..to].to_owned())
}

/// The client id shown on a page, and its internal id from the link to its page.
fn ids_on(reply: &Reply) -> (String, Uuid) {
    let client_id = between(&reply.body, "<code data-client-id>", "</code>")
        .unwrap_or_else(|| panic!("no client id: {}", reply.body));
    let link = between(&reply.body, "href=\"/console/clients/", "\"").unwrap();
    (client_id, Uuid::parse_str(&link).unwrap())
}

fn secret_on(reply: &Reply) -> Option<String> {
    between(&reply.body, "<code data-client-secret>", "</code>")
}

/// A service-account client's form: client credentials, allow-listed for `gatehouse`.
fn service_form(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", name.to_owned()),
        ("grant_types", "client_credentials".to_owned()),
        ("audiences", "gatehouse".to_owned()),
        ("consent", "ask".to_owned()),
        ("signing_alg", String::new()),
        ("roles", AUDITOR_ROLE.to_owned()),
    ]
}

fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Whether `client` gets a client-credentials token.
async fn gets_token(app: &TestApp, client: &TestClient) -> bool {
    let (status, body) = token(app, client, &[("grant_type", "client_credentials")]).await;
    match status {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => {
            assert_eq!(body["error"], "invalid_client", "{body}");
            false
        }
        other => panic!("token endpoint answered {other}: {body}"),
    }
}

/// A part of a `multipart/form-data` body: its name, a file's name and type, the bytes.
type Part<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [u8]);

/// A `multipart/form-data` body of `parts`.
fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some((file_name, content_type)) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Uploads `bytes` as the logo of client `id`, as a browser sends the upload form.
async fn upload(
    browser: &mut Browser<'_>,
    id: Uuid,
    file: (&str, &str),
    bytes: &[u8],
    with_token: bool,
) -> Reply {
    let token = browser.csrf_token().await;
    let mut parts: Vec<Part<'_>> = Vec::new();
    if with_token {
        parts.push(("csrf_token", None, token.as_bytes()));
    }
    parts.push(("logo", Some(file), bytes));
    let request = browser
        .request(Method::POST, &format!("/console/clients/{id}/logo"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(&parts));
    browser.send(request).await
}

async fn logo(app: &TestApp, client_id: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/oauth2/clients/{client_id}/logo")))
        .send()
        .await
        .unwrap()
}

async fn stored_name(app: &TestApp, id: Uuid) -> (String, i64) {
    let (client, _) = get_client(&app.services.oauth, &Operator::system(), id)
        .await
        .unwrap();
    (client.row.name, client.row.version)
}

#[tokio::test]
async fn a_client_registered_on_the_console_shows_its_secret_once_and_a_rotated_one_replaces_it() {
    let app = TestApp::spawn().await;
    administrator(&app, ROOT).await;
    let mut root = Browser::new(&app).signed_in(ROOT).await;

    let refused = root
        .submit(
            "/console/clients",
            &[("name", "Billing robot"), ("grant_types", "implicit")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("unknown grant type"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"Billing robot\""),
        "entered values stay"
    );

    let fields = service_form("Billing robot");
    let created = root.submit("/console/clients", &borrowed(&fields)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let secret = secret_on(&created).expect("the secret is shown after creation");
    let (client_id, id) = ids_on(&created);
    assert!(secret.len() >= 40, "{secret}");

    let shown = root.get(&format!("/console/clients/{id}")).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(shown.body.contains(&client_id) && shown.body.contains("Billing robot"));
    assert!(
        !shown.body.contains(&secret),
        "the secret is never shown again"
    );
    assert!(secret_on(&shown).is_none());
    let list = root.get("/console/clients").await;
    assert!(list.body.contains("Billing robot") && !list.body.contains(&secret));

    let old = TestClient {
        id: client_id.clone(),
        secret: Some(secret.clone()),
    };
    assert!(gets_token(&app, &old).await, "the shown secret works");

    let rotated = root
        .submit(&format!("/console/clients/{id}/secret"), &[])
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    assert_eq!(rotated.header("cache-control"), Some("no-store"));
    let new_secret = secret_on(&rotated).expect("the new secret is shown");
    assert_ne!(new_secret, secret);
    assert!(
        !gets_token(&app, &old).await,
        "the old secret stopped working"
    );
    let new = TestClient {
        id: client_id.clone(),
        secret: Some(new_secret.clone()),
    };
    assert!(gets_token(&app, &new).await, "the new secret works");
    let shown = root.get(&format!("/console/clients/{id}")).await;
    assert!(!shown.body.contains(&new_secret));
    assert_eq!(audit(&app, "client.secret_rotated").await.len(), 1);
}

#[tokio::test]
async fn a_stale_edit_is_refused_with_a_conflict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    administrator(&app, ROOT).await;
    let client = register(
        &app,
        ClientSpec {
            name: "Shop".to_owned(),
            redirect_uris: vec![REDIRECT.to_owned()],
            ..ClientSpec::default()
        },
    )
    .await;
    let id = app
        .services
        .store
        .oauth()
        .client_by_client_id(&client.id)
        .await
        .unwrap()
        .unwrap()
        .id;
    let mut root = Browser::new(&app).signed_in(ROOT).await;
    let path = format!("/console/clients/{id}");
    let page = root.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let version = input_value(&page.body, "version").unwrap();
    assert_eq!(input_value(&page.body, "name").as_deref(), Some("Shop"));
    let edit = |name: &'static str, redirect: &'static str| {
        vec![
            ("version", version.clone()),
            ("name", name.to_owned()),
            ("redirect_uris", redirect.to_owned()),
            ("grant_types", "authorization_code".to_owned()),
            ("grant_types", "refresh_token".to_owned()),
            ("consent", "skip".to_owned()),
        ]
    };

    let invalid = root
        .submit(&path, &borrowed(&edit("Shop", "http://evil.example/cb")))
        .await;
    assert_eq!(
        invalid.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        invalid.body
    );
    assert!(
        invalid.body.contains("href=\"#redirect_uris\""),
        "{}",
        invalid.body
    );
    assert!(
        invalid.body.contains("http://evil.example/cb"),
        "entered values stay"
    );

    let saved = root
        .submit(&path, &borrowed(&edit("Shop (new)", REDIRECT)))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), format!("{path}?done=client_saved"));
    let (name, current) = stored_name(&app, id).await;
    assert_eq!(name, "Shop (new)");

    let stale = root
        .submit(&path, &borrowed(&edit("Shop (stale)", REDIRECT)))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(
        stale.body.contains("Someone else changed this"),
        "{}",
        stale.body
    );
    assert_eq!(
        input_value(&stale.body, "version"),
        Some(current.to_string()),
        "the stored client is shown again, to edit anew"
    );
    assert_eq!(
        stored_name(&app, id).await,
        ("Shop (new)".to_owned(), current)
    );
}

#[tokio::test]
async fn a_logo_is_uploaded_served_and_removed_and_other_files_are_refused() {
    let app = TestApp::spawn().await;
    administrator(&app, ROOT).await;
    let client = register(
        &app,
        ClientSpec {
            name: "Shop".to_owned(),
            redirect_uris: vec![REDIRECT.to_owned()],
            ..ClientSpec::default()
        },
    )
    .await;
    let row = app
        .services
        .store
        .oauth()
        .client_by_client_id(&client.id)
        .await
        .unwrap()
        .unwrap();
    let mut root = Browser::new(&app).signed_in(ROOT).await;
    let page = root.get(&format!("/console/clients/{}", row.id)).await;
    assert!(
        page.body.contains("enctype=\"multipart/form-data\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("/logo?v="), "no logo yet");

    let forged = upload(&mut root, row.id, ("logo.png", "image/png"), PNG, false).await;
    assert_eq!(
        forged.status,
        StatusCode::FORBIDDEN,
        "an upload needs the CSRF token"
    );
    assert_eq!(logo(&app, &client.id).await.status(), StatusCode::NOT_FOUND);

    let stored = upload(&mut root, row.id, ("logo.png", "image/png"), PNG, true).await;
    assert_eq!(stored.status, StatusCode::SEE_OTHER, "{}", stored.body);
    let served = logo(&app, &client.id).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);
    let page = root.get(stored.location()).await;
    let src = format!("src=\"/oauth2/clients/{}/logo?v=", client.id);
    assert!(page.body.contains(&src), "{}", page.body);
    assert!(page.body.contains("The logo has been stored."));

    for (file, bytes) in [
        (
            ("logo.svg", "image/svg+xml"),
            &b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"[..],
        ),
        (
            ("logo.png", "image/png"),
            &b"<html><script>alert(1)</script></html>"[..],
        ),
    ] {
        let refused = upload(&mut root, row.id, file, bytes, true).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert!(refused.body.contains("href=\"#logo\""), "{}", refused.body);
        let served = logo(&app, &client.id).await;
        assert_eq!(
            served.headers()["content-type"],
            "image/png",
            "the logo stays"
        );
    }
    let empty = upload(
        &mut root,
        row.id,
        ("", "application/octet-stream"),
        b"",
        true,
    )
    .await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        empty.body
    );

    let removed = root
        .submit(&format!("/console/clients/{}/logo/remove", row.id), &[])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert_eq!(logo(&app, &client.id).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(audit(&app, "client.logo_changed").await.len(), 2);
}

#[tokio::test]
async fn a_client_is_deleted_after_a_confirmation_that_says_what_goes() {
    let app = TestApp::spawn().await;
    administrator(&app, ROOT).await;
    let mut root = Browser::new(&app).signed_in(ROOT).await;
    let fields = service_form("Nightly export");
    let created = root.submit("/console/clients", &borrowed(&fields)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let (client_id, id) = ids_on(&created);
    let client = TestClient {
        id: client_id,
        secret: secret_on(&created),
    };
    assert!(gets_token(&app, &client).await);

    let confirm = root.get(&format!("/console/clients/{id}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    for what in ["Nightly export", "refresh tokens", "consents", AUDITOR_ROLE] {
        assert!(confirm.body.contains(what), "{what}: {}", confirm.body);
    }
    assert_eq!(
        stored_name(&app, id).await.0,
        "Nightly export",
        "nothing gone yet"
    );

    let deleted = root
        .submit(&format!("/console/clients/{id}/delete"), &[])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert_eq!(deleted.location(), "/console/clients?done=client_deleted");
    let gone = root.get(&format!("/console/clients/{id}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert!(
        !gets_token(&app, &client).await,
        "a deleted client gets no token"
    );
    assert_eq!(audit(&app, "client.deleted").await.len(), 1);
}

#[tokio::test]
async fn the_keys_page_lists_the_keys_and_rotation_adds_the_next_ones() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, ROOT).await;
    user_with_role(&app, admin, "auditor@example.com", Some(AUDITOR_ROLE)).await;
    let mut root = Browser::new(&app).signed_in(ROOT).await;

    let before = root.get("/console/keys").await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    assert!(
        !before.body.contains("data-key-state=\"next\""),
        "{}",
        before.body
    );
    assert!(before.body.contains("/console/keys/rotate"));

    let rotated = root.submit("/console/keys/rotate", &[]).await;
    assert_eq!(rotated.status, StatusCode::SEE_OTHER, "{}", rotated.body);
    let after = root.get(rotated.location()).await;
    assert_eq!(
        after.body.matches("data-key-state=\"next\"").count(),
        3,
        "one next key per algorithm: {}",
        after.body
    );
    for alg in ["EdDSA", "ES256", "RS256"] {
        assert!(after.body.contains(&format!("<td>{alg}</td>")), "{alg}");
    }

    let mut auditor = Browser::new(&app).signed_in("auditor@example.com").await;
    let read = auditor.get("/console/keys").await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert!(
        !read.body.contains("/console/keys/rotate"),
        "no rotate button"
    );
    let refused = auditor.submit("/console/keys/rotate", &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let still = root.get("/console/keys").await;
    assert_eq!(still.body.matches("data-key-state=\"next\"").count(), 3);
}

#[tokio::test]
async fn read_only_administrators_see_clients_but_cannot_change_them() {
    let app = TestApp::spawn().await;
    let admin = administrator(&app, ROOT).await;
    let model = app.services.store.rbac().model().await.unwrap();
    let clients_read = model
        .capabilities
        .iter()
        .find(|row| row.name == "gatehouse:clients.read")
        .unwrap()
        .id;
    let role = NewRole {
        name: "client-viewer".to_owned(),
        capabilities: vec![clients_read],
        ..NewRole::default()
    };
    let actor = Admin {
        user_id: admin,
        context: RequestContext::default(),
    };
    create_role(&authorization(&app), &actor, role)
        .await
        .unwrap();
    user_with_role(&app, admin, "viewer@example.com", Some("client-viewer")).await;
    user_with_role(&app, admin, "auditor@example.com", Some(AUDITOR_ROLE)).await;
    let client = register(
        &app,
        ClientSpec {
            name: "Shop".to_owned(),
            redirect_uris: vec![REDIRECT.to_owned()],
            ..ClientSpec::default()
        },
    )
    .await;
    let id = app
        .services
        .store
        .oauth()
        .client_by_client_id(&client.id)
        .await
        .unwrap()
        .unwrap()
        .id;
    let path = format!("/console/clients/{id}");

    let mut viewer = Browser::new(&app).signed_in("viewer@example.com").await;
    let list = viewer.get("/console/clients").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("Shop") && !list.body.contains("action=\"/console/clients\""));
    let shown = viewer.get(&path).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(
        shown.body.contains(&client.id)
            && !shown
                .body
                .contains("<form method=\"post\" action=\"/console/clients/")
    );
    let changes = [
        "/console/clients".to_owned(),
        path.clone(),
        format!("{path}/secret"),
        format!("{path}/logo/remove"),
        format!("{path}/delete"),
    ];
    for change in &changes {
        let refused = viewer.submit(change, &[("name", "Hijacked")]).await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{change}: {}",
            refused.body
        );
    }
    let uploaded = upload(&mut viewer, id, ("logo.png", "image/png"), PNG, true).await;
    assert_eq!(uploaded.status, StatusCode::FORBIDDEN);
    assert_eq!(stored_name(&app, id).await, ("Shop".to_owned(), 1));

    let mut auditor = Browser::new(&app).signed_in("auditor@example.com").await;
    for read in ["/console/clients".to_owned(), path.clone()] {
        let refused = auditor.get(&read).await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{read}: auditors do not see clients"
        );
    }
    let refused = auditor.submit(&path, &[("name", "Hijacked")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
