//! APIs, capabilities, roles and groups: the seed, upserts and unique names.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{ApiRow, CapabilityRow, GroupRow, RoleRow, Store};

use super::{Rows, begin_change, finish_change, model, seed_id, sorted};
use crate::fixtures::{api, capability, epoch, group, role};

/// The seeded capabilities: id suffix, name, description.
const SEED_CAPABILITIES: [(u128, &str, &str); 12] = [
    (
        0x101,
        "gatehouse:users.read",
        "See users and their profiles",
    ),
    (
        0x102,
        "gatehouse:users.write",
        "Create, change, disable and delete users",
    ),
    (0x103, "gatehouse:sessions.revoke", "End users' sessions"),
    (0x104, "gatehouse:mfa.reset", "Reset users' second factors"),
    (
        0x105,
        "gatehouse:roles.read",
        "See APIs, capabilities, roles and groups",
    ),
    (
        0x106,
        "gatehouse:roles.write",
        "Change APIs, capabilities, roles, groups and assignments",
    ),
    (0x107, "gatehouse:audit.read", "Read the audit log"),
    (0x108, "gatehouse:clients.read", "See OAuth clients"),
    (
        0x109,
        "gatehouse:clients.write",
        "Create and change OAuth clients",
    ),
    (0x10a, "gatehouse:jobs.read", "See background jobs"),
    (
        0x10b,
        "gatehouse:jobs.write",
        "Retry and cancel background jobs",
    ),
    (
        0x10c,
        "gatehouse:authorize",
        "Ask the check API about any user",
    ),
];

/// The capabilities `0012_seed_oauth_capabilities` adds, seeded 2026-12-05: id suffix, name,
/// description.
const OAUTH_SEED_CAPABILITIES: [(u128, &str, &str); 3] = [
    (0x10d, "gatehouse:keys.read", "See token-signing keys"),
    (0x10e, "gatehouse:keys.rotate", "Rotate token-signing keys"),
    (
        0x10f,
        "gatehouse:tokens.introspect",
        "Introspect any client's tokens (resource servers)",
    ),
];

/// The seeded roles: id suffix, name, description, capability id suffixes.
const SEED_ROLES: [(u128, &str, &str, &[u128]); 3] = [
    (
        0x201,
        "gatehouse:admin",
        "Every gatehouse capability",
        &[
            0x101, 0x102, 0x103, 0x104, 0x105, 0x106, 0x107, 0x108, 0x109, 0x10a, 0x10b, 0x10c,
            0x10d, 0x10e, 0x10f,
        ],
    ),
    (
        0x202,
        "gatehouse:user-manager",
        "Manage users, their sessions and second factors",
        &[0x101, 0x102, 0x103, 0x104],
    ),
    (
        0x203,
        "gatehouse:auditor",
        "Read users and the audit log",
        &[0x101, 0x105, 0x107, 0x10d],
    ),
];

fn assert_already_exists(result: Result<(), StoreError>) {
    let error = result.unwrap_err();
    assert!(matches!(error, StoreError::AlreadyExists(_)), "{error:?}");
}

/// A fresh database holds the system API, its fifteen capabilities (twelve seeded with the
/// model, three with the OAuth provider) and the three system roles with their capabilities,
/// and nothing else.
pub async fn seed_is_present_after_migrate(store: Arc<dyn Store>) {
    let model = model(&store).await;
    assert!(model.version >= 1, "{}", model.version);
    assert_eq!(store.rbac().version().await.unwrap(), model.version);
    let seeded = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let gatehouse = ApiRow {
        id: seed_id(0x001),
        audience: "gatehouse".to_owned(),
        name: "Gatehouse".to_owned(),
        description: "Gatehouse's own console and management API".to_owned(),
        system: true,
        created_at: seeded,
        updated_at: seeded,
    };
    assert_eq!(model.apis, vec![gatehouse]);
    let oauth_seeded = Utc.with_ymd_and_hms(2026, 12, 5, 0, 0, 0).unwrap();
    let mut capabilities: Vec<_> = SEED_CAPABILITIES
        .iter()
        .map(|seed| (seed, seeded))
        .chain(
            OAUTH_SEED_CAPABILITIES
                .iter()
                .map(|seed| (seed, oauth_seeded)),
        )
        .map(|((suffix, name, description), at)| CapabilityRow {
            id: seed_id(*suffix),
            api_id: seed_id(0x001),
            name: (*name).to_owned(),
            description: (*description).to_owned(),
            system: true,
            created_at: at,
            updated_at: at,
        })
        .collect();
    capabilities.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(model.capabilities, capabilities);
    let mut roles = Vec::new();
    let mut links = Vec::new();
    for (suffix, name, description, held) in SEED_ROLES {
        roles.push(RoleRow {
            id: seed_id(suffix),
            name: name.to_owned(),
            description: description.to_owned(),
            system: true,
            version: 1,
            created_at: seeded,
            updated_at: seeded,
        });
        links.extend(held.iter().map(|held| (seed_id(suffix), seed_id(*held))));
    }
    roles.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(model.roles, roles);
    assert_eq!(model.role_capabilities, sorted(links));
    assert!(model.role_includes.is_empty() && model.group_roles.is_empty());
    assert!(model.groups.is_empty());
}

