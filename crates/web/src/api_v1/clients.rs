//! `/api/v1/clients`: OAuth clients (relying parties and service accounts). A client's secret
//! is shown once, when it is made or rotated. Allow-listing a client for the audience
//! `gatehouse` needs `gatehouse:roles.write` too.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::Response,
};
use chrono::{DateTime, Utc};
use gatehouse_domain::oauth::{self, Client, ClientChange, ClientSpec, Operator};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    ApiError, ApiPath, ApiQuery, Page, PageQuery,
    idempotency::{self, Create},
    page_by_id, problem,
};
use crate::{AppState, bearer::ApiCaller, input::ApiJson};

/// A registered client (no secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientBody {
    /// The internal id (for these routes).
    pub id: Uuid,
    /// The public `client_id`.
    pub client_id: String,
    /// Shown on the consent screen.
    pub name: String,
    /// A public client (no secret, PKCE).
    pub public: bool,
    /// A native app.
    pub native: bool,
    /// The one token-endpoint authentication method, if one was registered.
    pub auth_method: Option<String>,
    /// Its public keys (a JWK Set) for `private_key_jwt`.
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Where logout may return to.
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types.
    pub grant_types: Vec<String>,
    /// Scopes it may ask for.
    pub scopes: Vec<String>,
    /// Scopes granted when a request names none.
    pub default_scopes: Vec<String>,
    /// API audiences it may get tokens for.
    pub audiences: Vec<String>,
    /// The audience of tokens requested without `resource`.
    pub default_audience: Option<String>,
    /// Browser origins allowed to call the protocol endpoints.
    pub web_origins: Vec<String>,
    /// `ask` or `skip`.
    pub consent: String,
    /// `EdDSA`, `ES256` or `RS256`.
    pub signing_alg: String,
    /// Access-token lifetime (seconds).
    pub access_token_ttl_secs: i64,
    /// Refresh-token lifetime (seconds).
    pub refresh_token_ttl_secs: i64,
    /// The roles of its service account (names).
    pub roles: Vec<String>,
    /// Disabled clients authenticate nowhere.
    pub disabled: bool,
    /// Its version: send it back with a change.
    pub version: i64,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

