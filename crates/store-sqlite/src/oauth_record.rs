//! OAuth rows as read by the queries, and their translation into the domain's [`ClientRow`],
//! [`ClientLogoRow`], [`SigningKeyRow`], [`AuthCodeRow`], [`GrantRow`], [`RefreshTokenRow`],
//! [`ConsentRow`] and [`IdempotentResponseRow`]. A client's list-valued fields are stored as
//! JSON arrays of strings.

use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    AuthCodeRow, ClientLogoRow, ClientRow, ConsentRow, GrantRow, IdempotentResponseRow,
    RefreshTokenRow, SigningKeyRow,
};
use uuid::Uuid;

use crate::convert::{optional_timestamp, timestamp};

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

/// An `oauth_clients` row in its stored form.
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
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) disabled_at: Option<i64>,
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
            created_at: timestamp(record.created_at)?,
            updated_at: timestamp(record.updated_at)?,
            disabled_at: optional_timestamp(record.disabled_at)?,
            version: record.version,
        })
    }
}

/// An `oauth_client_logos` row in its stored form.
pub(crate) struct ClientLogoRecord {
    pub(crate) client_id: Uuid,
    pub(crate) content_type: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) updated_at: i64,
}

impl TryFrom<ClientLogoRecord> for ClientLogoRow {
    type Error = StoreError;

    fn try_from(record: ClientLogoRecord) -> Result<Self, StoreError> {
        Ok(ClientLogoRow {
            client_id: record.client_id,
            content_type: record.content_type,
            bytes: record.bytes,
            updated_at: timestamp(record.updated_at)?,
        })
    }
}

/// An `oauth_signing_keys` row in its stored form.
pub(crate) struct SigningKeyRecord {
    pub(crate) id: Uuid,
    pub(crate) kid: String,
    pub(crate) alg: String,
    pub(crate) private_key: Vec<u8>,
    pub(crate) public_jwk: String,
    pub(crate) created_at: i64,
    pub(crate) activates_at: i64,
    pub(crate) retired_at: Option<i64>,
    pub(crate) expires_at: Option<i64>,
}

impl TryFrom<SigningKeyRecord> for SigningKeyRow {
    type Error = StoreError;

    fn try_from(record: SigningKeyRecord) -> Result<Self, StoreError> {
        Ok(SigningKeyRow {
            id: record.id,
            kid: record.kid,
            alg: record.alg,
            private_key: record.private_key,
            public_jwk: record.public_jwk,
            created_at: timestamp(record.created_at)?,
            activates_at: timestamp(record.activates_at)?,
            retired_at: optional_timestamp(record.retired_at)?,
            expires_at: optional_timestamp(record.expires_at)?,
        })
    }
}

/// An `oauth_codes` row in its stored form.
pub(crate) struct AuthCodeRecord {
    pub(crate) code_hash: Vec<u8>,
    pub(crate) grant_id: Uuid,
    pub(crate) client_id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) session_id: Option<Uuid>,
    pub(crate) redirect_uri: String,
    pub(crate) scope: String,
    pub(crate) audience: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) auth_time: i64,
    pub(crate) amr: String,
    pub(crate) acr: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) consumed_at: Option<i64>,
}

impl TryFrom<AuthCodeRecord> for AuthCodeRow {
    type Error = StoreError;

    fn try_from(record: AuthCodeRecord) -> Result<Self, StoreError> {
        Ok(AuthCodeRow {
            code_hash: record.code_hash,
            grant_id: record.grant_id,
            client_id: record.client_id,
            user_id: record.user_id,
            session_id: record.session_id,
            redirect_uri: record.redirect_uri,
            scope: record.scope,
            audience: record.audience,
            nonce: record.nonce,
            code_challenge: record.code_challenge,
            auth_time: timestamp(record.auth_time)?,
            amr: record.amr,
            acr: record.acr,
            created_at: timestamp(record.created_at)?,
            expires_at: timestamp(record.expires_at)?,
            consumed_at: optional_timestamp(record.consumed_at)?,
        })
    }
}

