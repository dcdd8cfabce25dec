//! Who holds what: group members, users' direct roles, and the active holders of a role.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::store::{RoleAssignment, Store, UserAssignments, UserRow};
use uuid::Uuid;

use super::{Rows, begin_change, finish_change, sorted};
use crate::fixtures::{epoch, group, insert_user, role, user};

/// Inserts one user per status, named `u<n>`; returns their ids.
async fn users<const N: usize>(store: &Arc<dyn Store>, statuses: [&str; N]) -> [Uuid; N] {
    let mut ids = [Uuid::nil(); N];
    for (n, status) in statuses.into_iter().enumerate() {
        let row = UserRow {
            status: status.to_owned(),
            ..user(&format!("u{n}@example.test"))
        };
        ids[n] = insert_user(store, row).await.id;
    }
    ids
}

/// Gives `user_id` the role in its own change, until `hours` after [`epoch`] (never with
/// `None`).
async fn assign(store: &Arc<dyn Store>, user_id: Uuid, role_id: Uuid, hours: Option<i64>) {
    let expires_at = hours.map(|hours| epoch() + Duration::hours(hours));
    let mut transaction = begin_change(store).await;
    transaction
        .assign_role(user_id, role_id, expires_at, epoch())
        .await
        .unwrap();
    finish_change(transaction).await;
}

/// Adding a member twice keeps one membership; removing says whether there was one.
pub async fn group_members_are_added_once_and_removed(store: Arc<dyn Store>) {
    let [first, second] = users(&store, ["active", "active"]).await;
    let (team, other) = (group("team"), group("other"));
    let rows = Rows {
        groups: &[&team, &other],
        ..Rows::default()
    };
    let mut transaction = rows.begin(&store).await;
    for (joined, member) in [
        (&team, first),
        (&team, first),
        (&team, second),
        (&other, first),
    ] {
        transaction
            .add_group_member(joined.id, member)
            .await
            .unwrap();
    }
    finish_change(transaction).await;
    let members = store.rbac().group_members(team.id).await.unwrap();
    assert_eq!(sorted(members), sorted(vec![first, second]));
    let groups = store.rbac().user_assignments(first).await.unwrap().groups;
    assert_eq!(sorted(groups), sorted(vec![team.id, other.id]));

    let mut transaction = begin_change(&store).await;
    assert!(
        transaction
            .remove_group_member(team.id, first)
            .await
            .unwrap()
    );
    assert!(
        !transaction
            .remove_group_member(team.id, first)
            .await
            .unwrap()
    );
    finish_change(transaction).await;
    let members = store.rbac().group_members(team.id).await.unwrap();
    assert_eq!(members, vec![second]);
    let assignments = store.rbac().user_assignments(first).await.unwrap();
    assert_eq!(assignments.groups, vec![other.id]);
    let nobody = store.rbac().group_members(Uuid::now_v7()).await.unwrap();
    assert!(nobody.is_empty());
}

/// Assigning a role again replaces its expiry; unassigning takes it away once.
pub async fn assign_role_replaces_the_expiry_and_unassign_takes_it(store: Arc<dyn Store>) {
    let [holder] = users(&store, ["active"]).await;
    let temporary = role("temporary");
    let rows = Rows {
        roles: &[&temporary],
        ..Rows::default()
    };
    finish_change(rows.begin(&store).await).await;
    for hours in [Some(2), Some(-3), None, Some(5)] {
        assign(&store, holder, temporary.id, hours).await;
        let assignment = RoleAssignment {
            role_id: temporary.id,
            expires_at: hours.map(|hours| epoch() + Duration::hours(hours)),
        };
        let stored = store.rbac().user_assignments(holder).await.unwrap();
        assert_eq!(stored.roles, vec![assignment]);
    }
    let mut transaction = begin_change(&store).await;
    assert!(
        transaction
            .unassign_role(holder, temporary.id)
            .await
            .unwrap()
    );
    assert!(
        !transaction
            .unassign_role(holder, temporary.id)
            .await
            .unwrap()
    );
    finish_change(transaction).await;
    let stored = store.rbac().user_assignments(holder).await.unwrap();
    assert_eq!(stored, UserAssignments::default());
}

