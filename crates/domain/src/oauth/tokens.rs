//! Issuing and verifying tokens: access tokens as JWTs per RFC 9068 (`typ` `at+jwt`) carrying
//! the subject's capabilities for the token's audience, ID tokens per OpenID Connect Core, and
//! the verification of access tokens presented back to Gatehouse (userinfo, introspection, the
//! management API), cached per node by the token's digest until it expires.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use aws_lc_rs::digest;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{
    OAuth, OAuthError,
    clients::Client,
    jose::{self, Algorithm},
    scope,
};
use crate::{DomainError, store::UserRow};

/// The claims of a Gatehouse access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The issuer.
    pub iss: String,
    /// The user id, or the `client_id` of a client acting for itself.
    pub sub: String,
    /// The audience: an API identifier, or the client's own id when no API was asked for.
    pub aud: String,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Unique id.
    pub jti: String,
    /// The client it was issued to.
    pub client_id: String,
    /// Granted scopes, space-separated.
    #[serde(default)]
    pub scope: String,
    /// The subject's capabilities for `aud`.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// When the user authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The authentication context reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// How the user authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// The grant it was issued under (revoking the grant ends the token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<Uuid>,
}

impl AccessClaims {
    /// The user the token acts for (`None`: a client acting for itself).
    pub fn user_id(&self) -> Option<Uuid> {
        if self.sub == self.client_id {
            return None;
        }
        Uuid::parse_str(&self.sub).ok()
    }
}

/// An access token that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// Its claims.
    pub claims: AccessClaims,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// Who a token is for.
#[derive(Debug, Clone, Copy)]
pub(super) enum Subject {
    /// A user.
    User(Uuid),
    /// The client itself (client credentials).
    Client,
}

/// How the user authenticated, for tokens issued on their behalf.
#[derive(Debug, Clone)]
pub(super) struct Authentication {
    pub auth_time: DateTime<Utc>,
    pub amr: Vec<String>,
    pub acr: Option<String>,
}

/// What goes into one access token.
pub(super) struct AccessToken<'a> {
    pub client: &'a Client,
    pub subject: Subject,
    pub scope: &'a str,
    pub audience: &'a str,
    pub capabilities: &'a BTreeSet<String>,
    pub authentication: Option<&'a Authentication>,
    pub grant: Option<Uuid>,
}

fn random_jti() -> Result<String, DomainError> {
    let mut bytes = [0u8; 16];
    crate::secrets::random_bytes(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// Signs an access token; returns it with its lifetime in seconds.
pub(super) async fn issue_access_token(
    deps: &OAuth,
    token: AccessToken<'_>,
) -> Result<(String, i64), DomainError> {
    let now = deps.clock.now().timestamp();
    let ttl = token.client.row.access_token_ttl_secs;
    let sub = match token.subject {
        Subject::User(user) => user.to_string(),
        Subject::Client => token.client.client_id().to_owned(),
    };
    let claims = AccessClaims {
        iss: deps.settings.issuer.clone(),
        sub,
        aud: token.audience.to_owned(),
        exp: now + ttl,
        iat: now,
        jti: random_jti()?,
        client_id: token.client.client_id().to_owned(),
        scope: token.scope.to_owned(),
        capabilities: token.capabilities.iter().cloned().collect(),
        auth_time: token
            .authentication
            .map(|authentication| authentication.auth_time.timestamp()),
        acr: token
            .authentication
            .and_then(|authentication| authentication.acr.clone()),
        amr: token
            .authentication
            .map(|authentication| authentication.amr.clone()),
        gid: token.grant,
    };
    let signer = deps.keys.signer(token.client.alg).await?;
    let jwt = signer.sign("at+jwt", &claims)?;
    Ok((jwt, ttl))
}

/// The left half of the token's digest under the hash of `alg` (OpenID Connect Core §3.1.3.6;
/// SHA-512 for Ed25519).
pub(super) fn half_hash(alg: Algorithm, value: &str) -> String {
    let algorithm = match alg {
        Algorithm::EdDsa => &digest::SHA512,
        Algorithm::Es256 | Algorithm::Rs256 => &digest::SHA256,
    };
    let hash = digest::digest(algorithm, value.as_bytes());
    let bytes = hash.as_ref();
    URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2])
}

/// The standard claims `scope` releases about `user` (OpenID Connect Core §5.4).
pub(super) fn user_claims(user: &UserRow, scope_text: &str, claims: &mut Map<String, Value>) {
    if scope::contains(scope_text, "profile") {
        let mut put = |name: &str, value: &Option<String>| {
            if let Some(value) = value {
                claims.insert(name.to_owned(), Value::String(value.clone()));
            }
        };
        put("name", &user.display_name);
        put("given_name", &user.given_name);
        put("family_name", &user.family_name);
        put("locale", &user.locale);
        put("picture", &user.picture_url);
        claims.insert("updated_at".to_owned(), json!(user.updated_at.timestamp()));
    }
    if scope::contains(scope_text, "email") {
        claims.insert("email".to_owned(), json!(user.email));
        claims.insert(
            "email_verified".to_owned(),
            json!(user.email_verified_at.is_some()),
        );
    }
}

/// What goes into one ID token.
pub(super) struct IdToken<'a> {
    pub client: &'a Client,
    pub user: &'a UserRow,
    pub scope: &'a str,
    pub authentication: &'a Authentication,
    pub nonce: Option<&'a str>,
    pub access_token: &'a str,
}

