//! Registered clients: the model parsed from the stored row, and the administration use cases
//! (create, change, rotate the secret, set the logo, delete). Secrets are generated here
//! (256 bits), shown once, and stored as an HMAC digest under the `client-secrets` data key.

use std::collections::BTreeSet;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::json;
use uuid::Uuid;

use super::{
    OAuth, Operator,
    jose::{Algorithm, PublicKey},
    operator::Forbidden,
    redirect_uri, scope,
};
use crate::{
    DomainError, StoreError,
    audit::{AuditEvent, record},
    authorization::{
        GATEHOUSE_API,
        capability::{CLIENTS_READ, CLIENTS_WRITE},
    },
    secrets::{purpose, random_bytes},
    store::{ClientLogoRow, ClientRow, new_id},
};

/// A grant type a client may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GrantType {
    /// The authorization code flow (with PKCE).
    AuthorizationCode,
    /// Refreshing tokens.
    RefreshToken,
    /// A service acting for itself.
    ClientCredentials,
}

impl GrantType {
    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }

    /// Parses a registered name.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "authorization_code" => Some(Self::AuthorizationCode),
            "refresh_token" => Some(Self::RefreshToken),
            "client_credentials" => Some(Self::ClientCredentials),
            _ => None,
        }
    }
}

/// How a client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// HTTP Basic with the secret.
    ClientSecretBasic,
    /// The secret in the form body.
    ClientSecretPost,
    /// A JWT signed with one of the client's registered keys (RFC 7523).
    PrivateKeyJwt,
    /// None: a public client.
    None,
}

impl AuthMethod {
    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }

    /// Parses a registered name.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "client_secret_basic" => Some(Self::ClientSecretBasic),
            "client_secret_post" => Some(Self::ClientSecretPost),
            "private_key_jwt" => Some(Self::PrivateKeyJwt),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// Whether the consent screen is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentMode {
    /// Ask the user (remembered per scope).
    Ask,
    /// A first-party client: consent is implied.
    Skip,
}

/// A registered client, parsed.
#[derive(Debug, Clone)]
pub struct Client {
    /// The stored row.
    pub row: ClientRow,
    /// How its tokens are signed.
    pub alg: Algorithm,
    /// The grant types it may use.
    pub grants: BTreeSet<GrantType>,
    /// The one method it registered, if any.
    pub auth_method: Option<AuthMethod>,
    /// Consent screen or not.
    pub consent: ConsentMode,
    /// Its keys, for `private_key_jwt`.
    pub keys: Vec<PublicKey>,
}

impl Client {
    /// Parses a stored row.
    pub fn from_row(row: ClientRow) -> Result<Self, DomainError> {
        let corrupt =
            |what: &str| DomainError::Invalid(format!("client {}: {what}", row.client_id));
        let alg = Algorithm::parse(&row.signing_alg).ok_or_else(|| corrupt("signing algorithm"))?;
        let grants = row
            .grant_types
            .iter()
            .map(|grant| GrantType::parse(grant).ok_or_else(|| corrupt("grant type")))
            .collect::<Result<_, _>>()?;
        let auth_method = row
            .auth_method
            .as_deref()
            .map(|method| AuthMethod::parse(method).ok_or_else(|| corrupt("auth method")))
            .transpose()?;
        let consent = match row.consent.as_str() {
            "ask" => ConsentMode::Ask,
            "skip" => ConsentMode::Skip,
            _ => return Err(corrupt("consent mode")),
        };
        let keys = match &row.jwks {
            Some(jwks) => parse_jwks(jwks).map_err(|message| corrupt(&message))?,
            None => Vec::new(),
        };
        Ok(Self {
            row,
            alg,
            grants,
            auth_method,
            consent,
            keys,
        })
    }

    /// The public `client_id`.
    pub fn client_id(&self) -> &str {
        &self.row.client_id
    }