/// A user's assignments are their own direct roles (expired ones included) and groups.
pub async fn user_assignments_list_direct_roles_and_groups(store: Arc<dyn Store>) {
    let [holder, other] = users(&store, ["active", "active"]).await;
    let [r1, r2, r3] = ["r1", "r2", "r3"].map(role);
    let [g1, g2, g3] = ["g1", "g2", "g3"].map(group);
    let rows = Rows {
        roles: &[&r1, &r2, &r3],
        groups: &[&g1, &g2, &g3],
        ..Rows::default()
    };
    let mut transaction = rows.begin(&store).await;
    for (joined, member) in [(&g2, holder), (&g1, holder), (&g3, other)] {
        transaction
            .add_group_member(joined.id, member)
            .await
            .unwrap();
    }
    finish_change(transaction).await;
    assign(&store, holder, r2.id, Some(-1)).await;
    assign(&store, holder, r1.id, None).await;
    assign(&store, other, r3.id, None).await;

    let mut found = store.rbac().user_assignments(holder).await.unwrap();
    found.roles.sort_by_key(|assignment| assignment.role_id);
    found.groups.sort();
    let mut roles = vec![
        RoleAssignment {
            role_id: r1.id,
            expires_at: None,
        },
        RoleAssignment {
            role_id: r2.id,
            expires_at: Some(epoch() - Duration::hours(1)),
        },
    ];
    roles.sort_by_key(|assignment| assignment.role_id);
    let groups = sorted(vec![g1.id, g2.id]);
    assert_eq!(found, UserAssignments { roles, groups });
    let nobody = store.rbac().user_assignments(Uuid::now_v7()).await.unwrap();
    assert_eq!(nobody, UserAssignments::default());
}

/// Active holders are the active users who hold the role directly (unexpired) or through a
/// group, each once, sorted.
pub async fn active_holders_honour_expiry_groups_and_status(store: Arc<dyn Store>) {
    let now = epoch() + Duration::days(1);
    let statuses = [
        "active", "active", "active", "active", "active", "disabled", "locked", "active",
    ];
    let [
        forever,
        later,
        ended,
        grouped,
        both,
        disabled,
        locked,
        other_role,
    ] = users(&store, statuses).await;
    let (held, other) = (role("held"), role("other"));
    let (team, others) = (group("team"), group("others"));
    let rows = Rows {
        roles: &[&held, &other],
        groups: &[&team, &others],
        ..Rows::default()
    };
    let mut transaction = rows.begin(&store).await;
    transaction
        .set_group_roles(team.id, &[held.id])
        .await
        .unwrap();
    transaction
        .set_group_roles(others.id, &[other.id])
        .await
        .unwrap();
    let members = [(team.id, grouped), (team.id, both), (team.id, locked)];
    for (joined, member) in members.into_iter().chain([(others.id, other_role)]) {
        transaction.add_group_member(joined, member).await.unwrap();
    }
    let direct = [
        (forever, held.id, None),
        (later, held.id, Some(now + Duration::seconds(1))),
        (ended, held.id, Some(now)),
        (both, held.id, None),
        (disabled, held.id, None),
        (other_role, other.id, None),
    ];
    for (holder, role_id, expires_at) in direct {
        let assigned = transaction.assign_role(holder, role_id, expires_at, epoch());
        assigned.await.unwrap();
    }
    finish_change(transaction).await;

    let holders = |at: DateTime<Utc>| store.rbac().active_holders(held.id, at);
    let expected = sorted(vec![forever, later, grouped, both]);
    assert_eq!(holders(now).await.unwrap(), expected);
    let expected = sorted(vec![forever, later, ended, grouped, both]);
    assert_eq!(holders(now - Duration::seconds(1)).await.unwrap(), expected);
    let expected = sorted(vec![forever, grouped, both]);
    assert_eq!(holders(now + Duration::seconds(1)).await.unwrap(), expected);
    let no_one = store.rbac().active_holders(Uuid::now_v7(), now).await;
    assert!(no_one.unwrap().is_empty());
}
