//! `Idempotency-Key` on creates: the answer to a key is stored (per caller, with a digest of
//! method, path and body) and replayed when the same request comes again with the same key, so
//! a client may retry a create whose answer it lost without creating twice. The same key with
//! another request is refused with 422. Stored answers are sealed under the `tokens` data key (a
//! client's creation answer carries its secret) and pruned with the OAuth store's other expired
//! rows.
//!
//! Before the create runs, its request reserves the key in the store (a pending row, committed
//! in a transaction of its own): of several requests with one key, on any number of nodes,
//! exactly one reserves it and runs the create. Another one meanwhile gets 409
//! `idempotency_key_in_progress` with `Retry-After: 1`, and the replay once the answer is
//! stored. The answer completes the reservation: a success, or a 4xx refusal (the same request
//! would be refused the same way again). A server fault (5xx), 408 or 429 releases it instead,
//! so that a retry runs the create again. The create runs in a task of its own, so a client
//! that hangs up, or the request timeout, cannot leave the reservation pending.
//!
//! A reservation still pending [`ABANDONED_AFTER`] after it was made belongs to a node that
//! died during the create: the next request with the key takes it over (one conditional update,
//! so one of several takers wins) and runs the create, which then happens twice if the dead
//! node had committed it before dying. On one node, requests with one key also wait for each
//! other, so concurrent retries there get the replay rather than 409.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use axum::{
    Json,
    body::{Body, Bytes},
    extract::{FromRequest, Request},
    http::{HeaderName, HeaderValue, Method, StatusCode, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, TimeDelta};
use gatehouse_domain::{
    secrets::{purpose, sha256},
    store::IdempotentResponseRow,
};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use super::ApiError;
use crate::{AppState, Problem, bearer::ApiCaller, input::decode_json};

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// Set on a replayed answer.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// Longest key accepted.
const MAX_KEY: usize = 255;
/// Bound into every sealed answer.
const LABEL: &[u8] = b"gatehouse idempotent response\0";
/// How long a reservation may stay pending before it counts as abandoned by a dead node and is
/// taken over: far longer than a create takes on a live node.
pub const ABANDONED_AFTER: TimeDelta = TimeDelta::minutes(5);
/// `Retry-After` of 409 `idempotency_key_in_progress`.
const IN_PROGRESS_RETRY_AFTER_SECS: u32 = 1;
/// How often a request tries to reserve a key that another one released meanwhile.
const RESERVE_ATTEMPTS: usize = 3;
/// Largest refusal (problem) body stored for replay.
const MAX_STORED_REFUSAL: usize = 64 * 1024;

/// A create's JSON body, with its idempotency key and request digest when a key was sent.
#[derive(Debug)]
pub struct Create<T> {
    /// The decoded body.
    pub body: T,
    key: Option<(String, Vec<u8>)>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Create<T> {
    type Rejection = Response;

    async fn from_request(request: Request, _state: &AppState) -> Result<Self, Response> {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let headers = request.headers().clone();
        let key = match headers.get(HEADER) {
            None => None,
            Some(value) => Some(valid_key(value).ok_or_else(|| {
                Problem::new(StatusCode::BAD_REQUEST)
                    .code("invalid_idempotency_key")
                    .detail("Idempotency-Key: 1 to 255 visible ASCII characters")
                    .into_response()
            })?),
        };
        let bytes = Bytes::from_request(request, &())
            .await
            .map_err(|rejection| {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE)
                    .code("body_too_large")
                    .detail(rejection.body_text())
                    .into_response()
            })?;
        let body =
            decode_json(&headers, &bytes).map_err(|error| ApiError::from(error).into_response())?;
        let key = key.map(|key| (key, digest(&method, &path, &bytes)));
        Ok(Self { body, key })
    }
}

fn valid_key(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    (!text.is_empty() && text.len() <= MAX_KEY && text.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| text.to_owned())
}

fn digest(method: &Method, path: &str, body: &[u8]) -> Vec<u8> {
    sha256(
        &[
            method.as_str().as_bytes(),
            b" ",
            path.as_bytes(),
            b"\n",
            body,
        ]
        .concat(),
    )
}

/// One lock per (caller, key) while a request with it runs on this node: each node (each
/// [`AppState`]) has its own, so requests reaching different nodes meet only in the store.
#[derive(Debug, Default)]
pub(crate) struct KeyLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl KeyLocks {
    /// The lock of `name`, made on first use and forgotten when no request holds it.
    fn get(&self, name: String) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        locks.entry(name).or_default().clone()
    }
}

fn context(actor: &str, key: &str) -> Vec<u8> {
    [LABEL, actor.as_bytes(), b"\0", key.as_bytes()].concat()
}