/// The rows with every changeable field changed, an hour after [`epoch`].
fn renamed(
    api: ApiRow,
    capability: CapabilityRow,
    role: RoleRow,
    group: GroupRow,
) -> (ApiRow, CapabilityRow, RoleRow, GroupRow) {
    let later = epoch() + Duration::hours(1);
    let api = ApiRow {
        audience: "https://shop.example/api".to_owned(),
        name: "Shop ✓".to_owned(),
        description: "Renamed".to_owned(),
        updated_at: later,
        ..api
    };
    let capability = CapabilityRow {
        name: "shop:refund".to_owned(),
        description: "Refund orders".to_owned(),
        updated_at: later,
        ..capability
    };
    let role = RoleRow {
        name: "z-shop-manager".to_owned(),
        description: "Runs the shop".to_owned(),
        version: 2,
        updated_at: later,
        ..role
    };
    let group = GroupRow {
        name: "all staff".to_owned(),
        description: "Everyone".to_owned(),
        version: 2,
        updated_at: later,
        ..group
    };
    (api, capability, role, group)
}

/// Every entity is inserted and then replaced by id (a rename); the model lists APIs by
/// audience and the rest by name.
pub async fn entities_upsert_and_rename_round_trip(store: Arc<dyn Store>) {
    let shop = api("api.example");
    let refund = capability(shop.id, "billing:refund");
    let clerk = role("a-shop-clerk");
    let staff = group("staff");
    let rows = Rows {
        apis: &[&shop],
        capabilities: &[&refund],
        roles: &[&clerk],
        groups: &[&staff],
    };
    finish_change(rows.begin(&store).await).await;
    let before = model(&store).await;
    assert_eq!(before.apis.first(), Some(&shop));
    assert_eq!(before.capabilities.first(), Some(&refund));
    assert_eq!(before.roles.first(), Some(&clerk));
    assert_eq!(before.groups, vec![staff.clone()]);

    let (shop, refund, clerk, staff) = renamed(shop, refund, clerk, staff);
    let rows = Rows {
        apis: &[&shop],
        capabilities: &[&refund],
        roles: &[&clerk],
        groups: &[&staff],
    };
    finish_change(rows.begin(&store).await).await;
    let after = model(&store).await;
    assert_eq!(after.apis.last(), Some(&shop));
    assert_eq!(after.capabilities.last(), Some(&refund));
    assert_eq!(after.roles.last(), Some(&clerk));
    assert_eq!(after.groups, vec![staff]);
    assert_eq!(after.apis.len(), before.apis.len());
    assert_eq!(after.capabilities.len(), before.capabilities.len());
    assert_eq!(after.roles.len(), before.roles.len());
    assert!(after.apis.is_sorted_by(|a, b| a.audience <= b.audience));
    assert!(after.capabilities.is_sorted_by(|a, b| a.name <= b.name));
    assert!(after.roles.is_sorted_by(|a, b| a.name <= b.name));
}

/// A taken audience or name, whether by a new row or by renaming one, is `AlreadyExists`, and
/// the model stays as it was.
pub async fn taken_names_are_already_exists(store: Arc<dyn Store>) {
    let shop = api("shop");
    let read = capability(shop.id, "shop:read");
    let reader = role("reader");
    let (readers, writers) = (group("readers"), group("writers"));
    let rows = Rows {
        apis: &[&shop],
        capabilities: &[&read],
        roles: &[&reader],
        groups: &[&readers, &writers],
    };
    finish_change(rows.begin(&store).await).await;
    let before = model(&store).await;

    for attempt in 0..8 {
        let mut transaction = begin_change(&store).await;
        let result = match attempt {
            0 => transaction.upsert_api(&api("shop")).await,
            1 => {
                let renamed = ApiRow {
                    audience: "gatehouse".to_owned(),
                    ..shop.clone()
                };
                transaction.upsert_api(&renamed).await
            }
            2 => {
                let again = capability(shop.id, "shop:read");
                transaction.upsert_capability(&again).await
            }
            3 => {
                let renamed = CapabilityRow {
                    name: "gatehouse:users.read".to_owned(),
                    ..read.clone()
                };
                transaction.upsert_capability(&renamed).await
            }
            4 => transaction.upsert_role(&role("reader")).await,
            5 => {
                let renamed = RoleRow {
                    name: "gatehouse:admin".to_owned(),
                    ..reader.clone()
                };
                transaction.upsert_role(&renamed).await
            }
            6 => transaction.upsert_group(&group("readers")).await,
            _ => {
                let renamed = GroupRow {
                    name: "readers".to_owned(),
                    ..writers.clone()
                };
                transaction.upsert_group(&renamed).await
            }
        };
        assert_already_exists(result);
        transaction.rollback().await.unwrap();
    }
    assert_eq!(model(&store).await, before);
}
