//! Diffing the current model against the target and writing the difference.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{ImportPlan, invalid, target};
use crate::{
    DomainError,
    audit::{Actor, AuditEvent, record},
    authorization::ModelDocument,
    secrets::Keyring,
    store::{RbacModel, Store, Transaction},
};

fn links(pairs: &[(Uuid, Uuid)], owner: Uuid) -> BTreeSet<Uuid> {
    pairs
        .iter()
        .filter(|(o, _)| *o == owner)
        .map(|(_, target)| *target)
        .collect()
}

/// System entries must come out of an import exactly as they went in.
fn check_system_unchanged(current: &RbacModel, target: &RbacModel) -> Result<(), DomainError> {
    for role in current.roles.iter().filter(|role| role.system) {
        let after = target.roles.iter().find(|row| row.id == role.id);
        let same = after.is_some_and(|after| after.description == role.description)
            && links(&current.role_capabilities, role.id)
                == links(&target.role_capabilities, role.id)
            && links(&current.role_includes, role.id) == links(&target.role_includes, role.id);
        if !same {
            return Err(invalid(format!(
                "system role {:?} cannot be changed",
                role.name
            )));
        }
    }
    for capability in current.capabilities.iter().filter(|row| row.system) {
        if !target.capabilities.contains(capability) {
            return Err(invalid(format!(
                "system capability {:?} cannot be changed",
                capability.name
            )));
        }
    }
    for api in current.apis.iter().filter(|row| row.system) {
        let after = target.apis.iter().find(|row| row.id == api.id);
        if after.is_none_or(|after| after.name != api.name || after.description != api.description)
        {
            return Err(invalid(format!(
                "system API {:?} cannot be changed",
                api.audience
            )));
        }
    }
    Ok(())
}

/// One line per change, in apply order.
fn diff(current: &RbacModel, target: &RbacModel) -> Vec<String> {
    let mut changes = Vec::new();
    let mut compare = |kind: &str,
                       before: BTreeMap<Uuid, (String, String)>,
                       after: BTreeMap<Uuid, (String, String)>| {
        for (id, (name, content)) in &after {
            match before.get(id) {
                None => changes.push(format!("+ {kind} {name}")),
                Some((_, old)) if old != content => changes.push(format!("~ {kind} {name}")),
                Some(_) => {}
            }
        }
        for (id, (name, _)) in &before {
            if !after.contains_key(id) {
                changes.push(format!("- {kind} {name}"));
            }
        }
    };
    let apis = |model: &RbacModel| {
        model
            .apis
            .iter()
            .map(|row| {
                (
                    row.id,
                    (
                        row.audience.clone(),
                        format!("{}\n{}", row.name, row.description),
                    ),
                )
            })
            .collect()
    };
    let capabilities = |model: &RbacModel| {
        model
            .capabilities
            .iter()
            .map(|row| {
                (
                    row.id,
                    (
                        row.name.clone(),
                        format!("{}\n{}", row.api_id, row.description),
                    ),
                )
            })
            .collect()
    };
    let roles = |model: &RbacModel| {
        model
            .roles
            .iter()
            .map(|row| {
                (
                    row.id,
                    (
                        row.name.clone(),
                        format!(
                            "{}\n{:?}\n{:?}",
                            row.description,
                            links(&model.role_capabilities, row.id),
                            links(&model.role_includes, row.id)
                        ),
                    ),
                )
            })
            .collect()
    };
    let groups = |model: &RbacModel| {
        model
            .groups
            .iter()
            .map(|row| {
                (
                    row.id,
                    (
                        row.name.clone(),
                        format!(
                            "{}\n{:?}",
                            row.description,
                            links(&model.group_roles, row.id)
                        ),
                    ),
                )
            })
            .collect()
    };
    compare("api", apis(current), apis(target));
    compare("capability", capabilities(current), capabilities(target));
    compare("role", roles(current), roles(target));
    compare("group", groups(current), groups(target));
    changes
}