/// Runs `create` once per idempotency key: the stored answer when the key was used with the
/// same request before, 422 when with another, 409 while a request with the key runs,
/// otherwise `create`'s answer (stored unless it is a server fault or asks to try later).
/// Without a key, just `create`. `create` gets a clone of the state: with a key, it runs in a
/// task of its own.
pub async fn once<T, F, Fut>(
    state: &AppState,
    caller: &ApiCaller,
    request: Create<T>,
    create: F,
) -> Result<Response, ApiError>
where
    T: Send + 'static,
    F: FnOnce(AppState, T) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(StatusCode, serde_json::Value), ApiError>> + Send + 'static,
{
    let Create { body, key } = request;
    let Some((key, request_digest)) = key else {
        let (status, value) = create(state.clone(), body).await?;
        return Ok((status, Json(value)).into_response());
    };
    let reservation = IdempotentResponseRow {
        actor: caller.actor_key(),
        key,
        request_digest,
        status: 0,
        body: String::new(),
        created_at: DateTime::UNIX_EPOCH, // set once the node's turn has come
        completed_at: None,
    };
    // Detached from the request: once reserved, the key is completed or released even when
    // the client hangs up or the request times out.
    let task = tokio::spawn(
        keyed(state.clone(), reservation, body, create).instrument(tracing::Span::current()),
    );
    match task.await {
        Ok(answer) => answer,
        Err(failure) => {
            tracing::error!(error = %failure, "an idempotent create did not finish");
            Err(Problem::new(StatusCode::INTERNAL_SERVER_ERROR).into())
        }
    }
}

/// [`once`] with a key: reserve it, run `create`, complete or release the reservation.
async fn keyed<T, F, Fut>(
    state: AppState,
    mut reservation: IdempotentResponseRow,
    body: T,
    create: F,
) -> Result<Response, ApiError>
where
    T: Send + 'static,
    F: FnOnce(AppState, T) -> Fut,
    Fut: Future<Output = Result<(StatusCode, serde_json::Value), ApiError>> + Send + 'static,
{
    let name = format!("{}\0{}", reservation.actor, reservation.key);
    let lock = state.idempotency_locks.get(name);
    let _held = lock.lock().await;
    reservation.created_at = state.accounts.clock.now();
    if let Some(answer) = reserve(&state, &reservation).await? {
        return Ok(answer);
    }
    // A task of its own again, so that a panic in `create` still releases the key.
    let response = match tokio::spawn(create(state.clone(), body)).await {
        Ok(Ok((status, value))) => {
            complete(&state, &reservation, status, &value).await;
            return Ok((status, Json(value)).into_response());
        }
        Ok(Err(error)) => error.into_response(),
        Err(failure) => {
            tracing::error!(error = %failure, "an idempotent create failed");
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR).into_response()
        }
    };
    if !storable(response.status()) {
        release(&state, &reservation).await;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_STORED_REFUSAL).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "an idempotent create's refusal is unreadable");
            release(&state, &reservation).await;
            return Err(Problem::new(StatusCode::INTERNAL_SERVER_ERROR).into());
        }
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(value) => complete(&state, &reservation, parts.status, &value).await,
        Err(_) => release(&state, &reservation).await,
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// Whether an answer is stored for replay: not when retrying may change it (a server fault,
/// a timeout, a rate limit).
fn storable(status: StatusCode) -> bool {
    !(status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS)
}

/// Reserves the key; `None` when this request did. Otherwise the answer for this request: the
/// replay of the stored answer (or 422 for another request), or 409 while the create of the
/// request holding the key runs. A reservation abandoned by a dead node is taken over.
async fn reserve(
    state: &AppState,
    reservation: &IdempotentResponseRow,
) -> Result<Option<Response>, ApiError> {
    let abandoned_before = reservation.created_at - ABANDONED_AFTER;
    for _ in 0..RESERVE_ATTEMPTS {
        let mut transaction = state.store.begin().await?;
        let reserved = transaction.insert_idempotent_response(reservation).await?;
        transaction.commit().await?;
        if reserved {
            return Ok(None);
        }
        let stored = state
            .store
            .oauth()
            .idempotent_response(&reservation.actor, &reservation.key)
            .await?;
        let Some(stored) = stored else {
            continue; // released (or pruned) meanwhile: reserve again
        };
        if !stored.is_pending() {
            return replay(state, &stored, &reservation.request_digest)
                .await
                .map(Some);
        }
        if stored.created_at >= abandoned_before {
            return Err(in_progress());
        }
        let mut transaction = state.store.begin().await?;
        let taken = transaction
            .take_over_idempotent_response(reservation, abandoned_before)
            .await?;
        transaction.commit().await?;
        if taken {
            tracing::warn!(
                reserved_at = %stored.created_at,
                "took over an idempotency key whose create never answered"
            );
            return Ok(None);
        }
        // Another request took it over, completed or released it meanwhile: look again.
    }
    Err(in_progress())
}

