//! The OAuth 2.0 / OpenID Connect provider's state: registered clients, token-signing keys,
//! authorization codes, grants (a refresh-token family) and their refresh tokens, consents, and
//! the reservations and stored answers of idempotent management-API creates.
//!
//! Secrets are never stored in clear: a client secret is an HMAC digest, a signing key's
//! private half is sealed, codes and refresh tokens are SHA-256 digests. Every one-time value
//! (a code, a refresh token) is used up by one conditional update, so two nodes racing get one
//! success and the other learns that it came second.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreError;

/// A registered OAuth client (relying party or service account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRow {
    /// Internal id.
    pub id: Uuid,
    /// The public `client_id` (URL-safe, unique).
    pub client_id: String,
    /// Shown on the consent screen and in the console.
    pub name: String,
    /// Public clients (browser and native apps) hold no secret and must use PKCE.
    pub public: bool,
    /// A native app: its loopback redirect URIs may use any port.
    pub native: bool,
    /// HMAC-SHA-256 digest of the client secret (confidential clients with a secret).
    pub secret_mac: Option<Vec<u8>>,
    /// The one token-endpoint authentication method the client registered
    /// (`client_secret_basic`, `client_secret_post`, `private_key_jwt`, `none`); `None`: basic
    /// or post.
    pub auth_method: Option<String>,
    /// The client's public keys (a JWK Set, JSON text) for `private_key_jwt`.
    pub jwks: Option<String>,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Where RP-initiated logout may send the browser afterwards.
    pub post_logout_redirect_uris: Vec<String>,
    /// Allowed grant types (`authorization_code`, `refresh_token`, `client_credentials`).
    pub grant_types: Vec<String>,
    /// Scopes the client may request.
    pub scopes: Vec<String>,
    /// Scopes granted when a request names none.
    pub default_scopes: Vec<String>,
    /// API audiences the client may obtain tokens for (`gatehouse` only when allow-listed).
    pub audiences: Vec<String>,
    /// The audience of tokens requested without `resource`.
    pub default_audience: Option<String>,
    /// Browser origins allowed to call the token, userinfo, JWKS and discovery endpoints.
    pub web_origins: Vec<String>,
    /// `ask` (show the consent screen) or `skip` (first-party: consent implied).
    pub consent: String,
    /// `EdDSA`, `ES256` or `RS256`: how this client's tokens are signed.
    pub signing_alg: String,
    /// Access-token lifetime in seconds.
    pub access_token_ttl_secs: i64,
    /// Absolute refresh-token (grant) lifetime in seconds.
    pub refresh_token_ttl_secs: i64,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Disabled clients authenticate nowhere.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version, 1 on insert, +1 on each update.
    pub version: i64,
}

/// A client's logo, uploaded and served by Gatehouse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientLogoRow {
    /// Whose (the client's internal id).
    pub client_id: Uuid,
    /// `image/png`, `image/jpeg`, `image/webp` or `image/svg+xml`.
    pub content_type: String,
    /// The image.
    pub bytes: Vec<u8>,
    /// When uploaded.
    pub updated_at: DateTime<Utc>,
}

/// A token-signing key. Published in JWKS from `created_at`; signs from `activates_at` until a
/// newer key of its algorithm activates (`retired_at`); removed after `expires_at`, when every
/// token it signed has expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRow {
    /// Internal id.
    pub id: Uuid,
    /// The JWS `kid` (unique).
    pub kid: String,
    /// `EdDSA`, `ES256` or `RS256`.
    pub alg: String,
    /// The private key (PKCS#8 DER) sealed under the `signing-keys` data key with the kid as
    /// context.
    pub private_key: Vec<u8>,
    /// The public JWK (JSON text).
    pub public_jwk: String,
    /// Made and published.
    pub created_at: DateTime<Utc>,
    /// Signs from then.
    pub activates_at: DateTime<Utc>,
    /// Stopped signing (a newer key of the same algorithm took over).
    pub retired_at: Option<DateTime<Utc>>,
    /// Removed from JWKS after this.
    pub expires_at: Option<DateTime<Utc>>,
}

