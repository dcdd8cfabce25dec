//! `Idempotency-Key` on creates: the first successful answer to a key is stored (per caller,
//! with a digest of method, path and body) and replayed when the same request comes again with
//! the same key, so a client may retry a create whose answer it lost without creating twice.
//! The same key with another request is refused with 422. Stored answers are sealed under the
//! `tokens` data key (a client's creation answer carries its secret) and pruned with the OAuth
//! store's other expired rows.
//!
//! Requests with the same key are serialised on this node, so concurrent retries replay the
//! first answer; on several nodes at once, the store keeps the first answer and later requests
//! replay it, but two nodes may both have run the create.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock, PoisonError},
};

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, Request},
    http::{HeaderName, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use gatehouse_domain::{
    secrets::{purpose, sha256},
    store::IdempotentResponseRow,
};
use serde::de::DeserializeOwned;

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

/// One lock per (caller, key) while a request with it runs on this node.
fn key_lock(name: String) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    locks.retain(|_, lock| Arc::strong_count(lock) > 1);
    locks.entry(name).or_default().clone()
}

fn context(actor: &str, key: &str) -> Vec<u8> {
    [LABEL, actor.as_bytes(), b"\0", key.as_bytes()].concat()
}

/// Runs `create` once per idempotency key: the stored answer when the key was used with the
/// same request before, 422 when with another, otherwise `create`'s answer (stored when it
/// succeeded). Without a key, just `create`.
pub async fn once<T, F, Fut>(
    state: &AppState,
    caller: &ApiCaller,
    request: Create<T>,
    create: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(T) -> Fut,
    Fut: Future<Output = Result<(StatusCode, serde_json::Value), ApiError>>,
{
    let Create { body, key } = request;
    let Some((key, request_digest)) = key else {
        let (status, value) = create(body).await?;
        return Ok((status, Json(value)).into_response());
    };
    let actor = caller.actor_key();
    let lock = key_lock(format!("{actor}\0{key}"));
    let _held = lock.lock().await;
    let store = state.store.oauth();
    if let Some(stored) = store.idempotent_response(&actor, &key).await? {
        return replay(state, &actor, &key, &stored, &request_digest).await;
    }
    let (status, value) = create(body).await?;
    let text = value.to_string();
    let sealing = state.accounts.keyring.key(purpose::TOKENS).await?;
    let sealed = sealing.seal(text.as_bytes(), &context(&actor, &key))?;
    let row = IdempotentResponseRow {
        actor: actor.clone(),
        key: key.clone(),
        request_digest: request_digest.clone(),
        status: i32::from(status.as_u16()),
        body: URL_SAFE_NO_PAD.encode(sealed),
        created_at: state.accounts.clock.now(),
    };
    let mut transaction = state.store.begin().await?;
    let inserted = transaction.insert_idempotent_response(&row).await?;
    transaction.commit().await?;
    if !inserted && let Some(stored) = store.idempotent_response(&actor, &key).await? {
        // Another node stored an answer first: answer as it did.
        return replay(state, &actor, &key, &stored, &request_digest).await;
    }
    Ok((status, Json(value)).into_response())
}

async fn replay(
    state: &AppState,
    actor: &str,
    key: &str,
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
    let text = sealing.open(&sealed, &context(actor, key))?;
    let value: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|_| gatehouse_domain::DomainError::Key("stored answer unreadable".into()))?;
    let status = u16::try_from(stored.status)
        .ok()
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = (status, Json(value)).into_response();
    response
        .headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
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
    fn the_digest_covers_method_path_and_body() {
        let one = digest(&Method::POST, "/api/v1/users", b"{}");
        assert_eq!(one, digest(&Method::POST, "/api/v1/users", b"{}"));
        assert_ne!(one, digest(&Method::POST, "/api/v1/clients", b"{}"));
        assert_ne!(one, digest(&Method::POST, "/api/v1/users", b"{ }"));
    }
}