fn in_progress() -> ApiError {
    Problem::new(StatusCode::CONFLICT)
        .code("idempotency_key_in_progress")
        .detail("a request with this key is still running; retry later")
        .retry_after(IN_PROGRESS_RETRY_AFTER_SECS)
        .into()
}

/// Stores the answer into the reservation. A failure here is logged, not answered: the create
/// happened, and the reservation stays pending (a retry gets 409, then takes it over once it
/// counts as abandoned).
async fn complete(
    state: &AppState,
    reservation: &IdempotentResponseRow,
    status: StatusCode,
    value: &serde_json::Value,
) {
    match try_complete(state, reservation, status, value).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            "an idempotent create answered after its reservation was taken over; its answer \
             is not stored"
        ),
        Err(error) => tracing::error!(%error, "an idempotent create's answer was not stored"),
    }
}

async fn try_complete(
    state: &AppState,
    reservation: &IdempotentResponseRow,
    status: StatusCode,
    value: &serde_json::Value,
) -> Result<bool, gatehouse_domain::DomainError> {
    let sealing = state.accounts.keyring.key(purpose::TOKENS).await?;
    let context = context(&reservation.actor, &reservation.key);
    let sealed = sealing.seal(value.to_string().as_bytes(), &context)?;
    let answer = IdempotentResponseRow {
        status: i32::from(status.as_u16()),
        body: URL_SAFE_NO_PAD.encode(sealed),
        completed_at: Some(state.accounts.clock.now()),
        ..reservation.clone()
    };
    let mut transaction = state.store.begin().await?;
    let completed = transaction.complete_idempotent_response(&answer).await?;
    transaction.commit().await?;
    Ok(completed)
}

/// Deletes the reservation after a failure that a retry may not meet, so that the retry runs
/// the create. A failure here is logged: the reservation stays until it counts as abandoned.
async fn release(state: &AppState, reservation: &IdempotentResponseRow) {
    let released = async {
        let mut transaction = state.store.begin().await?;
        let released = transaction.release_idempotent_response(reservation).await?;
        transaction.commit().await?;
        Ok::<_, gatehouse_domain::StoreError>(released)
    };
    match released.await {
        Ok(true) => {}
        Ok(false) => tracing::warn!("an idempotency reservation was taken over before release"),
        Err(error) => tracing::error!(%error, "an idempotency reservation was not released"),
    }
}

/// The stored answer for a request with its key: replayed (a refusal as a problem) when the
/// request is the same, 422 when another.
async fn replay(
    state: &AppState,
    stored: &IdempotentResponseRow,
    request_digest: &[u8],
) -> Result<Response, ApiError> {
    if stored.request_digest != request_digest {
        return Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY)
            .code("idempotency_key_reused")
            .detail("this Idempotency-Key was used with another request")
            .into());
    }
    let sealing = state.accounts.keyring.key(purpose::TOKENS).await?;
    let sealed = URL_SAFE_NO_PAD
        .decode(&stored.body)
        .map_err(|_| gatehouse_domain::DomainError::Key("stored answer unreadable".into()))?;
    let text = sealing.open(&sealed, &context(&stored.actor, &stored.key))?;
    let value: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|_| gatehouse_domain::DomainError::Key("stored answer unreadable".into()))?;
    let status = u16::try_from(stored.status)
        .ok()
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = (status, Json(value)).into_response();
    let headers = response.headers_mut();
    if status.is_client_error() {
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        let ok = HeaderValue::from_static("a1-B2_c3.4");
        assert_eq!(valid_key(&ok).as_deref(), Some("a1-B2_c3.4"));
        for bad in ["", "with space"] {
            assert!(
                valid_key(&HeaderValue::from_str(bad).unwrap()).is_none(),
                "{bad:?}"
            );
        }
        assert!(valid_key(&HeaderValue::from_str(&"k".repeat(256)).unwrap()).is_none());
    }

    #[test]
    fn only_answers_a_retry_would_get_again_are_stored() {
        for status in [
            StatusCode::OK,
            StatusCode::CREATED,
            StatusCode::BAD_REQUEST,
            StatusCode::FORBIDDEN,
            StatusCode::CONFLICT,
            StatusCode::UNPROCESSABLE_ENTITY,
        ] {
            assert!(storable(status), "{status}");
        }
        for status in [
            StatusCode::REQUEST_TIMEOUT,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::SERVICE_UNAVAILABLE,
        ] {
            assert!(!storable(status), "{status}");
        }
    }

    #[test]
    fn the_digest_covers_method_path_and_body() {
        let one = digest(&Method::POST, "/api/v1/users", b"{}");
        assert_eq!(one, digest(&Method::POST, "/api/v1/users", b"{}"));
        assert_ne!(one, digest(&Method::POST, "/api/v1/clients", b"{}"));
        assert_ne!(one, digest(&Method::POST, "/api/v1/users", b"{ }"));
    }
}