    /// Whether the client may use `grant`.
    pub fn allows(&self, grant: GrantType) -> bool {
        self.grants.contains(&grant)
    }

    /// Whether the client is disabled.
    pub fn disabled(&self) -> bool {
        self.row.disabled_at.is_some()
    }
}

fn parse_jwks(text: &str) -> Result<Vec<PublicKey>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|error| format!("jwks: {error}"))?;
    super::jose::parse_jwk_set(&value).map_err(|error| format!("jwks: {error}"))
}

/// What an administrator registers. Fields left empty get defaults (see [`create_client`]).
#[derive(Debug, Clone, Default)]
pub struct ClientSpec {
    /// Shown on the consent screen.
    pub name: String,
    /// A public client (browser or native app): no secret, PKCE.
    pub public: bool,
    /// A native app (loopback redirects on any port; private-use URI schemes).
    pub native: bool,
    /// The one authentication method allowed (`None`: basic or post; `none` for public).
    pub auth_method: Option<String>,
    /// A JWK Set (JSON text) for `private_key_jwt`.
    pub jwks: Option<String>,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Where logout may return to.
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types (default: `authorization_code` and `refresh_token`).
    pub grant_types: Vec<String>,
    /// Scopes the client may ask for (default: `openid profile email` for sign-in clients).
    pub scopes: Vec<String>,
    /// Scopes granted when a request names none (default: all of `scopes`).
    pub default_scopes: Vec<String>,
    /// API audiences the client may get tokens for (`gatehouse` allow-lists it for the
    /// management API).
    pub audiences: Vec<String>,
    /// The audience of tokens requested without `resource` (default: the first audience).
    pub default_audience: Option<String>,
    /// Browser origins allowed to call the token, userinfo, JWKS and discovery endpoints.
    pub web_origins: Vec<String>,
    /// `ask` (default) or `skip`.
    pub consent: Option<String>,
    /// `EdDSA` (default), `ES256` or `RS256`.
    pub signing_alg: Option<String>,
    /// Access-token lifetime in seconds.
    pub access_token_ttl_secs: Option<i64>,
    /// Absolute refresh-token lifetime in seconds.
    pub refresh_token_ttl_secs: Option<i64>,
    /// Roles of the service account (names), for client-credentials tokens.
    pub roles: Vec<String>,
}

/// A changed client: the whole spec, the version edited and whether it is disabled.
#[derive(Debug, Clone)]
pub struct ClientChange {
    /// The client's internal id.
    pub id: Uuid,
    /// The version the operator edited.
    pub version: i64,
    /// The new settings.
    pub spec: ClientSpec,
    /// Disabled clients authenticate nowhere.
    pub disabled: bool,
}

/// A client just made: the only time its secret is shown.
#[derive(Debug, Clone)]
pub struct CreatedClient {
    /// The client.
    pub client: Client,
    /// The secret (confidential clients that use one).
    pub secret: Option<String>,
    /// The roles of its service account (names).
    pub roles: Vec<String>,
}