/// An `oauth_grants` row in its stored form.
pub(crate) struct GrantRecord {
    pub(crate) id: Uuid,
    pub(crate) client_id: Uuid,
    pub(crate) user_id: Option<Uuid>,
    pub(crate) session_id: Option<Uuid>,
    pub(crate) scope: String,
    pub(crate) audience: Option<String>,
    pub(crate) auth_time: i64,
    pub(crate) amr: String,
    pub(crate) acr: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) revoked_at: Option<i64>,
    pub(crate) revoke_reason: Option<String>,
}

impl TryFrom<GrantRecord> for GrantRow {
    type Error = StoreError;

    fn try_from(record: GrantRecord) -> Result<Self, StoreError> {
        Ok(GrantRow {
            id: record.id,
            client_id: record.client_id,
            user_id: record.user_id,
            session_id: record.session_id,
            scope: record.scope,
            audience: record.audience,
            auth_time: timestamp(record.auth_time)?,
            amr: record.amr,
            acr: record.acr,
            created_at: timestamp(record.created_at)?,
            expires_at: timestamp(record.expires_at)?,
            revoked_at: optional_timestamp(record.revoked_at)?,
            revoke_reason: record.revoke_reason,
        })
    }
}

/// An `oauth_refresh_tokens` row joined with its grant, in their stored form.
pub(crate) struct RefreshTokenGrantRecord {
    pub(crate) token_hash: Vec<u8>,
    pub(crate) token_created_at: i64,
    pub(crate) used_at: Option<i64>,
    pub(crate) id: Uuid,
    pub(crate) client_id: Uuid,
    pub(crate) user_id: Option<Uuid>,
    pub(crate) session_id: Option<Uuid>,
    pub(crate) scope: String,
    pub(crate) audience: Option<String>,
    pub(crate) auth_time: i64,
    pub(crate) amr: String,
    pub(crate) acr: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) revoked_at: Option<i64>,
    pub(crate) revoke_reason: Option<String>,
}

impl TryFrom<RefreshTokenGrantRecord> for (RefreshTokenRow, GrantRow) {
    type Error = StoreError;

    fn try_from(record: RefreshTokenGrantRecord) -> Result<Self, StoreError> {
        let token = RefreshTokenRow {
            token_hash: record.token_hash,
            grant_id: record.id,
            created_at: timestamp(record.token_created_at)?,
            used_at: optional_timestamp(record.used_at)?,
        };
        let grant = GrantRow::try_from(GrantRecord {
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
        })?;
        Ok((token, grant))
    }
}

/// An `oauth_consents` row in its stored form.
pub(crate) struct ConsentRecord {
    pub(crate) user_id: Uuid,
    pub(crate) client_id: Uuid,
    pub(crate) scope: String,
    pub(crate) granted_at: i64,
}

impl TryFrom<ConsentRecord> for ConsentRow {
    type Error = StoreError;

    fn try_from(record: ConsentRecord) -> Result<Self, StoreError> {
        Ok(ConsentRow {
            user_id: record.user_id,
            client_id: record.client_id,
            scope: record.scope,
            granted_at: timestamp(record.granted_at)?,
        })
    }
}

/// An `api_idempotency` row in its stored form.
pub(crate) struct IdempotentResponseRecord {
    pub(crate) actor: String,
    pub(crate) key: String,
    pub(crate) request_digest: Vec<u8>,
    pub(crate) status: i32,
    pub(crate) body: String,
    pub(crate) created_at: i64,
    pub(crate) completed_at: Option<i64>,
}

impl TryFrom<IdempotentResponseRecord> for IdempotentResponseRow {
    type Error = StoreError;

    fn try_from(record: IdempotentResponseRecord) -> Result<Self, StoreError> {
        Ok(IdempotentResponseRow {
            actor: record.actor,
            key: record.key,
            request_digest: record.request_digest,
            status: record.status,
            body: record.body,
            created_at: timestamp(record.created_at)?,
            completed_at: optional_timestamp(record.completed_at)?,
        })
    }
}
