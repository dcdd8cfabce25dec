//! Searching users: each filter alone and together, the text query (case-insensitive, with `%`,
//! `_` and `\` matching themselves), and paging with the cursor.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::store::{Store, UserFilter, UserRow};
use uuid::Uuid;

use crate::fixtures::{epoch, group, insert_user, role, user};

/// The users the search tests look for, in id order (each made after the one before), and the
/// roles the third and fifth hold directly.
struct People {
    all: Vec<UserRow>,
    role: Uuid,
    other_role: Uuid,
}

impl People {
    /// The normalised emails of the named users (by local part), in id order.
    fn named(&self, names: &[&str]) -> Vec<String> {
        self.all
            .iter()
            .map(|row| row.email_normalized.clone())
            .filter(|email| {
                names
                    .iter()
                    .any(|name| email.starts_with(&format!("{name}@")))
            })
            .collect()
    }
}

fn person(
    local: &str,
    display_name: Option<&str>,
    status: &str,
    verified: bool,
    days: i64,
) -> UserRow {
    let created_at = epoch() + Duration::days(days);
    UserRow {
        display_name: display_name.map(str::to_owned),
        status: status.to_owned(),
        email_verified_at: verified.then_some(created_at),
        created_at,
        updated_at: created_at,
        ..user(&format!("{local}@example.test"))
    }
}

/// Stores six users: `anna` (active, verified), `bob` (disabled), `carl_x` (holds the role
/// directly), `dana` (locked, holds the role only through a group), `e100` (holds the other
/// role) and `calax` (pending deletion), made a day apart.
async fn people(store: &Arc<dyn Store>) -> People {
    let rows = [
        person("anna", Some("Anna Smith"), "active", true, 0),
        person("bob", Some("Bob 100% Jones"), "disabled", false, 1),
        person("carl_x", None, "active", true, 2),
        person("dana", Some("Dana\\Back"), "locked", false, 3),
        person("e100", None, "active", true, 4),
        person("calax", Some("Lax ✓"), "pending_deletion", true, 5),
    ];
    let mut all = Vec::new();
    for row in rows {
        all.push(insert_user(store, row).await);
    }
    all.sort_by_key(|row| row.id);
    let (held, other, team) = (role("searched"), role("other"), group("team"));
    let holder = |name: &str| {
        all.iter()
            .find(|row| row.email_normalized.starts_with(name))
            .map(|row| row.id)
            .unwrap()
    };
    let (carl, dana, e100) = (holder("carl_x@"), holder("dana@"), holder("e100@"));
    let mut transaction = store.begin().await.unwrap();
    transaction.lock_rbac().await.unwrap();
    transaction.upsert_role(&held).await.unwrap();
    transaction.upsert_role(&other).await.unwrap();
    transaction.upsert_group(&team).await.unwrap();
    transaction
        .set_group_roles(team.id, &[held.id])
        .await
        .unwrap();
    transaction.add_group_member(team.id, dana).await.unwrap();
    transaction
        .assign_role(carl, held.id, None, epoch())
        .await
        .unwrap();
    // An expired assignment is still held directly: the search does not look at expiry.
    let expired = Some(epoch() - Duration::days(1));
    transaction
        .assign_role(e100, other.id, expired, epoch())
        .await
        .unwrap();
    transaction.bump_rbac_version().await.unwrap();
    transaction.commit().await.unwrap();
    People {
        all,
        role: held.id,
        other_role: other.id,
    }
}

/// The normalised emails of every user matching `filter`, in one page.
async fn found(store: &Arc<dyn Store>, filter: &UserFilter) -> Vec<String> {
    let rows = store.users().search(filter, None, 100).await.unwrap();
    rows.into_iter().map(|row| row.email_normalized).collect()
}

fn day(days: i64) -> Option<DateTime<Utc>> {
    Some(epoch() + Duration::days(days))
}