/// What a client administration use case reports.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The operator lacks a capability.
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// A field breaks a rule.
    #[error("{field}: {message}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// No such client.
    #[error("no such client")]
    NotFound,
    /// Someone changed the client since the operator read it.
    #[error("the client was changed by someone else (version {actual}, not {expected})")]
    Conflict {
        /// The version edited.
        expected: i64,
        /// The version stored.
        actual: i64,
    },
    /// The store or keys failed.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<StoreError> for ClientError {
    fn from(error: StoreError) -> Self {
        Self::Domain(error.into())
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> ClientError {
    ClientError::Invalid {
        field,
        message: message.into(),
    }
}

/// A random URL-safe identifier of `bytes` random bytes.
fn random_id(bytes: usize) -> Result<String, DomainError> {
    let mut buffer = vec![0u8; bytes];
    random_bytes(&mut buffer)?;
    Ok(URL_SAFE_NO_PAD.encode(buffer))
}

/// The digest a client secret is stored as.
pub(super) async fn secret_mac(
    deps: &OAuth,
    client_id: &str,
    secret: &str,
) -> Result<Vec<u8>, DomainError> {
    let key = deps.keyring.key(purpose::CLIENT_SECRETS).await?;
    Ok(key.mac(&[client_id.as_bytes(), secret.as_bytes()]))
}

fn origin_ok(origin: &str) -> bool {
    let Ok(url) = url::Url::parse(origin) else {
        return false;
    };
    matches!(url.scheme(), "https" | "http")
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.origin().ascii_serialization() == origin
}

/// A spec checked and turned into the row's fields (everything but ids, times and version).
struct Checked {
    row: ClientRow,
    roles: Vec<(Uuid, String)>,
}

async fn check_spec(
    deps: &OAuth,
    spec: &ClientSpec,
    base: ClientRow,
) -> Result<Checked, ClientError> {
    let name = spec.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "a name of 1 to 100 characters is required"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("name", "no control characters"));
    }
    let mut grants = BTreeSet::new();
    let grant_names = if spec.grant_types.is_empty() {
        vec!["authorization_code".to_owned(), "refresh_token".to_owned()]
    } else {
        spec.grant_types.clone()
    };
    for grant in &grant_names {
        let parsed = GrantType::parse(grant).ok_or_else(|| {
            invalid(
                "grant_types",
                format!(
                    "unknown grant type {grant:?} (authorization_code, refresh_token or client_credentials; implicit and password are not supported)"
                ),
            )
        })?;
        grants.insert(parsed);
    }
    if spec.public && grants.contains(&GrantType::ClientCredentials) {
        return Err(invalid(
            "grant_types",
            "a public client cannot use client_credentials",
        ));
    }
    if grants.contains(&GrantType::RefreshToken) && !grants.contains(&GrantType::AuthorizationCode)
    {
        return Err(invalid(
            "grant_types",
            "refresh_token needs authorization_code",
        ));
    }
    let code_flow = grants.contains(&GrantType::AuthorizationCode);
    if code_flow && spec.redirect_uris.is_empty() {
        return Err(invalid(
            "redirect_uris",
            "the authorization_code grant needs at least one redirect URI",
        ));
    }
    if spec.native && !spec.public {
        return Err(invalid("native", "a native app is a public client"));
    }
    for uri in &spec.redirect_uris {
        redirect_uri::validate_registration(uri, spec.native)
            .map_err(|message| invalid("redirect_uris", format!("{uri}: {message}")))?;
    }
    for uri in &spec.post_logout_redirect_uris {
        redirect_uri::validate_registration(uri, spec.native)
            .map_err(|message| invalid("post_logout_redirect_uris", format!("{uri}: {message}")))?;
    }
    let auth_method = match (spec.public, spec.auth_method.as_deref()) {
        (true, None | Some("none")) => Some(AuthMethod::None),
        (true, Some(other)) => {
            return Err(invalid(
                "auth_method",
                format!("a public client authenticates with none, not {other}"),
            ));
        }
        (false, None) => None,
        (false, Some(method)) => match AuthMethod::parse(method) {
            Some(AuthMethod::None) | None => {
                return Err(invalid(
                    "auth_method",
                    "client_secret_basic, client_secret_post or private_key_jwt",
                ));
            }
            Some(method) => Some(method),
        },
    };
    let jwks = match (&spec.jwks, auth_method) {
        (Some(jwks), _) => {
            let keys = parse_jwks(jwks).map_err(|message| invalid("jwks", message))?;
            if keys.is_empty() {
                return Err(invalid("jwks", "the key set is empty"));
            }
            Some(jwks.clone())
        }
        (None, Some(AuthMethod::PrivateKeyJwt)) => {
            return Err(invalid(
                "jwks",
                "private_key_jwt needs the client's public keys",
            ));
        }
        (None, _) => None,
    };
    let scopes = if spec.scopes.is_empty() && code_flow {
        vec![
            "openid".to_owned(),
            "profile".to_owned(),
            "email".to_owned(),
        ]
    } else {
        spec.scopes.clone()
    };
    for token in &scopes {
        if !scope::valid_token(token) {
            return Err(invalid("scopes", format!("{token:?} is not a scope token")));
        }
    }
    let default_scopes = if spec.default_scopes.is_empty() {
        scopes.clone()
    } else {
        spec.default_scopes.clone()
    };
    if let Some(extra) = default_scopes.iter().find(|s| !scopes.contains(s)) {
        return Err(invalid(
            "default_scopes",
            format!("{extra:?} is not one of the client's scopes"),
        ));
    }
    let model = deps.authorizer.model().await?;
    let apis = deps.store.rbac().model().await?.apis;
    for audience in &spec.audiences {
        if !apis.iter().any(|api| &api.audience == audience) {
            return Err(invalid(
                "audiences",
                format!("no API has the audience {audience:?}"),
            ));
        }
    }
    let default_audience = match &spec.default_audience {
        Some(audience) if !spec.audiences.contains(audience) => {
            return Err(invalid(
                "default_audience",
                "the default audience must be one of the client's audiences",
            ));
        }
        Some(audience) => Some(audience.clone()),
        None => spec.audiences.first().cloned(),
    };
    for origin in &spec.web_origins {
        if !origin_ok(origin) {
            return Err(invalid(
                "web_origins",
                format!("{origin:?} is not an origin (scheme://host[:port], nothing more)"),
            ));
        }
    }
    let consent = match spec.consent.as_deref() {
        None | Some("ask") => "ask",
        Some("skip") => "skip",
        Some(_) => return Err(invalid("consent", "ask or skip")),
    };
    let alg = match spec.signing_alg.as_deref() {
        None => deps.settings.default_signing_alg,
        Some(name) => {
            Algorithm::parse(name).ok_or_else(|| invalid("signing_alg", "EdDSA, ES256 or RS256"))?
        }
    };
    let max_access = i64::try_from(deps.settings.max_access_token_ttl.as_secs()).unwrap_or(86_400);
    let access_ttl = spec
        .access_token_ttl_secs
        .unwrap_or_else(|| i64::try_from(deps.settings.access_token_ttl.as_secs()).unwrap_or(600));
    if !(60..=max_access).contains(&access_ttl) {
        return Err(invalid(
            "access_token_ttl_secs",
            format!("between 60 and {max_access} seconds"),
        ));
    }
    let refresh_ttl = spec.refresh_token_ttl_secs.unwrap_or_else(|| {
        i64::try_from(deps.settings.refresh_token_ttl.as_secs()).unwrap_or(2_592_000)
    });
    if !(300..=366 * 86_400).contains(&refresh_ttl) {
        return Err(invalid(
            "refresh_token_ttl_secs",
            "between 300 seconds and 366 days",
        ));
    }
    let mut roles = Vec::new();
    if !spec.roles.is_empty() && !grants.contains(&GrantType::ClientCredentials) {
        return Err(invalid(
            "roles",
            "only clients with the client_credentials grant act for themselves and hold roles",
        ));
    }
    for role in &spec.roles {
        let id = model
            .role_id(role)
            .ok_or_else(|| invalid("roles", format!("no role is named {role:?}")))?;
        roles.push((id, role.clone()));
    }
    Ok(Checked {
        row: ClientRow {
            name: name.to_owned(),
            public: spec.public,
            native: spec.native,
            auth_method: auth_method.map(|method| method.as_str().to_owned()),
            jwks,
            redirect_uris: spec.redirect_uris.clone(),
            post_logout_redirect_uris: spec.post_logout_redirect_uris.clone(),
            grant_types: grants.iter().map(|g| g.as_str().to_owned()).collect(),
            scopes,
            default_scopes,
            audiences: spec.audiences.clone(),
            default_audience,
            web_origins: spec.web_origins.clone(),
            consent: consent.to_owned(),
            signing_alg: alg.as_str().to_owned(),
            access_token_ttl_secs: access_ttl,
            refresh_token_ttl_secs: refresh_ttl,
            ..base
        },
        roles,
    })
}

