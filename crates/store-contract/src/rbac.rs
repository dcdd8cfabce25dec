//! Contract: the authorization model (APIs, capabilities, roles, groups, assignments) and its
//! version. The tests live in the submodules; this module holds what they share.

mod assignments;
mod entities;
mod links;
mod version;

use std::sync::Arc;

use gatehouse_domain::store::{
    ApiRow, CapabilityRow, GroupRow, RbacModel, RoleRow, Store, Transaction,
};
use uuid::Uuid;

pub use assignments::{
    active_holders_honour_expiry_groups_and_status,
    assign_role_replaces_the_expiry_and_unassign_takes_it,
    group_members_are_added_once_and_removed, user_assignments_list_direct_roles_and_groups,
};
pub use entities::{
    entities_upsert_and_rename_round_trip, seed_is_present_after_migrate,
    taken_names_are_already_exists,
};
pub use links::{
    delete_role_removes_its_links_and_assignments, deletes_cascade_to_dependants,
    link_sets_are_replaced, links_to_unknown_rows_are_not_found,
};
pub use version::{
    bump_increments_and_a_rolled_back_change_leaves_nothing, concurrent_model_changes_take_turns,
};

/// A seeded row's fixed id: `00000000-0000-7000-8000-000000000<suffix>`.
fn seed_id(suffix: u128) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0000 | suffix)
}

/// The rows a test stores at the start of a change, before linking them.
#[derive(Default)]
struct Rows<'a> {
    apis: &'a [&'a ApiRow],
    capabilities: &'a [&'a CapabilityRow],
    roles: &'a [&'a RoleRow],
    groups: &'a [&'a GroupRow],
}

impl Rows<'_> {
    /// Begins a change (see [`begin_change`]) that stores these rows.
    async fn begin(self, store: &Arc<dyn Store>) -> Box<dyn Transaction> {
        let mut transaction = begin_change(store).await;
        for row in self.apis {
            transaction.upsert_api(row).await.unwrap();
        }
        for row in self.capabilities {
            transaction.upsert_capability(row).await.unwrap();
        }
        for row in self.roles {
            transaction.upsert_role(row).await.unwrap();
        }
        for row in self.groups {
            transaction.upsert_group(row).await.unwrap();
        }
        transaction
    }
}

/// Begins a transaction and locks the model in it.
async fn begin_change(store: &Arc<dyn Store>) -> Box<dyn Transaction> {
    let mut transaction = store.begin().await.unwrap();
    transaction.lock_rbac().await.unwrap();
    transaction
}

/// Bumps the model version and commits; returns the new version.
async fn finish_change(mut transaction: Box<dyn Transaction>) -> i64 {
    let version = transaction.bump_rbac_version().await.unwrap();
    transaction.commit().await.unwrap();
    version
}

async fn model(store: &Arc<dyn Store>) -> RbacModel {
    store.rbac().model().await.unwrap()
}

fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}

/// The pairs of `pairs` whose first id is `from`.
fn links_of(pairs: &[(Uuid, Uuid)], from: Uuid) -> Vec<(Uuid, Uuid)> {
    pairs
        .iter()
        .copied()
        .filter(|(id, _)| *id == from)
        .collect()
}

/// Whether any pair of the model mentions `id`.
fn mentioned(model: &RbacModel, id: Uuid) -> bool {
    [
        &model.role_capabilities,
        &model.role_includes,
        &model.group_roles,
    ]
    .into_iter()
    .flatten()
    .any(|(from, to)| *from == id || *to == id)
}