/// An authorization code between the authorization and the token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCodeRow {
    /// SHA-256 of the code (unique).
    pub code_hash: Vec<u8>,
    /// The grant the code's redemption creates (a second redemption revokes it).
    pub grant_id: Uuid,
    /// The client's internal id.
    pub client_id: Uuid,
    /// Who authorized.
    pub user_id: Uuid,
    /// The browser session it came from.
    pub session_id: Option<Uuid>,
    /// The redirect URI the authorization request named.
    pub redirect_uri: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// The access tokens' audience.
    pub audience: Option<String>,
    /// The request's `nonce`.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// When the user authenticated (`auth_time`).
    pub auth_time: DateTime<Utc>,
    /// How (`amr`, JSON array text).
    pub amr: String,
    /// `acr`, if one was reached.
    pub acr: Option<String>,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// Stops working (≤ 60 s after `created_at`).
    pub expires_at: DateTime<Utc>,
    /// When redeemed.
    pub consumed_at: Option<DateTime<Utc>>,
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeUse {
    /// This call redeemed it (expiry is the caller's to check).
    Fresh(AuthCodeRow),
    /// It was redeemed before.
    Used(AuthCodeRow),
    /// No such code.
    Unknown,
}

/// A grant: what one authorization (or one client-credentials service) holds, and the family
/// of refresh tokens issued under it. Revoking it ends every token of the family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRow {
    /// Id (also carried in the access tokens issued under it).
    pub id: Uuid,
    /// The client's internal id.
    pub client_id: Uuid,
    /// Whose.
    pub user_id: Option<Uuid>,
    /// The browser session it came from (logout of that session ends it).
    pub session_id: Option<Uuid>,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// The access tokens' audience.
    pub audience: Option<String>,
    /// `auth_time` of the authentication behind it.
    pub auth_time: DateTime<Utc>,
    /// `amr`, JSON array text.
    pub amr: String,
    /// `acr`.
    pub acr: Option<String>,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// Absolute end: no refresh after this.
    pub expires_at: DateTime<Utc>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why (`refresh_reuse`, `code_reuse`, `revoked`, `logout`, `consent_revoked`,
    /// `user_disabled`, `signed_out_everywhere`…).
    pub revoke_reason: Option<String>,
}

/// A refresh token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRow {
    /// SHA-256 of the token (unique).
    pub token_hash: Vec<u8>,
    /// Its family.
    pub grant_id: Uuid,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// When exchanged for its successor.
    pub used_at: Option<DateTime<Utc>>,
}

/// What presenting a refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshUse {
    /// This call used it up; here is its grant (revocation and expiry are the caller's to
    /// check).
    Fresh(GrantRow),
    /// It was used before: a replay. The grant it belongs to.
    Used(GrantRow),
    /// No such token.
    Unknown,
}

/// Remembered consent: a user let a client have a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRow {
    /// Who.
    pub user_id: Uuid,
    /// The client's internal id.
    pub client_id: Uuid,
    /// One scope.
    pub scope: String,
    /// When.
    pub granted_at: DateTime<Utc>,
}

/// An idempotent create's key: first a pending reservation, taken before the create runs so
/// that only one request (on any node) runs it; then the stored answer, replayed when the same
/// key comes again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponseRow {
    /// Who asked (a user or client id as text), so keys of different callers never collide.
    pub actor: String,
    /// The `Idempotency-Key` header.
    pub key: String,
    /// SHA-256 of method, path and body: the same key with another request is refused.
    pub request_digest: Vec<u8>,
    /// The answer's status code (0 while pending).
    pub status: i32,
    /// The answer's body (empty while pending).
    pub body: String,
    /// When the key was reserved (kept when the answer is stored): a reservation still pending
    /// long after this was abandoned by its node and may be taken over.
    pub created_at: DateTime<Utc>,
    /// When the answer was stored; `None` while the reservation is pending (the create runs).
    pub completed_at: Option<DateTime<Utc>>,
}