fn client_body(client: Client, roles: Vec<String>) -> ClientBody {
    let row = client.row;
    ClientBody {
        id: row.id,
        jwks: row
            .jwks
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok()),
        client_id: row.client_id,
        name: row.name,
        public: row.public,
        native: row.native,
        auth_method: row.auth_method,
        redirect_uris: row.redirect_uris,
        post_logout_redirect_uris: row.post_logout_redirect_uris,
        grant_types: row.grant_types,
        scopes: row.scopes,
        default_scopes: row.default_scopes,
        audiences: row.audiences,
        default_audience: row.default_audience,
        web_origins: row.web_origins,
        consent: row.consent,
        signing_alg: row.signing_alg,
        access_token_ttl_secs: row.access_token_ttl_secs,
        refresh_token_ttl_secs: row.refresh_token_ttl_secs,
        roles,
        disabled: row.disabled_at.is_some(),
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

async fn with_roles(
    state: &AppState,
    operator: &Operator,
    id: Uuid,
) -> Result<ClientBody, ApiError> {
    let (client, roles) = oauth::get_client(&state.oauth, operator, id).await?;
    Ok(client_body(client, roles))
}

/// Every client, by id.
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", operation_id = "list_clients", params(PageQuery),
    responses((status = 200, description = "One page of clients", body = Page<ClientBody>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Page<ClientBody>>, ApiError> {
    let operator = caller.operator(&state).await?;
    let clients = oauth::list_clients(&state.oauth, &operator).await?;
    let page = page_by_id(clients, |client| client.row.id, &query)?;
    let mut items = Vec::with_capacity(page.items.len());
    for client in page.items {
        items.push(with_roles(&state, &operator, client.row.id).await?);
    }
    Ok(Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// A grant type.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantTypeName {
    /// The authorization code flow (with PKCE).
    AuthorizationCode,
    /// Refresh tokens.
    RefreshToken,
    /// A client acting for itself.
    ClientCredentials,
}

/// A token-endpoint authentication method.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethodName {
    /// The secret in HTTP Basic.
    ClientSecretBasic,
    /// The secret in the form.
    ClientSecretPost,
    /// A JWT signed with one of the client's keys.
    PrivateKeyJwt,
    /// None (public clients).
    None,
}

/// Whether the consent screen is shown.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentName {
    /// Ask the user.
    Ask,
    /// Consent is implied (first-party clients).
    Skip,
}

/// A client's settings. Absent members get defaults.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientSpecBody {
    /// Shown on the consent screen (1 to 100 characters, no control characters).
    #[schema(max_length = 100, example = "Shop")]
    pub name: String,
    /// A public client (browser or native app): no secret, PKCE.
    #[serde(default)]
    pub public: bool,
    /// A native app.
    #[serde(default)]
    pub native: bool,
    /// The one authentication method allowed (`client_secret_basic`, `client_secret_post`,
    /// `private_key_jwt`, `none`).
    #[schema(value_type = Option<AuthMethodName>)]
    pub auth_method: Option<String>,
    /// A JWK Set for `private_key_jwt`.
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// Exact redirect URIs.
    #[serde(default)]
    #[schema(example = json!(["https://shop.example.com/callback"]))]
    pub redirect_uris: Vec<String>,
    /// Where logout may return to.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types (default: `authorization_code`, `refresh_token`).
    #[serde(default)]
    #[schema(value_type = Vec<GrantTypeName>)]
    pub grant_types: Vec<String>,
    /// Scopes it may ask for.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Scopes granted when a request names none.
    #[serde(default)]
    pub default_scopes: Vec<String>,
    /// API audiences it may get tokens for (`gatehouse` needs `gatehouse:roles.write`).
    #[serde(default)]
    pub audiences: Vec<String>,
    /// The audience of tokens requested without `resource`.
    pub default_audience: Option<String>,
    /// Browser origins allowed to call the protocol endpoints.
    #[serde(default)]
    pub web_origins: Vec<String>,
    /// `ask` (default) or `skip`.
    #[schema(value_type = Option<ConsentName>)]
    pub consent: Option<String>,
    /// `EdDSA` (default), `ES256` or `RS256`.
    #[schema(value_type = Option<super::keys::SigningAlg>)]
    pub signing_alg: Option<String>,
    /// Access-token lifetime (seconds): at least 60, at most `oidc.max_access_token_ttl_secs`
    /// (86,400 by default).
    #[schema(minimum = 60)]
    pub access_token_ttl_secs: Option<i64>,
    /// Refresh-token lifetime (seconds): 300 (five minutes) to 31,622,400 (366 days).
    #[schema(minimum = 300, maximum = 31_622_400)]
    pub refresh_token_ttl_secs: Option<i64>,
    /// Roles of its service account (names), for client-credentials tokens.
    #[serde(default)]
    pub roles: Vec<String>,
}

impl From<ClientSpecBody> for ClientSpec {
    fn from(body: ClientSpecBody) -> Self {
        Self {
            name: body.name,
            public: body.public,
            native: body.native,
            auth_method: body.auth_method,
            jwks: body.jwks.map(|jwks| jwks.to_string()),
            redirect_uris: body.redirect_uris,
            post_logout_redirect_uris: body.post_logout_redirect_uris,
            grant_types: body.grant_types,
            scopes: body.scopes,
            default_scopes: body.default_scopes,
            audiences: body.audiences,
            default_audience: body.default_audience,
            web_origins: body.web_origins,
            consent: body.consent,
            signing_alg: body.signing_alg,
            access_token_ttl_secs: body.access_token_ttl_secs,
            refresh_token_ttl_secs: body.refresh_token_ttl_secs,
            roles: body.roles,
        }
    }
}

/// A client just made: its secret is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedClientBody {
    /// The client.
    pub client: ClientBody,
    /// Its secret (confidential clients that use one).
    pub client_secret: Option<String>,
}

