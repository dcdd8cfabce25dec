-- The OAuth 2.0 / OpenID Connect provider: registered clients (with their service accounts'
-- roles and their logos), token-signing keys, authorization codes, grants and their refresh
-- tokens, consents, and the stored answers of idempotent management-API creates. Secrets are
-- never stored in clear: a client secret is an HMAC digest, a signing key's private half is
-- sealed, codes and refresh tokens are SHA-256 digests. Every one-time value (a code, a refresh
-- token) is used up by one conditional update: when two nodes race, the row lock makes the
-- second wait and then see that the first one used it.

-- Clients. The list-valued fields are JSON array text; `version` counts changes (1 on insert,
-- +1 on each update) for optimistic concurrency.
CREATE TABLE oauth_clients (
    id                        uuid        PRIMARY KEY,
    client_id                 text        NOT NULL UNIQUE,
    name                      text        NOT NULL,
    public                    boolean     NOT NULL,
    native                    boolean     NOT NULL,
    secret_mac                bytea       NULL,
    auth_method               text        NULL,
    jwks                      text        NULL,
    redirect_uris             text        NOT NULL,
    post_logout_redirect_uris text        NOT NULL,
    grant_types               text        NOT NULL,
    scopes                    text        NOT NULL,
    default_scopes            text        NOT NULL,
    audiences                 text        NOT NULL,
    default_audience          text        NULL,
    web_origins               text        NOT NULL,
    consent                   text        NOT NULL CHECK (consent IN ('ask', 'skip')),
    signing_alg               text        NOT NULL,
    access_token_ttl_secs     bigint      NOT NULL,
    refresh_token_ttl_secs    bigint      NOT NULL,
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL,
    disabled_at               timestamptz NULL,
    version                   bigint      NOT NULL
);

-- The roles a client's service account holds (its client-credentials tokens carry their
-- capabilities).
CREATE TABLE oauth_client_roles (
    client_id uuid NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    role_id   uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (client_id, role_id)
);

CREATE INDEX oauth_client_roles_role_id ON oauth_client_roles (role_id);

-- A client's logo, uploaded and served by Gatehouse.
CREATE TABLE oauth_client_logos (
    client_id    uuid        PRIMARY KEY REFERENCES oauth_clients (id) ON DELETE CASCADE,
    content_type text        NOT NULL,
    bytes        bytea       NOT NULL,
    updated_at   timestamptz NOT NULL
);

-- Token-signing keys: published in JWKS from `created_at`, signing from `activates_at` until a
-- newer key of the same algorithm takes over (`retired_at`), deleted after `expires_at`.
-- `private_key` is the PKCS#8 DER sealed under the `signing-keys` data key, `public_jwk` JSON.
CREATE TABLE oauth_signing_keys (
    id           uuid        PRIMARY KEY,
    kid          text        NOT NULL UNIQUE,
    alg          text        NOT NULL,
    private_key  bytea       NOT NULL,
    public_jwk   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    activates_at timestamptz NOT NULL,
    retired_at   timestamptz NULL,
    expires_at   timestamptz NULL
);

-- Authorization codes between the authorization and the token request, by the SHA-256 of the
-- code. `grant_id` names the grant the redemption creates (no foreign key: it does not exist
-- yet); `session_id` is a plain column, like the grants'. `amr` is JSON array text.
CREATE TABLE oauth_codes (
    code_hash      bytea       PRIMARY KEY,
    grant_id       uuid        NOT NULL,
    client_id      uuid        NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id     uuid        NULL,
    redirect_uri   text        NOT NULL,
    scope          text        NOT NULL,
    audience       text        NULL,
    nonce          text        NULL,
    code_challenge text        NULL,
    auth_time      timestamptz NOT NULL,
    amr            text        NOT NULL,
    acr            text        NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    consumed_at    timestamptz NULL
);

CREATE INDEX oauth_codes_expires_at ON oauth_codes (expires_at);

-- Grants: what one authorization (or one client-credentials service) holds, and the family of
-- refresh tokens issued under it. `session_id` is a plain column, not a foreign key: ending or
-- pruning the browser session must not delete the grant, and logout finds grants by it.
CREATE TABLE oauth_grants (
    id            uuid        PRIMARY KEY,
    client_id     uuid        NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id       uuid        NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id    uuid        NULL,
    scope         text        NOT NULL,
    audience      text        NULL,
    auth_time     timestamptz NOT NULL,
    amr           text        NOT NULL,
    acr           text        NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz NULL,
    revoke_reason text        NULL
);

CREATE INDEX oauth_grants_user_id ON oauth_grants (user_id);
CREATE INDEX oauth_grants_session_id ON oauth_grants (session_id);
CREATE INDEX oauth_grants_client_id ON oauth_grants (client_id);
CREATE INDEX oauth_grants_expires_at ON oauth_grants (expires_at);

-- Refresh tokens by the SHA-256 of the token; `used_at` is set when the token is exchanged
-- for its successor.
CREATE TABLE oauth_refresh_tokens (
    token_hash bytea       PRIMARY KEY,
    grant_id   uuid        NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    used_at    timestamptz NULL
);

CREATE INDEX oauth_refresh_tokens_grant_id ON oauth_refresh_tokens (grant_id);

-- Remembered consent: one row per scope a user let a client have.
CREATE TABLE oauth_consents (
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  uuid        NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scope      text        NOT NULL,
    granted_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, client_id, scope)
);

CREATE INDEX oauth_consents_client_id ON oauth_consents (client_id);

-- The stored answers of idempotent management-API creates, by caller and `Idempotency-Key`.
-- `request_digest` is the SHA-256 of method, path and body.
CREATE TABLE api_idempotency (
    actor          text        NOT NULL,
    key            text        NOT NULL,
    request_digest bytea       NOT NULL,
    status         integer     NOT NULL,
    body           text        NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (actor, key)
);

CREATE INDEX api_idempotency_created_at ON api_idempotency (created_at);