/// Signs an ID token.
pub(super) async fn issue_id_token(
    deps: &OAuth,
    token: IdToken<'_>,
) -> Result<String, DomainError> {
    let now = deps.clock.now().timestamp();
    let client_id = token.client.client_id();
    let mut claims = Map::new();
    claims.insert("iss".to_owned(), json!(deps.settings.issuer));
    claims.insert("sub".to_owned(), json!(token.user.id.to_string()));
    claims.insert("aud".to_owned(), json!(client_id));
    claims.insert("azp".to_owned(), json!(client_id));
    claims.insert(
        "exp".to_owned(),
        json!(now + seconds(deps.settings.id_token_ttl)),
    );
    claims.insert("iat".to_owned(), json!(now));
    claims.insert(
        "auth_time".to_owned(),
        json!(token.authentication.auth_time.timestamp()),
    );
    claims.insert("amr".to_owned(), json!(token.authentication.amr));
    if let Some(acr) = &token.authentication.acr {
        claims.insert("acr".to_owned(), json!(acr));
    }
    if let Some(nonce) = token.nonce {
        claims.insert("nonce".to_owned(), json!(nonce));
    }
    claims.insert(
        "at_hash".to_owned(),
        json!(half_hash(token.client.alg, token.access_token)),
    );
    user_claims(token.user, token.scope, &mut claims);
    let signer = deps.keys.signer(token.client.alg).await?;
    signer.sign("JWT", &Value::Object(claims))
}

fn token_digest(token: &str) -> [u8; 32] {
    let hash = digest::digest(&digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(hash.as_ref());
    out
}

/// Verifies an access token Gatehouse issued: signature by a published key, `typ` `at+jwt`,
/// issuer, expiry; then that it is still live (its grant not revoked, its client not
/// disabled). Verified tokens are cached by digest until they expire; liveness is rechecked at
/// most once per cache TTL.
pub async fn verify_access_token(
    deps: &OAuth,
    token: &str,
) -> Result<Arc<VerifiedToken>, OAuthError> {
    let invalid = || OAuthError::token("the access token is invalid or expired");
    let now = deps.clock.now();
    let digest = token_digest(token);
    let verified = match deps.tokens.verified(&digest) {
        Some(verified) => verified,
        None => {
            let verified = Arc::new(verify_signature(deps, token, now).await?);
            let lifetime = (verified.expires_at - now).to_std().unwrap_or_default();
            deps.tokens
                .remember_verified(digest, verified.clone(), lifetime);
            verified
        }
    };
    if verified.expires_at <= now {
        return Err(invalid());
    }
    if !live(deps, &verified.claims).await? {
        return Err(invalid());
    }
    Ok(verified)
}

async fn verify_signature(
    deps: &OAuth,
    token: &str,
    now: DateTime<Utc>,
) -> Result<VerifiedToken, OAuthError> {
    let invalid = || OAuthError::token("the access token is invalid or expired");
    let unverified = jose::decode(token).map_err(|_| invalid())?;
    let Some(kid) = unverified.header.kid.as_deref() else {
        return Err(invalid());
    };
    let Some(key) = deps.keys.public_key(kid).await? else {
        return Err(invalid());
    };
    let claims = jose::verify(token, |_| Some(&*key), Some("at+jwt")).map_err(|_| invalid())?;
    jose::Validation {
        issuer: &deps.settings.issuer,
        audience: None,
        now,
        leeway_secs: 0,
    }
    .validate(&claims)
    .map_err(|_| invalid())?;
    let claims: AccessClaims =
        serde_json::from_value(Value::Object(claims)).map_err(|_| invalid())?;
    let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or_else(invalid)?;
    Ok(VerifiedToken { claims, expires_at })
}

/// Whether the token's grant (if any) is unrevoked and its client enabled.
async fn live(deps: &OAuth, claims: &AccessClaims) -> Result<bool, DomainError> {
    if let Some(grant) = claims.gid
        && !grant_live(deps, grant).await?
    {
        return Ok(false);
    }
    let client = super::client_auth::load_client(deps, &claims.client_id).await?;
    Ok(client.is_some_and(|cached| !cached.client.disabled()))
}

/// Whether a grant is unrevoked, through this node's cache.
pub(super) async fn grant_live(deps: &OAuth, grant: Uuid) -> Result<bool, DomainError> {
    if let Some(live) = deps.tokens.grant_live(grant) {
        return Ok(live);
    }
    let live = deps
        .store
        .oauth()
        .grant(grant)
        .await?
        .is_some_and(|row| row.revoked_at.is_none());
    deps.tokens.remember_grant(grant, live);
    Ok(live)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_the_left_half_of_the_algorithms_hash() {
        // OpenID Connect Core §3.1.3.6 with SHA-256: 16 of 32 bytes; Ed25519 uses SHA-512.
        let token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
        let sha256 = digest::digest(&digest::SHA256, token.as_bytes());
        assert_eq!(
            half_hash(Algorithm::Es256, token),
            URL_SAFE_NO_PAD.encode(&sha256.as_ref()[..16])
        );
        assert_eq!(
            half_hash(Algorithm::Rs256, token),
            half_hash(Algorithm::Es256, token)
        );
        let sha512 = digest::digest(&digest::SHA512, token.as_bytes());
        assert_eq!(
            half_hash(Algorithm::EdDsa, token),
            URL_SAFE_NO_PAD.encode(&sha512.as_ref()[..32])
        );
    }

    #[test]
    fn a_client_token_has_no_user() {
        let mut claims = AccessClaims {
            iss: "https://id.example.com".into(),
            sub: "client-1".into(),
            aud: "orders".into(),
            exp: 2,
            iat: 1,
            jti: "j".into(),
            client_id: "client-1".into(),
            scope: String::new(),
            capabilities: vec![],
            auth_time: None,
            acr: None,
            amr: None,
            gid: None,
        };
        assert_eq!(claims.user_id(), None);
        let user = Uuid::now_v7();
        claims.sub = user.to_string();
        assert_eq!(claims.user_id(), Some(user));
    }
}
