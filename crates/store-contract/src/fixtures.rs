//! Builders for rows the contract tests store.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use gatehouse_domain::store::{
    ApiRow, AuditRow, CapabilityRow, GroupRow, NewJob, RoleRow, Store, UserRow, new_id,
};
use uuid::Uuid;

/// A fixed instant the tests count from.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::microseconds(123_456)
}

/// An unchained audit row with every optional field set.
pub fn audit_row(action: &str, occurred_at: DateTime<Utc>) -> AuditRow {
    AuditRow {
        id: new_id(),
        position: 0,
        occurred_at,
        actor_kind: "user".to_owned(),
        actor_id: Some(new_id().to_string()),
        action: action.to_owned(),
        target: Some("user:ünïcode ✓".to_owned()),
        outcome: "success".to_owned(),
        request_id: Some(new_id().to_string()),
        subject_id: Some(Uuid::now_v7()),
        details: Some(r#"{"z":1,"a":[true,null],"s":"x\"y"}"#.to_owned()),
        personal: Some(vec![1, 2, 3, 0, 255]),
        personal_digest: Some(vec![9; 32]),
        chain_seq: None,
        chain_mac: None,
    }
}

/// A job of `kind` in `queue`, due at `run_at`.
pub fn job(kind: &str, queue: &str, run_at: DateTime<Utc>) -> NewJob {
    NewJob {
        id: new_id(),
        kind: kind.to_owned(),
        queue: queue.to_owned(),
        payload: serde_json::json!({ "kind": kind, "n": 1 }),
        run_at,
        max_attempts: 3,
        unique_key: None,
        created_at: run_at,
    }
}

/// An active, non-administrator user with every optional field set. `email` is the normalised
/// address; the typed one differs only in case.
pub fn user(email: &str) -> UserRow {
    UserRow {
        id: new_id(),
        email: email.to_uppercase(),
        email_normalized: email.to_owned(),
        email_verified_at: Some(epoch() - Duration::days(1)),
        display_name: Some("Zoë Ünïcode ✓".to_owned()),
        given_name: Some("Zoë".to_owned()),
        family_name: Some("Ünïcode".to_owned()),
        locale: Some("de-CH".to_owned()),
        picture_url: Some("https://example.invalid/p.png".to_owned()),
        attributes: r#"{"team":"blue","n":[1,2]}"#.to_owned(),
        status: "active".to_owned(),
        is_admin: false,
        created_at: epoch(),
        updated_at: epoch(),
        last_sign_in_at: Some(epoch() - Duration::hours(1)),
    }
}

/// Inserts `row` in its own committed transaction and returns it.
pub async fn insert_user(store: &Arc<dyn Store>, row: UserRow) -> UserRow {
    let mut transaction = store.begin().await.unwrap();
    transaction.insert_user(&row).await.unwrap();
    transaction.commit().await.unwrap();
    row
}

/// A non-system API with this audience, created at [`epoch`].
pub fn api(audience: &str) -> ApiRow {
    ApiRow {
        id: new_id(),
        audience: audience.to_owned(),
        name: format!("API {audience}"),
        description: format!("What {audience} serves ✓"),
        system: false,
        created_at: epoch(),
        updated_at: epoch(),
    }
}

/// A non-system capability of the API `api_id`, created at [`epoch`].
pub fn capability(api_id: Uuid, name: &str) -> CapabilityRow {
    CapabilityRow {
        id: new_id(),
        api_id,
        name: name.to_owned(),
        description: format!("Allows {name}"),
        system: false,
        created_at: epoch(),
        updated_at: epoch(),
    }
}

/// A non-system role at version 1, created at [`epoch`].
pub fn role(name: &str) -> RoleRow {
    RoleRow {
        id: new_id(),
        name: name.to_owned(),
        description: format!("Holders of {name}"),
        system: false,
        version: 1,
        created_at: epoch(),
        updated_at: epoch(),
    }
}

/// A group at version 1, created at [`epoch`].
pub fn group(name: &str) -> GroupRow {
    GroupRow {
        id: new_id(),
        name: name.to_owned(),
        description: format!("Members of {name}"),
        version: 1,
        created_at: epoch(),
        updated_at: epoch(),
    }
}