/// Registers a client. Send `Idempotency-Key` to make retries safe (a replay shows the same
/// secret).
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", operation_id = "create_client", request_body = ClientSpecBody,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$",
        description = "Makes retries of this create safe (1 to 255 visible ASCII characters)")),
    responses((status = 201, description = "Registered", body = CreatedClientBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    request: Create<ClientSpecBody>,
) -> Result<Response, ApiError> {
    let operator = caller.operator(&state).await?;
    idempotency::once(&state, &caller, request, move |state, body| async move {
        let created = oauth::create_client(&state.oauth, &operator, body.into()).await?;
        let body = CreatedClientBody {
            client: client_body(created.client, created.roles),
            client_secret: created.secret,
        };
        Ok((StatusCode::CREATED, json!(body)))
    })
    .await
}

/// One client.
#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients", operation_id = "show_client",
    params(("id" = Uuid, Path, description = "The client's internal id")),
    responses((status = 200, description = "The client", body = ClientBody),
        (status = 404, description = "No such client", body = super::ProblemDoc, content_type = "application/problem+json")))]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ClientBody>, ApiError> {
    let operator = caller.operator(&state).await?;
    Ok(Json(with_roles(&state, &operator, id).await?))
}

/// A client's new settings: all of them, the version edited, and whether it is disabled.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientUpdateBody {
    /// The version the change was made against.
    pub version: i64,
    /// Disabled clients authenticate nowhere.
    #[serde(default)]
    pub disabled: bool,
    /// The settings (all of them: absent members get their defaults).
    pub settings: ClientSpecBody,
}

/// Replaces a client's settings (409 when changed meanwhile). The secret stays.
#[utoipa::path(put, path = "/api/v1/clients/{id}", tag = "clients", operation_id = "update_client", request_body = ClientUpdateBody,
    params(("id" = Uuid, Path, description = "The client's internal id")),
    responses((status = 200, description = "The client as changed", body = ClientBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ClientUpdateBody>,
) -> Result<Json<ClientBody>, ApiError> {
    let operator = caller.operator(&state).await?;
    let change = ClientChange {
        id,
        version: body.version,
        spec: body.settings.into(),
        disabled: body.disabled,
    };
    oauth::update_client(&state.oauth, &operator, change).await?;
    Ok(Json(with_roles(&state, &operator, id).await?))
}

/// Deletes a client with its grants, tokens and consents.
#[utoipa::path(delete, path = "/api/v1/clients/{id}", tag = "clients", operation_id = "delete_client",
    params(("id" = Uuid, Path, description = "The client's internal id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let operator = caller.operator(&state).await?;
    oauth::delete_client(&state.oauth, &operator, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new client secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecretBody {
    /// The secret; the old one stopped working.
    pub client_secret: String,
}

/// Replaces a confidential client's secret; the old one stops working at once.
#[utoipa::path(post, path = "/api/v1/clients/{id}/secret", tag = "clients",
    params(("id" = Uuid, Path, description = "The client's internal id")),
    responses((status = 200, description = "The new secret", body = SecretBody)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SecretBody>, ApiError> {
    let operator = caller.operator(&state).await?;
    let client_secret = oauth::rotate_client_secret(&state.oauth, &operator, id).await?;
    Ok(Json(SecretBody { client_secret }))
}

/// Stores a client's logo: the request body is the image (PNG, JPEG or WebP, at most 256
/// KiB; its type is read from the bytes).
#[utoipa::path(put, path = "/api/v1/clients/{id}/logo", tag = "clients",
    request_body(content = Vec<u8>, content_type = "image/png", description = "The image (PNG, JPEG or WebP)"),
    params(("id" = Uuid, Path, description = "The client's internal id")),
    responses((status = 204, description = "Stored")))]
pub async fn set_logo(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let image = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("image/"));
    if !image {
        return Err(problem::invalid("logo", "send the image with an image/* content type").into());
    }
    let operator = caller.operator(&state).await?;
    oauth::set_client_logo(&state.oauth, &operator, id, Some(body.to_vec())).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a client's logo.
#[utoipa::path(delete, path = "/api/v1/clients/{id}/logo", tag = "clients",
    params(("id" = Uuid, Path, description = "The client's internal id")),
    responses((status = 204, description = "Removed")))]
pub async fn delete_logo(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let operator = caller.operator(&state).await?;
    oauth::set_client_logo(&state.oauth, &operator, id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
