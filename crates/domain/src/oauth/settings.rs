//! The provider's settings (`oidc.*` configuration).

use std::time::Duration;

use super::jose::Algorithm;
use super::signing::KeySettings;

/// How the OAuth provider behaves.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// The issuer identifier: the public URL, without a trailing slash.
    pub issuer: String,
    /// How long an authorization code works (at most 60 s).
    pub code_ttl: Duration,
    /// Access-token lifetime of clients that set none.
    pub access_token_ttl: Duration,
    /// The longest access-token lifetime a client may set.
    pub max_access_token_ttl: Duration,
    /// ID-token lifetime.
    pub id_token_ttl: Duration,
    /// Absolute refresh-token (grant) lifetime of clients that set none.
    pub refresh_token_ttl: Duration,
    /// How long a paused authorization request (waiting for sign-in or consent) stays valid.
    pub request_ttl: Duration,
    /// The signing algorithm of clients that name none.
    pub default_signing_alg: Algorithm,
    /// Signing-key publication, retention and rotation.
    pub keys: KeySettings,
    /// How long this node trusts its cached copy of a client, a grant's revocation state or a
    /// verified token's liveness.
    pub cache_ttl: Duration,
}

impl OAuthSettings {
    /// Settings for `issuer` with every other value at its default.
    pub fn new(issuer: &str) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            code_ttl: Duration::from_secs(60),
            access_token_ttl: Duration::from_secs(600),
            max_access_token_ttl: Duration::from_secs(24 * 3600),
            id_token_ttl: Duration::from_secs(3600),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            request_ttl: Duration::from_secs(30 * 60),
            default_signing_alg: Algorithm::EdDsa,
            keys: KeySettings {
                publish_lead: Duration::from_secs(600),
                retain: Duration::from_secs(24 * 3600),
                rotation_period: Duration::from_secs(90 * 24 * 3600),
                reload_interval: Duration::from_secs(5),
            },
            cache_ttl: Duration::from_secs(1),
        }
    }

    /// The URL of an endpoint path (`/oauth2/token`).
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}
