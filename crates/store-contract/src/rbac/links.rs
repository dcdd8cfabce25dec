//! Links between the model's rows: a role's capabilities and included roles, a group's roles,
//! what deletes take with them, and links to rows that do not exist.

use std::sync::Arc;

use gatehouse_domain::StoreError;
use gatehouse_domain::store::{RbacModel, RoleAssignment, Store, UserAssignments};
use uuid::Uuid;

use super::{Rows, begin_change, finish_change, links_of, mentioned, model, seed_id, sorted};
use crate::fixtures::{api, capability, epoch, group, insert_user, role, user};

/// Link sets of one change: (role, capabilities), (role, included roles), (group, roles).
type LinkSets<'a> = [&'a [(Uuid, &'a [Uuid])]; 3];

/// Sets the given link sets in one change; returns the model after it.
async fn set_links(store: &Arc<dyn Store>, sets: LinkSets<'_>) -> RbacModel {
    let [role_capabilities, role_includes, group_roles] = sets;
    let mut transaction = begin_change(store).await;
    for (role_id, capabilities) in role_capabilities {
        let set = transaction.set_role_capabilities(*role_id, capabilities);
        set.await.unwrap();
    }
    for (role_id, roles) in role_includes {
        transaction
            .set_role_includes(*role_id, roles)
            .await
            .unwrap();
    }
    for (group_id, roles) in group_roles {
        transaction.set_group_roles(*group_id, roles).await.unwrap();
    }
    finish_change(transaction).await;
    model(store).await
}

/// Setting a role's capabilities or included roles, or a group's roles, replaces the set; an
/// empty set clears it. The pair lists are sorted.
pub async fn link_sets_are_replaced(store: Arc<dyn Store>) {
    let shop = api("shop");
    let [a, b, c] = ["shop:a", "shop:b", "shop:c"].map(|name| capability(shop.id, name));
    let [main, x, y] = ["main", "x", "y"].map(role);
    let team = group("team");
    let rows = Rows {
        apis: &[&shop],
        capabilities: &[&a, &b, &c],
        roles: &[&main, &x, &y],
        groups: &[&team],
    };
    finish_change(rows.begin(&store).await).await;
    let [a, b, c, main, x, y, team] = [a.id, b.id, c.id, main.id, x.id, y.id, team.id];

    let first = set_links(
        &store,
        [
            &[(main, &[b, a]), (x, &[a])],
            &[(main, &[x])],
            &[(team, &[x, main])],
        ],
    )
    .await;
    let held = sorted(vec![(main, a), (main, b)]);
    assert_eq!(links_of(&first.role_capabilities, main), held);
    assert_eq!(links_of(&first.role_capabilities, x), vec![(x, a)]);
    assert_eq!(first.role_includes, vec![(main, x)]);
    assert_eq!(first.group_roles, sorted(vec![(team, main), (team, x)]));

    let second = set_links(
        &store,
        [
            &[(main, &[c, b]), (x, &[])],
            &[(main, &[y, x])],
            &[(team, &[])],
        ],
    )
    .await;
    let held = sorted(vec![(main, b), (main, c)]);
    assert_eq!(links_of(&second.role_capabilities, main), held);
    assert!(links_of(&second.role_capabilities, x).is_empty());
    assert_eq!(second.role_includes, sorted(vec![(main, x), (main, y)]));
    assert!(second.group_roles.is_empty());
    assert!(second.role_capabilities.is_sorted());
    assert_eq!(
        second.role_capabilities.len(),
        first.role_capabilities.len() - 1
    );

    let third = set_links(&store, [&[(main, &[])], &[(main, &[])], &[]]).await;
    assert!(!mentioned(&third, main));
}

/// Deleting a role removes its capability links, its inclusions both ways, its group links and
/// its assignments; everything else stays.
pub async fn delete_role_removes_its_links_and_assignments(store: Arc<dyn Store>) {
    let holder = insert_user(&store, user("holder@example.test")).await.id;
    let shop = api("shop");
    let read = capability(shop.id, "shop:read");
    let [doomed, parent, child] = ["doomed", "parent", "child"].map(role);
    let team = group("team");
    let rows = Rows {
        apis: &[&shop],
        capabilities: &[&read],
        roles: &[&doomed, &parent, &child],
        groups: &[&team],
    };
    let mut transaction = rows.begin(&store).await;
    let (doomed_id, child_id, team_id) = (doomed.id, child.id, team.id);
    transaction
        .set_role_capabilities(doomed_id, &[read.id])
        .await
        .unwrap();
    transaction
        .set_role_includes(doomed_id, &[child_id])
        .await
        .unwrap();
    transaction
        .set_role_includes(parent.id, &[doomed_id])
        .await
        .unwrap();
    transaction
        .set_group_roles(team_id, &[doomed_id, child_id])
        .await
        .unwrap();
    transaction.add_group_member(team_id, holder).await.unwrap();
    for held in [doomed_id, child_id] {
        transaction
            .assign_role(holder, held, None, epoch())
            .await
            .unwrap();
    }
    finish_change(transaction).await;
    let before = model(&store).await;

    let mut transaction = begin_change(&store).await;
    assert!(transaction.delete_role(doomed_id).await.unwrap());
    assert!(!transaction.delete_role(doomed_id).await.unwrap());
    finish_change(transaction).await;
    let after = model(&store).await;
    assert!(!after.roles.iter().any(|row| row.id == doomed_id));
    assert_eq!(after.roles.len(), before.roles.len() - 1);
    assert!(!mentioned(&after, doomed_id));
    assert_eq!(after.group_roles, vec![(team_id, child_id)]);
    assert_eq!(after.capabilities, before.capabilities);
    assert_eq!(after.groups, before.groups);
    let assignments = store.rbac().user_assignments(holder).await.unwrap();
    let expected = UserAssignments {
        roles: vec![RoleAssignment {
            role_id: child_id,
            expires_at: None,
        }],
        groups: vec![team_id],
    };
    assert_eq!(assignments, expected);
}

/// Deleting a capability removes its role links; deleting an API its capabilities; deleting a
/// group its members and roles.
pub async fn deletes_cascade_to_dependants(store: Arc<dyn Store>) {
    let member = insert_user(&store, user("member@example.test")).await.id;
    let (shop, other) = (api("shop"), api("other"));
    let [a, b] = ["shop:a", "shop:b"].map(|name| capability(shop.id, name));
    let kept = capability(other.id, "other:kept");
    let holder = role("holder");
    let team = group("team");
    let rows = Rows {
        apis: &[&shop, &other],
        capabilities: &[&a, &b, &kept],
        roles: &[&holder],
        groups: &[&team],
    };
    let mut transaction = rows.begin(&store).await;
    let all = [a.id, b.id, kept.id];
    transaction
        .set_role_capabilities(holder.id, &all)
        .await
        .unwrap();
    transaction
        .set_group_roles(team.id, &[holder.id])
        .await
        .unwrap();
    transaction.add_group_member(team.id, member).await.unwrap();
    finish_change(transaction).await;
    let seeded = model(&store).await.role_capabilities.len() - all.len();

    let mut transaction = begin_change(&store).await;
    assert!(transaction.delete_capability(a.id).await.unwrap());
    assert!(!transaction.delete_capability(a.id).await.unwrap());
    finish_change(transaction).await;
    let links = model(&store).await.role_capabilities;
    assert_eq!(links.len(), seeded + 2);
    let held = sorted(vec![(holder.id, b.id), (holder.id, kept.id)]);
    assert_eq!(links_of(&links, holder.id), held);

    let mut transaction = begin_change(&store).await;
    assert!(transaction.delete_api(shop.id).await.unwrap());
    assert!(!transaction.delete_api(shop.id).await.unwrap());
    assert!(transaction.delete_group(team.id).await.unwrap());
    assert!(!transaction.delete_group(team.id).await.unwrap());
    finish_change(transaction).await;
    let after = model(&store).await;
    assert!(!after.apis.iter().any(|row| row.id == shop.id));
    assert!(!after.capabilities.iter().any(|row| row.api_id == shop.id));
    assert!(after.capabilities.contains(&kept));
    let only_kept = vec![(holder.id, kept.id)];
    assert_eq!(links_of(&after.role_capabilities, holder.id), only_kept);
    assert!(after.groups.is_empty() && after.group_roles.is_empty());
    assert!(
        store
            .rbac()
            .group_members(team.id)
            .await
            .unwrap()
            .is_empty()
    );
    let assignments = store.rbac().user_assignments(member).await.unwrap();
    assert_eq!(assignments, UserAssignments::default());
}

/// A link to a row that does not exist (user, role, capability, group, API) is `NotFound`.
pub async fn links_to_unknown_rows_are_not_found(store: Arc<dyn Store>) {
    let holder = insert_user(&store, user("holder@example.test")).await.id;
    let (unknown, admin) = (Uuid::now_v7(), seed_id(0x201));
    let linked = role("linked");
    let rows = Rows {
        roles: &[&linked],
        ..Rows::default()
    };
    finish_change(rows.begin(&store).await).await;
    for attempt in 0..7 {
        let mut transaction = begin_change(&store).await;
        let result = match attempt {
            0 => {
                transaction
                    .assign_role(holder, unknown, None, epoch())
                    .await
            }
            1 => transaction.assign_role(unknown, admin, None, epoch()).await,
            2 => {
                transaction
                    .set_role_capabilities(linked.id, &[unknown])
                    .await
            }
            3 => transaction.set_role_includes(linked.id, &[unknown]).await,
            4 => transaction.set_group_roles(unknown, &[linked.id]).await,
            5 => transaction.add_group_member(unknown, holder).await,
            _ => {
                let orphan = capability(unknown, "orphan:capability");
                transaction.upsert_capability(&orphan).await
            }
        };
        let error = result.unwrap_err();
        assert!(
            matches!(error, StoreError::NotFound(_)),
            "{attempt}: {error:?}"
        );
        transaction.rollback().await.unwrap();
    }
    let assignments = store.rbac().user_assignments(holder).await.unwrap();
    assert_eq!(assignments, UserAssignments::default());
}
