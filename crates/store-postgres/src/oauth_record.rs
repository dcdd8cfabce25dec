//! OAuth rows as the query macros read them, where they differ from the port's types: a
//! client's list-valued fields are stored as JSON array text, and a refresh token is read
//! together with its grant.

use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{ClientRow, GrantRow, RefreshTokenRow};
use uuid::Uuid;

/// A list of strings as stored: a JSON array.
pub(crate) fn json_list(values: &[String]) -> String {
    serde_json::Value::from(values).to_string()
}

/// A stored JSON array of strings back as a list; `column` names it in the error.
fn list_of(text: &str, column: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|error| {
        StoreError::Corrupt(format!(
            "oauth_clients.{column} is not a JSON string array: {error}"
        ))
    })
}

/// An `oauth_clients` row with its lists still as stored text.
pub(crate) struct ClientRecord {
    pub(crate) id: Uuid,
    pub(crate) client_id: String,
    pub(crate) name: String,
    pub(crate) public: bool,
    pub(crate) native: bool,
    pub(crate) secret_mac: Option<Vec<u8>>,
    pub(crate) auth_method: Option<String>,
    pub(crate) jwks: Option<String>,
    pub(crate) redirect_uris: String,
    pub(crate) post_logout_redirect_uris: String,
    pub(crate) grant_types: String,
    pub(crate) scopes: String,
    pub(crate) default_scopes: String,
    pub(crate) audiences: String,
    pub(crate) default_audience: Option<String>,
    pub(crate) web_origins: String,
    pub(crate) consent: String,
    pub(crate) signing_alg: String,
    pub(crate) access_token_ttl_secs: i64,
    pub(crate) refresh_token_ttl_secs: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) disabled_at: Option<DateTime<Utc>>,
    pub(crate) version: i64,
}

impl TryFrom<ClientRecord> for ClientRow {
    type Error = StoreError;

    fn try_from(record: ClientRecord) -> Result<Self, StoreError> {
        Ok(ClientRow {
            id: record.id,
            client_id: record.client_id,
            name: record.name,
            public: record.public,
            native: record.native,
            secret_mac: record.secret_mac,
            auth_method: record.auth_method,
            jwks: record.jwks,
            redirect_uris: list_of(&record.redirect_uris, "redirect_uris")?,
            post_logout_redirect_uris: list_of(
                &record.post_logout_redirect_uris,
                "post_logout_redirect_uris",
            )?,
            grant_types: list_of(&record.grant_types, "grant_types")?,
            scopes: list_of(&record.scopes, "scopes")?,
            default_scopes: list_of(&record.default_scopes, "default_scopes")?,
            audiences: list_of(&record.audiences, "audiences")?,
            default_audience: record.default_audience,
            web_origins: list_of(&record.web_origins, "web_origins")?,
            consent: record.consent,
            signing_alg: record.signing_alg,
            access_token_ttl_secs: record.access_token_ttl_secs,
            refresh_token_ttl_secs: record.refresh_token_ttl_secs,
            created_at: record.created_at,
            updated_at: record.updated_at,
            disabled_at: record.disabled_at,
            version: record.version,
        })
    }
}

/// Converts every client record, failing on the first unreadable one.
pub(crate) fn clients_from(records: Vec<ClientRecord>) -> Result<Vec<ClientRow>, StoreError> {
    records.into_iter().map(ClientRow::try_from).collect()
}

/// An `oauth_refresh_tokens` row joined with its grant.
pub(crate) struct RefreshTokenGrantRecord {
    pub(crate) token_hash: Vec<u8>,
    pub(crate) token_created_at: DateTime<Utc>,
    pub(crate) used_at: Option<DateTime<Utc>>,
    pub(crate) id: Uuid,
    pub(crate) client_id: Uuid,
    pub(crate) user_id: Option<Uuid>,
    pub(crate) session_id: Option<Uuid>,
    pub(crate) scope: String,
    pub(crate) audience: Option<String>,
    pub(crate) auth_time: DateTime<Utc>,
    pub(crate) amr: String,
    pub(crate) acr: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) revoked_at: Option<DateTime<Utc>>,
    pub(crate) revoke_reason: Option<String>,
}

impl From<RefreshTokenGrantRecord> for (RefreshTokenRow, GrantRow) {
    fn from(record: RefreshTokenGrantRecord) -> Self {
        let token = RefreshTokenRow {
            token_hash: record.token_hash,
            grant_id: record.id,
            created_at: record.token_created_at,
            used_at: record.used_at,
        };
        let grant = GrantRow {
            id: record.id,
            client_id: record.client_id,
            user_id: record.user_id,
            session_id: record.session_id,
            scope: record.scope,
            audience: record.audience,
            auth_time: record.auth_time,
            amr: record.amr,
            acr: record.acr,
            created_at: record.created_at,
            expires_at: record.expires_at,
            revoked_at: record.revoked_at,
            revoke_reason: record.revoke_reason,
        };
        (token, grant)
    }
}
