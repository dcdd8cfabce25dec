//! Clients: storing, listing and finding them, a taken `client_id`, versioned updates, their
//! service accounts' roles, their logos, and deleting a client with everything hanging off it.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{ClientLogoRow, ClientRow, CodeUse, Store, Transaction};
use uuid::Uuid;

use super::{
    ADMIN_ROLE, AUDITOR_ROLE, USER_MANAGER_ROLE, client, code, committed, grant, insert_clients,
    insert_grants, refresh_token, sparse_client, strings, user_id,
};
use crate::fixtures::{epoch, role};

async fn stored(store: &Arc<dyn Store>, row: &ClientRow) -> Option<ClientRow> {
    store.oauth().client_by_id(row.id).await.unwrap()
}

/// Runs `change` in a transaction that must fail with the error it returns, and rolls it back.
async fn refused<F>(store: &Arc<dyn Store>, change: F) -> StoreError
where
    F: AsyncFnOnce(&mut dyn Transaction) -> Result<(), StoreError>,
{
    let mut transaction = store.begin().await.unwrap();
    let error = change(transaction.as_mut()).await.unwrap_err();
    transaction.rollback().await.unwrap();
    error
}

fn logo(client_id: Uuid, content_type: &str, minutes: i64) -> ClientLogoRow {
    ClientLogoRow {
        client_id,
        content_type: content_type.to_owned(),
        bytes: vec![0x89, b'P', b'N', b'G', 0, 255, 13, 10],
        updated_at: epoch() + Duration::minutes(minutes),
    }
}

/// Clients come back exactly as stored (full and sparse), all of them by name (byte order) then
/// id, one by its public `client_id` or its internal id; unknown ones are `None`.
pub async fn clients_round_trip_by_name_then_id(store: Arc<dyn Store>) {
    let full = client("web-app", "Zoë's app ✓");
    let twin = client("web-app-2", "Zoë's app ✓");
    let sparse = sparse_client("native-app", "Another app");
    let lower = client("lower", "apple");
    insert_clients(&store, &[&lower, &twin, &sparse, &full]).await;

    let listed = store.oauth().clients().await.unwrap();
    let (first, second) = if full.id < twin.id {
        (&full, &twin)
    } else {
        (&twin, &full)
    };
    assert_eq!(
        listed,
        vec![sparse.clone(), first.clone(), second.clone(), lower]
    );
    for row in [&full, &sparse] {
        assert_eq!(stored(&store, row).await.as_ref(), Some(row));
        let by_client_id = store.oauth().client_by_client_id(&row.client_id).await;
        assert_eq!(by_client_id.unwrap().as_ref(), Some(row));
    }
    let oauth = store.oauth();
    assert_eq!(oauth.client_by_id(Uuid::now_v7()).await.unwrap(), None);
    assert_eq!(oauth.client_by_client_id("WEB-APP").await.unwrap(), None);
    assert_eq!(oauth.client_by_client_id("nobody").await.unwrap(), None);
}

/// A `client_id` belongs to one client: inserting another client with it, or updating another
/// client to it, is `AlreadyExists`, and the stored clients stay as they were.
pub async fn taken_client_id_is_already_exists(store: Arc<dyn Store>) {
    let taken = client("taken", "Taken");
    let other = client("other", "Other");
    insert_clients(&store, &[&taken, &other]).await;

    let inserted = refused(&store, async |transaction| {
        transaction.insert_client(&client("taken", "Thief")).await
    })
    .await;
    assert!(
        matches!(inserted, StoreError::AlreadyExists(_)),
        "{inserted:?}"
    );
    let moved = ClientRow {
        client_id: "taken".to_owned(),
        version: 2,
        ..other.clone()
    };
    let updated = refused(&store, async |transaction| {
        transaction.update_client(&moved, 1).await.map(drop)
    })
    .await;
    assert!(
        matches!(updated, StoreError::AlreadyExists(_)),
        "{updated:?}"
    );
    assert_eq!(stored(&store, &taken).await, Some(taken));
    assert_eq!(stored(&store, &other).await, Some(other));
    assert_eq!(store.oauth().clients().await.unwrap().len(), 2);
}