fn summary(row: &ClientRow, roles: &[(Uuid, String)]) -> serde_json::Value {
    json!({
        "client_id": row.client_id,
        "name": row.name,
        "public": row.public,
        "grant_types": row.grant_types,
        "redirect_uris": row.redirect_uris,
        "scopes": row.scopes,
        "audiences": row.audiences,
        "signing_alg": row.signing_alg,
        "roles": roles.iter().map(|(_, name)| name).collect::<Vec<_>>(),
        "disabled": row.disabled_at.is_some(),
    })
}

/// Registers a client (capability `gatehouse:clients.write`). Allow-listing it for the audience
/// `gatehouse` needs an operator who could act there: one holding `gatehouse:roles.write` too.
/// Audited as `client.created`.
pub async fn create_client(
    deps: &OAuth,
    operator: &Operator,
    spec: ClientSpec,
) -> Result<CreatedClient, ClientError> {
    operator.require(CLIENTS_WRITE)?;
    guard_gatehouse_audience(operator, &spec)?;
    let now = deps.clock.now();
    let base = ClientRow {
        id: new_id(),
        client_id: random_id(16)?,
        name: String::new(),
        public: false,
        native: false,
        secret_mac: None,
        auth_method: None,
        jwks: None,
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        grant_types: Vec::new(),
        scopes: Vec::new(),
        default_scopes: Vec::new(),
        audiences: Vec::new(),
        default_audience: None,
        web_origins: Vec::new(),
        consent: String::new(),
        signing_alg: String::new(),
        access_token_ttl_secs: 0,
        refresh_token_ttl_secs: 0,
        created_at: now,
        updated_at: now,
        disabled_at: None,
        version: 1,
    };
    let Checked { mut row, roles } = check_spec(deps, &spec, base).await?;
    let uses_secret = !row.public && row.auth_method.as_deref() != Some("private_key_jwt");
    let secret = if uses_secret {
        let secret = random_id(32)?;
        row.secret_mac = Some(secret_mac(deps, &row.client_id, &secret).await?);
        Some(secret)
    } else {
        None
    };
    let mut transaction = deps.store.begin().await?;
    transaction.insert_client(&row).await?;
    let role_ids: Vec<Uuid> = roles.iter().map(|(id, _)| *id).collect();
    transaction.set_client_roles(row.id, &role_ids).await?;
    let mut event = AuditEvent::new(operator.actor.clone(), "client.created");
    event.target = Some(format!("client:{}", row.client_id));
    event.request_id.clone_from(&operator.context.request_id);
    event.details = Some(summary(&row, &roles));
    record(&mut *transaction, &deps.keyring, now, event).await?;
    transaction.commit().await?;
    Ok(CreatedClient {
        client: Client::from_row(row)?,
        secret,
        roles: roles.into_iter().map(|(_, name)| name).collect(),
    })
}