/// Each filter keeps the users it names: status, verified email, a role held directly (not
/// through a group), creation from (inclusive) and before (exclusive); set together, every one
/// must match. No filter finds every user, exactly as stored.
pub async fn search_filters_by_every_field(store: Arc<dyn Store>) {
    let people = people(&store).await;
    let everyone = store
        .users()
        .search(&UserFilter::default(), None, 100)
        .await
        .unwrap();
    assert_eq!(everyone, people.all);

    let cases = [
        (
            UserFilter {
                status: Some("disabled".to_owned()),
                ..UserFilter::default()
            },
            vec!["bob"],
        ),
        (
            UserFilter {
                status: Some("active".to_owned()),
                ..UserFilter::default()
            },
            vec!["anna", "carl_x", "e100"],
        ),
        (
            UserFilter {
                status: Some("Active".to_owned()),
                ..UserFilter::default()
            },
            vec![],
        ),
        (
            UserFilter {
                email_verified: Some(true),
                ..UserFilter::default()
            },
            vec!["anna", "carl_x", "e100", "calax"],
        ),
        (
            UserFilter {
                email_verified: Some(false),
                ..UserFilter::default()
            },
            vec!["bob", "dana"],
        ),
        (
            UserFilter {
                role_id: Some(people.role),
                ..UserFilter::default()
            },
            vec!["carl_x"],
        ),
        (
            UserFilter {
                role_id: Some(people.other_role),
                ..UserFilter::default()
            },
            vec!["e100"],
        ),
        (
            UserFilter {
                role_id: Some(Uuid::now_v7()),
                ..UserFilter::default()
            },
            vec![],
        ),
        (
            UserFilter {
                created_from: day(2),
                ..UserFilter::default()
            },
            vec!["carl_x", "dana", "e100", "calax"],
        ),
        (
            UserFilter {
                created_before: day(2),
                ..UserFilter::default()
            },
            vec!["anna", "bob"],
        ),
        (
            UserFilter {
                created_from: day(1),
                created_before: day(3),
                ..UserFilter::default()
            },
            vec!["bob", "carl_x"],
        ),
        (
            UserFilter {
                status: Some("active".to_owned()),
                email_verified: Some(true),
                role_id: Some(people.role),
                ..UserFilter::default()
            },
            vec!["carl_x"],
        ),
        (
            UserFilter {
                query: Some("EXAMPLE".to_owned()),
                status: Some("active".to_owned()),
                created_from: day(1),
                ..UserFilter::default()
            },
            vec!["carl_x", "e100"],
        ),
        (
            UserFilter {
                query: Some("anna".to_owned()),
                status: Some("disabled".to_owned()),
                ..UserFilter::default()
            },
            vec![],
        ),
    ];
    for (filter, names) in cases {
        assert_eq!(
            found(&store, &filter).await,
            people.named(&names),
            "{filter:?}"
        );
    }
}

/// The query is a case-insensitive substring of the normalised email or of the display name;
/// `%`, `_` and `\` in it match only themselves.
pub async fn search_query_is_a_case_insensitive_substring_with_literal_wildcards(
    store: Arc<dyn Store>,
) {
    let people = people(&store).await;
    let everyone = vec!["anna", "bob", "carl_x", "dana", "e100", "calax"];
    let cases = [
        ("ANNA", vec!["anna"]),
        ("smith", vec!["anna"]),
        ("Ith", vec!["anna"]),
        ("jones", vec!["bob"]),
        ("100%", vec!["bob"]),
        ("%", vec!["bob"]),
        ("l_x", vec!["carl_x"]),
        ("_", vec!["carl_x"]),
        ("\\", vec!["dana"]),
        ("A\\b", vec!["dana"]),
        ("100", vec!["bob", "e100"]),
        ("lax ✓", vec!["calax"]),
        ("EXAMPLE.test", everyone.clone()),
        ("", everyone),
        ("nobody", vec![]),
        ("an%a", vec![]),
        ("a_na", vec![]),
    ];
    for (query, names) in cases {
        let filter = UserFilter {
            query: Some(query.to_owned()),
            ..UserFilter::default()
        };
        assert_eq!(
            found(&store, &filter).await,
            people.named(&names),
            "{query:?}"
        );
    }
}

/// Pages hold at most `limit` users in id order, each starting after the cursor (which need
/// not match the filter itself); paging through a filter finds what one page finds.
pub async fn search_pages_with_the_cursor(store: Arc<dyn Store>) {
    let people = people(&store).await;
    let users = store.users();
    let all = UserFilter::default();
    let first = users.search(&all, None, 2).await.unwrap();
    assert_eq!(first, people.all[..2].to_vec());
    let second = users.search(&all, Some(first[1].id), 2).await.unwrap();
    assert_eq!(second, people.all[2..4].to_vec());
    let third = users.search(&all, Some(second[1].id), 5).await.unwrap();
    assert_eq!(third, people.all[4..].to_vec());
    let last = people.all[5].id;
    assert!(users.search(&all, Some(last), 2).await.unwrap().is_empty());
    assert!(users.search(&all, None, 0).await.unwrap().is_empty());

    let verified = UserFilter {
        email_verified: Some(true),
        ..UserFilter::default()
    };
    let mut paged = Vec::new();
    let mut cursor = None;
    loop {
        let page = users.search(&verified, cursor, 1).await.unwrap();
        let Some(row) = page.last() else { break };
        assert_eq!(page.len(), 1);
        cursor = Some(row.id);
        paged.push(row.email_normalized.clone());
    }
    assert_eq!(paged, found(&store, &verified).await);
    assert_eq!(paged.len(), 4);
    // `bob` is not verified; the page after him starts with the next verified user.
    let after_bob = users
        .search(&verified, Some(people.all[1].id), 10)
        .await
        .unwrap();
    let after_bob: Vec<_> = after_bob
        .into_iter()
        .map(|row| row.email_normalized)
        .collect();
    assert_eq!(after_bob, people.named(&["carl_x", "e100", "calax"]));
}