async fn write(
    transaction: &mut dyn Transaction,
    current: &RbacModel,
    target: &RbacModel,
) -> Result<(), DomainError> {
    for api in target.apis.iter().filter(|row| !current.apis.contains(row)) {
        transaction.upsert_api(api).await?;
    }
    for capability in target
        .capabilities
        .iter()
        .filter(|row| !current.capabilities.contains(row))
    {
        transaction.upsert_capability(capability).await?;
    }
    for role in target
        .roles
        .iter()
        .filter(|row| !current.roles.contains(row))
    {
        transaction.upsert_role(role).await?;
    }
    for group in target
        .groups
        .iter()
        .filter(|row| !current.groups.contains(row))
    {
        transaction.upsert_group(group).await?;
    }
    for role in target.roles.iter().filter(|role| !role.system) {
        let (wanted, had) = (
            links(&target.role_capabilities, role.id),
            links(&current.role_capabilities, role.id),
        );
        if wanted != had {
            transaction
                .set_role_capabilities(role.id, &wanted.into_iter().collect::<Vec<_>>())
                .await?;
        }
        let (wanted, had) = (
            links(&target.role_includes, role.id),
            links(&current.role_includes, role.id),
        );
        if wanted != had {
            transaction
                .set_role_includes(role.id, &wanted.into_iter().collect::<Vec<_>>())
                .await?;
        }
    }
    for group in &target.groups {
        let (wanted, had) = (
            links(&target.group_roles, group.id),
            links(&current.group_roles, group.id),
        );
        if wanted != had {
            transaction
                .set_group_roles(group.id, &wanted.into_iter().collect::<Vec<_>>())
                .await?;
        }
    }
    let kept = |ids: Vec<Uuid>| -> BTreeSet<Uuid> { ids.into_iter().collect() };
    let (groups, roles) = (
        kept(target.groups.iter().map(|r| r.id).collect()),
        kept(target.roles.iter().map(|r| r.id).collect()),
    );
    let (capabilities, apis) = (
        kept(target.capabilities.iter().map(|r| r.id).collect()),
        kept(target.apis.iter().map(|r| r.id).collect()),
    );
    for group in current
        .groups
        .iter()
        .filter(|row| !groups.contains(&row.id))
    {
        transaction.delete_group(group.id).await?;
    }
    for role in current.roles.iter().filter(|row| !roles.contains(&row.id)) {
        transaction.delete_role(role.id).await?;
    }
    for capability in current
        .capabilities
        .iter()
        .filter(|row| !capabilities.contains(&row.id))
    {
        transaction.delete_capability(capability.id).await?;
    }
    for api in current.apis.iter().filter(|row| !apis.contains(&row.id)) {
        transaction.delete_api(api.id).await?;
    }
    Ok(())
}

/// Plans (and with `apply`, makes) the changes that bring the model in line with `document`,
/// atomically, audited as `rbac.imported`.
pub async fn import_model(
    store: &dyn Store,
    keyring: &Keyring,
    now: DateTime<Utc>,
    document: &ModelDocument,
    prune: bool,
    apply: bool,
) -> Result<ImportPlan, DomainError> {
    let mut transaction = store.begin().await?;
    transaction.lock_rbac().await?;
    let current = store.rbac().model().await?;
    let target = target(&current, document, prune, now)?;
    check_system_unchanged(&current, &target)?;
    let changes = diff(&current, &target);
    if !apply || changes.is_empty() {
        transaction.rollback().await?;
        return Ok(ImportPlan {
            changes,
            applied_version: None,
        });
    }
    write(&mut *transaction, &current, &target).await?;
    let version = transaction.bump_rbac_version().await?;
    let mut event = AuditEvent::new(Actor::System, "rbac.imported");
    event.details =
        Some(serde_json::json!({ "changes": changes, "prune": prune, "version": version }));
    record(&mut *transaction, keyring, now, event).await?;
    transaction.commit().await?;
    Ok(ImportPlan {
        changes,
        applied_version: Some(version),
    })
}