fn guard_gatehouse_audience(operator: &Operator, spec: &ClientSpec) -> Result<(), ClientError> {
    if spec
        .audiences
        .iter()
        .any(|audience| audience == GATEHOUSE_API)
    {
        operator.require(crate::authorization::capability::ROLES_WRITE)?;
    }
    Ok(())
}

/// Every client with its roles (capability `gatehouse:clients.read`).
pub async fn list_clients(deps: &OAuth, operator: &Operator) -> Result<Vec<Client>, ClientError> {
    operator.require(CLIENTS_READ)?;
    deps.store
        .oauth()
        .clients()
        .await?
        .into_iter()
        .map(|row| Client::from_row(row).map_err(ClientError::from))
        .collect()
}

/// One client and its service account's role names (capability `gatehouse:clients.read`).
pub async fn get_client(
    deps: &OAuth,
    operator: &Operator,
    id: Uuid,
) -> Result<(Client, Vec<String>), ClientError> {
    operator.require(CLIENTS_READ)?;
    let row = deps
        .store
        .oauth()
        .client_by_id(id)
        .await?
        .ok_or(ClientError::NotFound)?;
    let model = deps.authorizer.model().await?;
    let roles = deps
        .store
        .oauth()
        .client_roles(id)
        .await?
        .into_iter()
        .filter_map(|role| model.role_name(role).map(str::to_owned))
        .collect();
    Ok((Client::from_row(row)?, roles))
}

