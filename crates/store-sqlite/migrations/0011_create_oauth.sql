-- The OAuth 2.0 / OpenID Connect provider: registered clients (with their service accounts'
-- roles and their logos), token-signing keys, authorization codes, grants and their refresh
-- tokens, consents, and the stored answers of idempotent management-API creates. Uuids are
-- 16-byte BLOBs, timestamps INTEGER Unix microseconds, flags 0 or 1, JSON as TEXT. Secrets are
-- never stored in clear: a client secret is an HMAC digest, a signing key's private half is
-- sealed, codes and refresh tokens are SHA-256 digests. Every one-time value (a code, a refresh
-- token) is used up by one conditional UPDATE, which SQLite's single writer serialises.

-- Clients. The list-valued fields are JSON array TEXT; `version` counts changes (1 on insert,
-- +1 on each update) for optimistic concurrency.
CREATE TABLE oauth_clients (
    id                        BLOB    NOT NULL PRIMARY KEY,
    client_id                 TEXT    NOT NULL UNIQUE,
    name                      TEXT    NOT NULL,
    public                    INTEGER NOT NULL CHECK (public IN (0, 1)),
    native                    INTEGER NOT NULL CHECK (native IN (0, 1)),
    secret_mac                BLOB,
    auth_method               TEXT,
    jwks                      TEXT,
    redirect_uris             TEXT    NOT NULL,
    post_logout_redirect_uris TEXT    NOT NULL,
    grant_types               TEXT    NOT NULL,
    scopes                    TEXT    NOT NULL,
    default_scopes            TEXT    NOT NULL,
    audiences                 TEXT    NOT NULL,
    default_audience          TEXT,
    web_origins               TEXT    NOT NULL,
    consent                   TEXT    NOT NULL CHECK (consent IN ('ask', 'skip')),
    signing_alg               TEXT    NOT NULL,
    access_token_ttl_secs     INTEGER NOT NULL,
    refresh_token_ttl_secs    INTEGER NOT NULL,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    disabled_at               INTEGER,
    version                   INTEGER NOT NULL
) STRICT;

-- The roles a client's service account holds (its client-credentials tokens carry their
-- capabilities).
CREATE TABLE oauth_client_roles (
    client_id BLOB NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    role_id   BLOB NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (client_id, role_id)
) STRICT;

CREATE INDEX oauth_client_roles_role_id_idx ON oauth_client_roles (role_id);

-- A client's logo, uploaded and served by Gatehouse.
CREATE TABLE oauth_client_logos (
    client_id    BLOB    NOT NULL PRIMARY KEY REFERENCES oauth_clients (id) ON DELETE CASCADE,
    content_type TEXT    NOT NULL,
    bytes        BLOB    NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

-- Token-signing keys: published in JWKS from `created_at`, signing from `activates_at` until a
-- newer key of the same algorithm takes over (`retired_at`), deleted after `expires_at`.
-- `private_key` is the PKCS#8 DER sealed under the `signing-keys` data key, `public_jwk` JSON.
CREATE TABLE oauth_signing_keys (
    id           BLOB    NOT NULL PRIMARY KEY,
    kid          TEXT    NOT NULL UNIQUE,
    alg          TEXT    NOT NULL,
    private_key  BLOB    NOT NULL,
    public_jwk   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    activates_at INTEGER NOT NULL,
    retired_at   INTEGER,
    expires_at   INTEGER
) STRICT;

-- Authorization codes between the authorization and the token request, by the SHA-256 of the
-- code. `grant_id` names the grant the redemption creates (no foreign key: it does not exist
-- yet); `session_id` is a plain column, like the grants'. `amr` is a JSON array TEXT.
CREATE TABLE oauth_codes (
    code_hash      BLOB    NOT NULL PRIMARY KEY,
    grant_id       BLOB    NOT NULL,
    client_id      BLOB    NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id        BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id     BLOB,
    redirect_uri   TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    audience       TEXT,
    nonce          TEXT,
    code_challenge TEXT,
    auth_time      INTEGER NOT NULL,
    amr            TEXT    NOT NULL,
    acr            TEXT,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    consumed_at    INTEGER
) STRICT;

CREATE INDEX oauth_codes_expires_at_idx ON oauth_codes (expires_at);

-- Grants: what one authorization (or one client-credentials service) holds, and the family of
-- refresh tokens issued under it. `session_id` is a plain column, not a foreign key: ending or
-- pruning the browser session must not delete the grant, and logout finds grants by it.
CREATE TABLE oauth_grants (
    id            BLOB    NOT NULL PRIMARY KEY,
    client_id     BLOB    NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id       BLOB    REFERENCES users (id) ON DELETE CASCADE,
    session_id    BLOB,
    scope         TEXT    NOT NULL,
    audience      TEXT,
    auth_time     INTEGER NOT NULL,
    amr           TEXT    NOT NULL,
    acr           TEXT,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    revoke_reason TEXT
) STRICT;

CREATE INDEX oauth_grants_user_id_idx ON oauth_grants (user_id);
CREATE INDEX oauth_grants_session_id_idx ON oauth_grants (session_id);
CREATE INDEX oauth_grants_client_id_idx ON oauth_grants (client_id);
CREATE INDEX oauth_grants_expires_at_idx ON oauth_grants (expires_at);

-- Refresh tokens by the SHA-256 of the token; `used_at` is set when the token is exchanged
-- for its successor.
CREATE TABLE oauth_refresh_tokens (
    token_hash BLOB    NOT NULL PRIMARY KEY,
    grant_id   BLOB    NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;

CREATE INDEX oauth_refresh_tokens_grant_id_idx ON oauth_refresh_tokens (grant_id);

-- Remembered consent: one row per scope a user let a client have.
CREATE TABLE oauth_consents (
    user_id    BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  BLOB    NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scope      TEXT    NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id, scope)
) STRICT;

CREATE INDEX oauth_consents_client_id_idx ON oauth_consents (client_id);

-- The stored answers of idempotent management-API creates, by caller and `Idempotency-Key`.
-- `request_digest` is the SHA-256 of method, path and body.
CREATE TABLE api_idempotency (
    actor          TEXT    NOT NULL,
    key            TEXT    NOT NULL,
    request_digest BLOB    NOT NULL,
    status         INTEGER NOT NULL,
    body           TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (actor, key)
) STRICT;

CREATE INDEX api_idempotency_created_at_idx ON api_idempotency (created_at);