/// An update replaces every field when the stored version is the expected one; with a stale
/// version, or for an unknown client, it changes nothing and returns false.
pub async fn update_client_needs_the_expected_version(store: Arc<dyn Store>) {
    let original = client("versioned", "Before");
    insert_clients(&store, &[&original]).await;
    let later = epoch() + Duration::days(1);
    let changed = ClientRow {
        id: original.id,
        client_id: "versioned-renamed".to_owned(),
        name: "After ✓".to_owned(),
        public: true,
        native: true,
        secret_mac: None,
        auth_method: Some("private_key_jwt".to_owned()),
        jwks: None,
        redirect_uris: strings(&["http://127.0.0.1/callback"]),
        post_logout_redirect_uris: Vec::new(),
        grant_types: strings(&["client_credentials"]),
        scopes: strings(&["openid"]),
        default_scopes: Vec::new(),
        audiences: strings(&["gatehouse"]),
        default_audience: None,
        web_origins: Vec::new(),
        consent: "skip".to_owned(),
        signing_alg: "RS256".to_owned(),
        access_token_ttl_secs: 60,
        refresh_token_ttl_secs: 3_600,
        created_at: original.created_at,
        updated_at: later,
        disabled_at: Some(later),
        version: 2,
    };
    let stale = ClientRow {
        name: "Stale".to_owned(),
        version: 2,
        ..original.clone()
    };
    let unknown = ClientRow {
        id: Uuid::now_v7(),
        client_id: "unknown".to_owned(),
        ..changed.clone()
    };
    let results = committed(&store, async |transaction| {
        [
            transaction.update_client(&changed, 1).await.unwrap(),
            transaction.update_client(&stale, 1).await.unwrap(),
            transaction.update_client(&unknown, 1).await.unwrap(),
            transaction.update_client(&unknown, 2).await.unwrap(),
        ]
    })
    .await;
    assert_eq!(results, [true, false, false, false]);
    assert_eq!(stored(&store, &original).await, Some(changed.clone()));
    assert_eq!(
        store
            .oauth()
            .client_by_client_id("versioned-renamed")
            .await
            .unwrap(),
        Some(changed.clone())
    );
    assert_eq!(
        store
            .oauth()
            .client_by_client_id("versioned")
            .await
            .unwrap(),
        None
    );
    assert_eq!(stored(&store, &unknown).await, None);

    let third = ClientRow {
        name: "Third".to_owned(),
        version: 3,
        ..changed.clone()
    };
    let moved_on = committed(&store, async |transaction| {
        transaction.update_client(&third, 2).await.unwrap()
    })
    .await;
    assert!(moved_on);
    assert_eq!(stored(&store, &original).await, Some(third));
}

/// A client's roles are replaced as a set (duplicates count once, ordered by id); a deleted role
/// leaves the set. A logo is stored, replaced and removed once. Roles or a logo of an unknown
/// client, and unknown roles, are `NotFound`.
pub async fn client_roles_and_logo_are_replaced(store: Arc<dyn Store>) {
    let service = client("service", "Service");
    let other = client("other-service", "Other service");
    insert_clients(&store, &[&service, &other]).await;
    let robots = role("robots");
    committed(&store, async |transaction| {
        transaction.lock_rbac().await.unwrap();
        transaction.upsert_role(&robots).await.unwrap();
        transaction.bump_rbac_version().await.unwrap();
    })
    .await;
    let oauth = store.oauth();
    assert!(oauth.client_roles(service.id).await.unwrap().is_empty());

    let given = [AUDITOR_ROLE, ADMIN_ROLE, AUDITOR_ROLE, robots.id];
    committed(&store, async |transaction| {
        transaction
            .set_client_roles(service.id, &given)
            .await
            .unwrap();
        transaction
            .set_client_roles(other.id, &[USER_MANAGER_ROLE])
            .await
            .unwrap();
    })
    .await;
    let expected = vec![ADMIN_ROLE, AUDITOR_ROLE, robots.id];
    assert_eq!(oauth.client_roles(service.id).await.unwrap(), expected);
    committed(&store, async |transaction| {
        transaction.lock_rbac().await.unwrap();
        assert!(transaction.delete_role(robots.id).await.unwrap());
        transaction.bump_rbac_version().await.unwrap();
    })
    .await;
    let expected = vec![ADMIN_ROLE, AUDITOR_ROLE];
    assert_eq!(oauth.client_roles(service.id).await.unwrap(), expected);
    committed(&store, async |transaction| {
        transaction
            .set_client_roles(service.id, &[USER_MANAGER_ROLE])
            .await
            .unwrap();
    })
    .await;
    let expected = vec![USER_MANAGER_ROLE];
    assert_eq!(oauth.client_roles(service.id).await.unwrap(), expected);
    committed(&store, async |transaction| {
        transaction.set_client_roles(service.id, &[]).await.unwrap();
    })
    .await;
    assert!(oauth.client_roles(service.id).await.unwrap().is_empty());
    let expected = vec![USER_MANAGER_ROLE];
    assert_eq!(oauth.client_roles(other.id).await.unwrap(), expected);

    for error in [
        refused(&store, async |transaction| {
            transaction
                .set_client_roles(service.id, &[Uuid::now_v7()])
                .await
        })
        .await,
        refused(&store, async |transaction| {
            transaction
                .set_client_roles(Uuid::now_v7(), &[ADMIN_ROLE])
                .await
        })
        .await,
        refused(&store, async |transaction| {
            transaction
                .set_client_logo(&logo(Uuid::now_v7(), "image/png", 0))
                .await
        })
        .await,
    ] {
        assert!(matches!(error, StoreError::NotFound(_)), "{error:?}");
    }

    assert_eq!(oauth.client_logo(service.id).await.unwrap(), None);
    let png = logo(service.id, "image/png", 1);
    let svg = ClientLogoRow {
        bytes: br#"<svg xmlns="http://www.w3.org/2000/svg"/>"#.to_vec(),
        ..logo(service.id, "image/svg+xml", 2)
    };
    committed(&store, async |transaction| {
        transaction.set_client_logo(&png).await.unwrap();
    })
    .await;
    assert_eq!(oauth.client_logo(service.id).await.unwrap(), Some(png));
    committed(&store, async |transaction| {
        transaction.set_client_logo(&svg).await.unwrap();
    })
    .await;
    assert_eq!(oauth.client_logo(service.id).await.unwrap(), Some(svg));
    let removed = committed(&store, async |transaction| {
        [
            transaction.delete_client_logo(service.id).await.unwrap(),
            transaction.delete_client_logo(service.id).await.unwrap(),
            transaction.delete_client_logo(other.id).await.unwrap(),
        ]
    })
    .await;
    assert_eq!(removed, [true, false, false]);
    assert_eq!(oauth.client_logo(service.id).await.unwrap(), None);
}