/// Changes a client (capability `gatehouse:clients.write`), if nobody changed it since
/// `change.version`. The secret stays. Audited as `client.updated`.
pub async fn update_client(
    deps: &OAuth,
    operator: &Operator,
    change: ClientChange,
) -> Result<Client, ClientError> {
    operator.require(CLIENTS_WRITE)?;
    guard_gatehouse_audience(operator, &change.spec)?;
    let current = deps
        .store
        .oauth()
        .client_by_id(change.id)
        .await?
        .ok_or(ClientError::NotFound)?;
    if current.version != change.version {
        return Err(ClientError::Conflict {
            expected: change.version,
            actual: current.version,
        });
    }
    if change.spec.public != current.public {
        return Err(invalid(
            "public",
            "a client cannot switch between public and confidential; register a new one",
        ));
    }
    let now = deps.clock.now();
    let Checked { mut row, roles } = check_spec(deps, &change.spec, current.clone()).await?;
    row.updated_at = now;
    row.version = current.version + 1;
    row.disabled_at = match (change.disabled, current.disabled_at) {
        (true, Some(at)) => Some(at),
        (true, None) => Some(now),
        (false, _) => None,
    };
    let uses_secret = !row.public && row.auth_method.as_deref() != Some("private_key_jwt");
    if !uses_secret {
        row.secret_mac = None;
    }
    let mut transaction = deps.store.begin().await?;
    if !transaction.update_client(&row, change.version).await? {
        return Err(ClientError::Conflict {
            expected: change.version,
            actual: change.version + 1,
        });
    }
    let role_ids: Vec<Uuid> = roles.iter().map(|(id, _)| *id).collect();
    transaction.set_client_roles(row.id, &role_ids).await?;
    let mut event = AuditEvent::new(operator.actor.clone(), "client.updated");
    event.target = Some(format!("client:{}", row.client_id));
    event.request_id.clone_from(&operator.context.request_id);
    event.details = Some(summary(&row, &roles));
    record(&mut *transaction, &deps.keyring, now, event).await?;
    transaction.commit().await?;
    deps.clients.forget(&row.client_id);
    Ok(Client::from_row(row)?)
}

/// Replaces a confidential client's secret (capability `gatehouse:clients.write`); the old one
/// stops working at once. Returns the new secret. Audited as `client.secret_rotated`.
pub async fn rotate_client_secret(
    deps: &OAuth,
    operator: &Operator,
    id: Uuid,
) -> Result<String, ClientError> {
    operator.require(CLIENTS_WRITE)?;
    let mut row = deps
        .store
        .oauth()
        .client_by_id(id)
        .await?
        .ok_or(ClientError::NotFound)?;
    if row.public || row.auth_method.as_deref() == Some("private_key_jwt") {
        return Err(invalid(
            "secret",
            "this client authenticates without a secret",
        ));
    }
    let secret = random_id(32)?;
    let now = deps.clock.now();
    let expected = row.version;
    row.secret_mac = Some(secret_mac(deps, &row.client_id, &secret).await?);
    row.version += 1;
    row.updated_at = now;
    let mut transaction = deps.store.begin().await?;
    if !transaction.update_client(&row, expected).await? {
        return Err(ClientError::Conflict {
            expected,
            actual: expected + 1,
        });
    }
    let mut event = AuditEvent::new(operator.actor.clone(), "client.secret_rotated");
    event.target = Some(format!("client:{}", row.client_id));
    event.request_id.clone_from(&operator.context.request_id);
    record(&mut *transaction, &deps.keyring, now, event).await?;
    transaction.commit().await?;
    deps.clients.forget(&row.client_id);
    Ok(secret)
}

