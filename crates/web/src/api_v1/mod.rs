//! The management REST API under `/api/v1`: users (search, create, read, change, disable,
//! enable, delete), their sessions, second factors and roles; APIs, capabilities, roles and
//! groups; OAuth clients; token-signing keys; the audit log; and the check API.
//!
//! Every route is declared in `declared.rs` with the capability it needs; the route guard
//! authenticates the caller (a Gatehouse-issued bearer token for the audience `gatehouse`, or
//! the session cookie with the CSRF header) and checks that capability before a handler runs,
//! handing it an [`ApiCaller`](crate::bearer::ApiCaller). Handlers are thin: decode, call the
//! domain use case (which checks its capability again), encode. Errors are RFC 9457 problems
//! (`problem`); lists are cursor-paginated (`Page`); creates honour `Idempotency-Key`
//! (`idempotency`). The OpenAPI 3.1 document is generated from these handlers (`openapi`).

pub mod audit;
pub mod authorize;
pub mod clients;
pub mod docs;
pub mod idempotency;
pub mod keys;
pub mod openapi;
pub mod problem;
pub mod rbac;
pub mod users;

use axum::{
    extract::{FromRequestParts, Path},
    http::{StatusCode, request::Parts},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::Problem;
pub use problem::ApiError;

/// Items per page when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most items one page holds.
pub const MAX_LIMIT: u32 = 200;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Cursor pagination: `cursor` from the previous page's `next_cursor`, `limit` 1 to 200.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The previous page's `next_cursor`.
    #[param(max_length = 64)]
    pub cursor: Option<String>,
    /// Items per page (1 to 200; default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

impl PageQuery {
    /// The page size asked for, within bounds; 422 beyond them.
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
            Some(_) => Err(problem::invalid("limit", "between 1 and 200").into()),
        }
    }

    /// The id the cursor names (lists ordered by id).
    pub fn after_id(&self) -> Result<Option<Uuid>, ApiError> {
        self.cursor
            .as_deref()
            .map(|cursor| {
                decode_cursor(cursor)
                    .and_then(|bytes| Uuid::from_slice(&bytes).ok())
                    .ok_or_else(bad_cursor)
            })
            .transpose()
    }
}

fn bad_cursor() -> ApiError {
    Problem::new(StatusCode::BAD_REQUEST)
        .code("invalid_cursor")
        .detail("the cursor is not one this API gave out")
        .into()
}

fn decode_cursor(cursor: &str) -> Option<Vec<u8>> {
    (cursor.len() <= 64)
        .then(|| URL_SAFE_NO_PAD.decode(cursor).ok())
        .flatten()
}

/// The opaque cursor for "after this id".
pub fn id_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// The opaque cursor for "before this position" (the audit log, newest first).
pub fn position_cursor(position: i64) -> String {
    URL_SAFE_NO_PAD.encode(position.to_be_bytes())
}

/// The position a position cursor names.
pub fn cursor_position(cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    cursor
        .map(|cursor| {
            decode_cursor(cursor)
                .and_then(|bytes| <[u8; 8]>::try_from(bytes.as_slice()).ok())
                .map(i64::from_be_bytes)
                .ok_or_else(bad_cursor)
        })
        .transpose()
}

/// One page of `items` (each with an id, in id order) after the cursor.
pub fn page_by_id<T>(
    mut items: Vec<T>,
    id: impl Fn(&T) -> Uuid,
    query: &PageQuery,
) -> Result<Page<T>, ApiError> {
    let limit = query.limit()? as usize;
    items.sort_by_key(&id);
    if let Some(after) = query.after_id()? {
        items.retain(|item| id(item) > after);
    }
    let more = items.len() > limit;
    items.truncate(limit);
    let next_cursor = if more {
        items.last().map(|item| id_cursor(id(item)))
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// Query parameters decoded at the edge; refusals are problems.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(Self)
            .map_err(|error| {
                Problem::new(StatusCode::BAD_REQUEST)
                    .code("invalid_query")
                    .detail(error.to_string())
                    .into()
            })
    }
}

/// Path parameters decoded at the edge; refusals are problems.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(Problem::new(StatusCode::BAD_REQUEST)
                .code("invalid_path")
                .detail(rejection.body_text())
                .into()),
        }
    }
}

/// The RFC 9457 problem body, as the OpenAPI document describes it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDoc {
    /// `about:blank`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// A stable machine-readable code (`not_found`, `forbidden`, `invalid_token`, …).
    pub code: Option<String>,
    /// A human-readable explanation.
    pub detail: Option<String>,
    /// Field errors.
    pub errors: Option<Vec<FieldProblemDoc>>,
}

/// One field's problem.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = FieldProblem)]
pub struct FieldProblemDoc {
    /// The request member.
    pub field: String,
    /// A stable code.
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let id = Uuid::now_v7();
        let query = PageQuery {
            cursor: Some(id_cursor(id)),
            limit: None,
        };
        assert_eq!(query.after_id().unwrap(), Some(id));
        assert_eq!(
            cursor_position(Some(&position_cursor(42))).unwrap(),
            Some(42)
        );
        for garbage in ["!!", "AAAA", &"A".repeat(100)] {
            let query = PageQuery {
                cursor: Some(garbage.to_owned()),
                limit: None,
            };
            assert!(query.after_id().is_err(), "{garbage}");
        }
        assert!(cursor_position(Some("AAAA")).is_err());
    }

    #[test]
    fn pages_hold_at_most_the_limit_and_continue_after_the_cursor() {
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        let query = PageQuery {
            cursor: None,
            limit: Some(2),
        };
        let first = page_by_id(ids.clone(), |id| *id, &query).unwrap();
        assert_eq!(first.items, ids[..2]);
        let next = PageQuery {
            cursor: first.next_cursor,
            limit: Some(2),
        };
        let second = page_by_id(ids.clone(), |id| *id, &next).unwrap();
        assert_eq!(second.items, ids[2..4]);
        let last = PageQuery {
            cursor: second.next_cursor,
            limit: Some(2),
        };
        let third = page_by_id(ids.clone(), |id| *id, &last).unwrap();
        assert_eq!((third.items, third.next_cursor), (ids[4..].to_vec(), None));
        for limit in [0, 201] {
            let query = PageQuery {
                cursor: None,
                limit: Some(limit),
            };
            assert!(query.limit().is_err());
        }
    }
}
