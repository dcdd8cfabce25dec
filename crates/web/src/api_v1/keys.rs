//! `/api/v1/signing-keys`: the token-signing keys (never their private halves) and rotation.
//! A rotated-in key is published at once and signs after the publication lead, so relying
//! parties that cache JWKS see it before any token it signed.

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use gatehouse_domain::authorization::capability::{KEYS_READ, KEYS_ROTATE};
use gatehouse_domain::oauth::{jose::Algorithm, signing::KeyInfo};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, Page, problem};
use crate::{AppState, bearer::ApiCaller, input::ApiJson};

/// A token-signing key.
#[derive(Debug, Serialize, ToSchema)]
pub struct SigningKeyBody {
    /// The JWS `kid`.
    pub kid: String,
    /// `EdDSA`, `ES256` or `RS256`.
    pub alg: String,
    /// Made and published in JWKS.
    pub created_at: DateTime<Utc>,
    /// Signs from then.
    pub activates_at: DateTime<Utc>,
    /// Stops (or stopped) signing then.
    pub retired_at: Option<DateTime<Utc>>,
    /// Leaves JWKS then.
    pub expires_at: Option<DateTime<Utc>>,
    /// `next`, `active` or `retired`.
    pub state: String,
}

impl From<KeyInfo> for SigningKeyBody {
    fn from(key: KeyInfo) -> Self {
        Self {
            kid: key.kid,
            alg: key.alg.as_str().to_owned(),
            created_at: key.created_at,
            activates_at: key.activates_at,
            retired_at: key.retired_at,
            expires_at: key.expires_at,
            state: key.state.as_str().to_owned(),
        }
    }
}

/// Every signing key not yet removed, oldest first.
#[utoipa::path(get, path = "/api/v1/signing-keys", tag = "signing-keys", operation_id = "list_signing_keys",
    responses((status = 200, description = "The keys", body = Page<SigningKeyBody>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Page<SigningKeyBody>>, ApiError> {
    caller.operator(&state).await?.require(KEYS_READ)?;
    let keys = state.oauth.keys.list().await?;
    Ok(Json(Page {
        items: keys.into_iter().map(SigningKeyBody::from).collect(),
        next_cursor: None,
    }))
}

/// A token-signing algorithm.
#[derive(Debug, Serialize, ToSchema)]
pub enum SigningAlg {
    /// Ed25519.
    #[serde(rename = "EdDSA")]
    EdDsa,
    /// ECDSA on P-256.
    #[serde(rename = "ES256")]
    Es256,
    /// RSA PKCS#1 v1.5 with SHA-256.
    #[serde(rename = "RS256")]
    Rs256,
}

/// The algorithms to rotate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateBody {
    /// `EdDSA`, `ES256` and/or `RS256`.
    #[schema(value_type = Vec<SigningAlg>, min_items = 1, max_items = 3, example = json!(["EdDSA"]))]
    pub algorithms: Vec<String>,
}

/// Rotates the keys of each algorithm: a new key, published now, signing after the
/// publication lead; the current one retires then and stays published until its tokens
/// expired. Audited as `signing_key.rotated`.
#[utoipa::path(post, path = "/api/v1/signing-keys/rotate", tag = "signing-keys", request_body = RotateBody,
    responses((status = 200, description = "The new keys", body = Page<SigningKeyBody>)))]
pub async fn rotate(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(body): ApiJson<RotateBody>,
) -> Result<Json<Page<SigningKeyBody>>, ApiError> {
    let operator = caller.operator(&state).await?;
    operator.require(KEYS_ROTATE)?;
    if body.algorithms.is_empty() || body.algorithms.len() > Algorithm::ALL.len() {
        return Err(problem::invalid("algorithms", "one or more of EdDSA, ES256, RS256").into());
    }
    let mut algorithms = Vec::new();
    for name in &body.algorithms {
        let alg = Algorithm::parse(name).ok_or_else(|| {
            ApiError::from(problem::invalid(
                "algorithms",
                format!("unknown algorithm {name:?} (EdDSA, ES256 or RS256)"),
            ))
        })?;
        algorithms.push(alg);
    }
    let keys = state
        .oauth
        .keys
        .rotate(&algorithms, operator.actor.clone())
        .await?;
    Ok(Json(Page {
        items: keys.into_iter().map(SigningKeyBody::from).collect(),
        next_cursor: None,
    }))
}