/// The image types a logo may have, by their magic numbers.
fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

/// Stores a client's logo (PNG, JPEG or WebP, at most 256 KiB; the type is read from the
/// bytes, not trusted from the upload), or removes it with `None`. Capability
/// `gatehouse:clients.write`; audited as `client.logo_changed`.
pub async fn set_client_logo(
    deps: &OAuth,
    operator: &Operator,
    id: Uuid,
    image: Option<Vec<u8>>,
) -> Result<(), ClientError> {
    operator.require(CLIENTS_WRITE)?;
    let row = deps
        .store
        .oauth()
        .client_by_id(id)
        .await?
        .ok_or(ClientError::NotFound)?;
    let now = deps.clock.now();
    let mut transaction = deps.store.begin().await?;
    match image {
        Some(bytes) => {
            if bytes.len() > MAX_LOGO_BYTES {
                return Err(invalid("logo", "at most 256 KiB"));
            }
            let content_type =
                sniff_image(&bytes).ok_or_else(|| invalid("logo", "a PNG, JPEG or WebP image"))?;
            transaction
                .set_client_logo(&ClientLogoRow {
                    client_id: id,
                    content_type: content_type.to_owned(),
                    bytes,
                    updated_at: now,
                })
                .await?;
        }
        None => {
            transaction.delete_client_logo(id).await?;
        }
    }
    let mut event = AuditEvent::new(operator.actor.clone(), "client.logo_changed");
    event.target = Some(format!("client:{}", row.client_id));
    event.request_id.clone_from(&operator.context.request_id);
    record(&mut *transaction, &deps.keyring, now, event).await?;
    transaction.commit().await?;
    Ok(())
}

/// Deletes a client with its grants, tokens and consents (capability
/// `gatehouse:clients.write`). Audited as `client.deleted`.
pub async fn delete_client(deps: &OAuth, operator: &Operator, id: Uuid) -> Result<(), ClientError> {
    operator.require(CLIENTS_WRITE)?;
    let row = deps
        .store
        .oauth()
        .client_by_id(id)
        .await?
        .ok_or(ClientError::NotFound)?;
    let now = deps.clock.now();
    let mut transaction = deps.store.begin().await?;
    if !transaction.delete_client(id).await? {
        return Err(ClientError::NotFound);
    }
    let mut event = AuditEvent::new(operator.actor.clone(), "client.deleted");
    event.target = Some(format!("client:{}", row.client_id));
    event.request_id.clone_from(&operator.context.request_id);
    event.details = Some(json!({ "name": row.name }));
    record(&mut *transaction, &deps.keyring, now, event).await?;
    transaction.commit().await?;
    deps.clients.forget(&row.client_id);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logos_are_recognised_by_their_bytes() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff_image(b"GIF89a"), None);
    }

    #[test]
    fn web_origins_are_bare_origins() {
        assert!(origin_ok("https://app.example.com"));
        assert!(origin_ok("http://localhost:5173"));
        assert!(!origin_ok("https://app.example.com/"));
        assert!(!origin_ok("https://app.example.com/path"));
        assert!(!origin_ok("https://user@app.example.com"));
        assert!(!origin_ok("*"));
        assert!(!origin_ok("ftp://app.example.com"));
    }
}