impl IdempotentResponseRow {
    /// True while the create that reserved the key has not answered yet.
    pub fn is_pending(&self) -> bool {
        self.completed_at.is_none()
    }
}

/// Stand-alone OAuth reads and maintenance.
#[async_trait]
pub trait OAuthStore: Send + Sync {
    /// Every client, by name then id.
    async fn clients(&self) -> Result<Vec<ClientRow>, StoreError>;

    /// The client with this public `client_id`.
    async fn client_by_client_id(&self, client_id: &str) -> Result<Option<ClientRow>, StoreError>;

    /// The client with this internal id.
    async fn client_by_id(&self, id: Uuid) -> Result<Option<ClientRow>, StoreError>;

    /// The roles a client's service account holds (its client-credentials tokens carry their
    /// capabilities).
    async fn client_roles(&self, id: Uuid) -> Result<Vec<Uuid>, StoreError>;

    /// A client's logo.
    async fn client_logo(&self, id: Uuid) -> Result<Option<ClientLogoRow>, StoreError>;

    /// Every signing key not yet deleted, oldest first.
    async fn signing_keys(&self) -> Result<Vec<SigningKeyRow>, StoreError>;

    /// Deletes signing keys whose `expires_at` is before `now`. Returns how many.
    async fn prune_signing_keys(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;

    /// A grant by id.
    async fn grant(&self, id: Uuid) -> Result<Option<GrantRow>, StoreError>;

    /// The refresh token with this digest and its grant.
    async fn refresh_token(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<(RefreshTokenRow, GrantRow)>, StoreError>;

    /// The user's live grants (not revoked, `expires_at > now`), newest first.
    async fn grants_for_user(
        &self,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<GrantRow>, StoreError>;

    /// The scopes `user_id` consented to for `client_id`.
    async fn consented_scopes(
        &self,
        user_id: Uuid,
        client_id: Uuid,
    ) -> Result<Vec<String>, StoreError>;

    /// Every consent of the user, by client then scope.
    async fn consents_for_user(&self, user_id: Uuid) -> Result<Vec<ConsentRow>, StoreError>;

    /// The stored answer, or the pending reservation, for `(actor, key)`.
    async fn idempotent_response(
        &self,
        actor: &str,
        key: &str,
    ) -> Result<Option<IdempotentResponseRow>, StoreError>;

    /// Deletes codes that expired before `before`, grants (with their refresh tokens) that
    /// expired or were revoked before `before`, and idempotent answers and reservations made
    /// (`created_at`) before `before`.
    /// Returns how many rows went.
    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// OAuth changes inside a use case's transaction.
#[async_trait]
pub trait OAuthWrites: Send {
    /// Inserts a client (`version` as given, normally 1). A taken `client_id` is
    /// [`StoreError::AlreadyExists`].
    async fn insert_client(&mut self, row: &ClientRow) -> Result<(), StoreError>;

    /// Replaces every field of the client with `row.id` if its stored version is
    /// `expected_version`, storing `row.version` (the caller sets it to expected + 1). False
    /// when the client is gone or was changed meanwhile.
    async fn update_client(
        &mut self,
        row: &ClientRow,
        expected_version: i64,
    ) -> Result<bool, StoreError>;

    /// Deletes a client with everything that hangs off it (roles, logo, codes, grants,
    /// refresh tokens, consents). True when it existed.
    async fn delete_client(&mut self, id: Uuid) -> Result<bool, StoreError>;

    /// Replaces the roles of a client's service account.
    async fn set_client_roles(&mut self, id: Uuid, roles: &[Uuid]) -> Result<(), StoreError>;

    /// Stores (or replaces) a client's logo.
    async fn set_client_logo(&mut self, row: &ClientLogoRow) -> Result<(), StoreError>;

    /// Removes a client's logo. True when there was one.
    async fn delete_client_logo(&mut self, id: Uuid) -> Result<bool, StoreError>;

    /// Inserts a signing key.
    async fn insert_signing_key(&mut self, row: &SigningKeyRow) -> Result<(), StoreError>;

    /// Sets `retired_at` and `expires_at` of every key of `alg` other than `except` that has
    /// no `retired_at` yet. Returns how many.
    async fn retire_signing_keys(
        &mut self,
        alg: &str,
        except: Uuid,
        retired_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Inserts an authorization code.
    async fn insert_code(&mut self, row: &AuthCodeRow) -> Result<(), StoreError>;

    /// Redeems the code with this digest: one conditional update sets `consumed_at = now`
    /// where it is unset. [`CodeUse::Used`] when it was set before.
    async fn redeem_code(
        &mut self,
        code_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<CodeUse, StoreError>;

    /// Inserts a grant.
    async fn insert_grant(&mut self, row: &GrantRow) -> Result<(), StoreError>;

    /// Inserts a refresh token.
    async fn insert_refresh_token(&mut self, row: &RefreshTokenRow) -> Result<(), StoreError>;

    /// Uses the refresh token with this digest: one conditional update sets `used_at = now`
    /// where it is unset. [`RefreshUse::Used`] when it was set before (also when a concurrent
    /// call set it first).
    async fn use_refresh_token(
        &mut self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<RefreshUse, StoreError>;

    /// Revokes a grant unless already revoked. True when this call revoked it.
    async fn revoke_grant(
        &mut self,
        id: Uuid,
        now: DateTime<Utc>,
        reason: &str,
    ) -> Result<bool, StoreError>;

    /// Revokes the user's unrevoked grants, only those of `client_id` when given. Returns
    /// their ids.
    async fn revoke_user_grants(
        &mut self,
        user_id: Uuid,
        client_id: Option<Uuid>,
        now: DateTime<Utc>,
        reason: &str,
    ) -> Result<Vec<Uuid>, StoreError>;

    /// Revokes the unrevoked grants that came from this browser session. Returns their ids.
    async fn revoke_session_grants(
        &mut self,
        session_id: Uuid,
        now: DateTime<Utc>,
        reason: &str,
    ) -> Result<Vec<Uuid>, StoreError>;

    /// Records consent to each scope (already consented ones keep their time).
    async fn grant_consent(
        &mut self,
        user_id: Uuid,
        client_id: Uuid,
        scopes: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Forgets every consent of the user for the client. Returns how many scopes.
    async fn revoke_consent(&mut self, user_id: Uuid, client_id: Uuid) -> Result<u64, StoreError>;

    /// Stores `row` as given: a pending reservation (`completed_at` unset) before the create
    /// runs, or an answer at once. False when `(actor, key)` is already stored, pending or
    /// completed (another request with the same key came first: of several racing, exactly one
    /// gets true; the others read the stored row).
    async fn insert_idempotent_response(
        &mut self,
        row: &IdempotentResponseRow,
    ) -> Result<bool, StoreError>;

    /// Replaces the pending reservation of `(row.actor, row.key)` with `row` if it was made
    /// before `abandoned_before` (its node died while the create ran), in one conditional
    /// update: of several callers racing, exactly one gets true. False when the stored row is
    /// completed, was reserved at or after `abandoned_before`, or is gone.
    async fn take_over_idempotent_response(
        &mut self,
        row: &IdempotentResponseRow,
        abandoned_before: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Stores the answer (`status`, `body`, `completed_at`, which the caller sets) into the
    /// pending reservation that `row` made: the one with its `actor`, `key`, `request_digest`
    /// and `created_at`. False when that reservation is no longer pending (completed, released,
    /// taken over or pruned meanwhile).
    async fn complete_idempotent_response(
        &mut self,
        row: &IdempotentResponseRow,
    ) -> Result<bool, StoreError>;

    /// Deletes the pending reservation that `row` made (matched as by
    /// [`complete_idempotent_response`](Self::complete_idempotent_response)), so that the key
    /// may be used again: the create failed on the server's side. False when there is no such
    /// pending reservation; a completed answer is never deleted.
    async fn release_idempotent_response(
        &mut self,
        row: &IdempotentResponseRow,
    ) -> Result<bool, StoreError>;
}