/// Deleting a client takes its roles, logo, codes, grants with their refresh tokens, and
/// consents, and works once; another client's stay.
pub async fn delete_client_takes_everything_that_hangs_off_it(store: Arc<dyn Store>) {
    let owner = user_id(&store, "client-owner@example.test").await;
    let (doomed, kept) = (client("doomed", "Doomed"), client("kept", "Kept"));
    insert_clients(&store, &[&doomed, &kept]).await;
    let mut hanging = Vec::new();
    for row in [&doomed, &kept] {
        let code = code(row.id, owner, epoch());
        let grant = grant(row.id, Some(owner), epoch());
        let token = refresh_token(grant.id, epoch());
        committed(&store, async |transaction| {
            transaction
                .set_client_roles(row.id, &[ADMIN_ROLE])
                .await
                .unwrap();
            transaction
                .set_client_logo(&logo(row.id, "image/webp", 0))
                .await
                .unwrap();
            transaction.insert_code(&code).await.unwrap();
            transaction
                .grant_consent(owner, row.id, &strings(&["openid", "email"]), epoch())
                .await
                .unwrap();
        })
        .await;
        insert_grants(&store, &[&grant], &[&token]).await;
        hanging.push((code, grant, token));
    }

    let deleted = committed(&store, async |transaction| {
        [
            transaction.delete_client(doomed.id).await.unwrap(),
            transaction.delete_client(doomed.id).await.unwrap(),
            transaction.delete_client(Uuid::now_v7()).await.unwrap(),
        ]
    })
    .await;
    assert_eq!(deleted, [true, false, false]);

    let oauth = store.oauth();
    let now = epoch() + Duration::seconds(10);
    for ((code, grant, token), gone) in hanging.iter().zip([true, false]) {
        let client_id = grant.client_id;
        assert_eq!(oauth.client_by_id(client_id).await.unwrap().is_none(), gone);
        assert_eq!(
            oauth.client_roles(client_id).await.unwrap().is_empty(),
            gone
        );
        assert_eq!(oauth.client_logo(client_id).await.unwrap().is_none(), gone);
        assert_eq!(oauth.grant(grant.id).await.unwrap().is_none(), gone);
        let read = oauth.refresh_token(&token.token_hash).await.unwrap();
        assert_eq!(read.is_none(), gone);
        let scopes = oauth.consented_scopes(owner, client_id).await.unwrap();
        assert_eq!(scopes.is_empty(), gone);
        let redeemed = committed(&store, async |transaction| {
            transaction.redeem_code(&code.code_hash, now).await.unwrap()
        })
        .await;
        assert_eq!(matches!(redeemed, CodeUse::Unknown), gone, "{redeemed:?}");
    }
    let grants = oauth.grants_for_user(owner, now).await.unwrap();
    assert_eq!(grants, vec![hanging[1].1.clone()]);
    assert_eq!(oauth.clients().await.unwrap(), vec![kept]);
}
