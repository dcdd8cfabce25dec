//! The OAuth 2.0 / OpenID Connect provider: clients, signing keys, the authorization code flow
//! with PKCE, the token endpoint's grants, introspection, revocation, userinfo, consent and
//! RP-initiated logout.
//!
//! Every use case takes the [`OAuth`] deps. Hot paths (client-credentials grants,
//! introspection, bearer verification) read per-node caches that live for
//! [`OAuthSettings::cache_ttl`], so they touch the database at most once a second per client,
//! grant or token.

mod authorize;
mod cache;
mod client_auth;
mod clients;
mod consent;
mod error;
mod grants;
mod introspect;
pub mod jose;
mod logout;
mod operator;
pub mod pkce;
pub mod redirect_uri;
mod scope;
mod settings;
pub mod signing;
mod tokens;
mod userinfo;

use std::sync::Arc;

pub use authorize::{
    ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR, AuthorizationRequest, AuthorizeOutcome, Interaction,
    PendingRequest, ResponseMode, Resumption, authorize, decide_consent, resume,
};
pub use cache::TokenCache;
pub use client_auth::{ClientCredentials, authenticate_client};
pub use clients::{
    AuthMethod, Client, ClientChange, ClientError, ClientSpec, ConsentMode, CreatedClient,
    GrantType, create_client, delete_client, get_client, list_clients, rotate_client_secret,
    set_client_logo, update_client,
};
pub use consent::{ConsentEntry, list_consents, revoke_consent};
pub use error::{ErrorCode, OAuthError};
pub use grants::{GrantCounts, TokenRequest, TokenResponse, exchange, flush_grant_counts};
pub use introspect::{Introspection, introspect, revoke};
pub use logout::{LogoutOutcome, LogoutRequest, logout, revoke_all_grants};
pub use operator::{Forbidden, Operator};
pub use settings::OAuthSettings;
pub use tokens::{AccessClaims, VerifiedToken, verify_access_token};
pub use userinfo::userinfo;

use crate::{Clock, authorization::Authorizer, secrets::Keyring, store::Store};
use cache::ClientCache;
use signing::SigningKeys;

/// What the OAuth use cases need.
#[derive(Debug, Clone)]
pub struct OAuth {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Data keys (client-secret digests, sealed signing keys, audit personal data).
    pub keyring: Arc<Keyring>,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// Users' capabilities (carried in access tokens).
    pub authorizer: Arc<Authorizer>,
    /// Behaviour.
    pub settings: Arc<OAuthSettings>,
    /// Token-signing keys.
    pub keys: Arc<SigningKeys>,
    /// This node's copy of clients.
    clients: Arc<ClientCache>,
    /// This node's verified tokens and grant states.
    pub tokens: Arc<TokenCache>,
    /// Client-credentials grants not yet audited.
    grant_counts: Arc<GrantCounts>,
}

impl OAuth {
    /// The deps over `store`.
    pub fn new(
        store: Arc<dyn Store>,
        keyring: Arc<Keyring>,
        clock: Arc<dyn Clock>,
        authorizer: Arc<Authorizer>,
        settings: OAuthSettings,
    ) -> Self {
        let keys = Arc::new(SigningKeys::new(
            store.clone(),
            keyring.clone(),
            clock.clone(),
            settings.keys.clone(),
        ));
        let ttl = settings.cache_ttl;
        Self {
            store,
            keyring,
            clock,
            authorizer,
            settings: Arc::new(settings),
            keys,
            clients: Arc::new(ClientCache::new(ttl)),
            tokens: Arc::new(TokenCache::new(ttl)),
            grant_counts: Arc::default(),
        }
    }
}
