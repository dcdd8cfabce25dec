-- Second factors and the challenges of sign-ins and WebAuthn ceremonies in progress. Only
-- sealed seeds and digests are stored; every one-time value (a TOTP step, a recovery code, a
-- challenge) is used up by one conditional update, so two nodes racing get one success.

-- TOTP devices: the seed sealed by the TOTP data key; `last_step` is the last accepted time
-- step (a code of this or an earlier step is refused). Unconfirmed until the first code.
CREATE TABLE mfa_totp (
    id           uuid        PRIMARY KEY,
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text        NOT NULL,
    secret       bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    confirmed_at timestamptz NULL,
    last_step    bigint      NULL,
    last_used_at timestamptz NULL
);

CREATE INDEX mfa_totp_user_id ON mfa_totp (user_id);

-- Recovery codes: the keyed digest (HMAC) of the normalised code, unique per user.
CREATE TABLE mfa_recovery_codes (
    id         uuid        PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_mac   bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz NULL,
    UNIQUE (user_id, code_mac)
);

-- WebAuthn credentials: the authenticator's credential id (unique across all users) and the
-- verifier's serialised credential (JSON text). A `passkey` may sign in alone; a
-- `security_key` is a second factor only.
CREATE TABLE webauthn_credentials (
    id              uuid        PRIMARY KEY,
    user_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            text        NOT NULL,
    credential_id   bytea       NOT NULL UNIQUE,
    credential      text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('passkey', 'security_key')),
    sign_count      bigint      NOT NULL,
    backup_eligible boolean     NOT NULL,
    backup_state    boolean     NOT NULL,
    created_at      timestamptz NOT NULL,
    last_used_at    timestamptz NULL
);

CREATE INDEX webauthn_credentials_user_id ON webauthn_credentials (user_id);

-- The deadline by which a user must enrol a second factor: set once, when first asked for, and
-- kept when the user's factors are deleted.
CREATE TABLE mfa_enrolment (
    user_id uuid        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    due_at  timestamptz NOT NULL
);

-- Challenges: a sign-in between its first and second factor, or a WebAuthn ceremony between
-- its two requests. Only the SHA-256 digest of the browser's token is stored; `state` is sealed.
CREATE TABLE auth_challenges (
    id          uuid        PRIMARY KEY,
    token_hash  bytea       NOT NULL UNIQUE,
    kind        text        NOT NULL,
    user_id     uuid        NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id  uuid        NULL REFERENCES sessions (id) ON DELETE CASCADE,
    state       bytea       NOT NULL,
    attempts    integer     NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    consumed_at timestamptz NULL
);

CREATE INDEX auth_challenges_expires_at ON auth_challenges (expires_at);

-- When the user last authenticated on a session (sign-in or step-up): `auth_time`. Existing
-- sessions take their creation time.
ALTER TABLE sessions ADD COLUMN authenticated_at timestamptz NULL;

UPDATE sessions SET authenticated_at = created_at;

ALTER TABLE sessions ALTER COLUMN authenticated_at SET NOT NULL;
