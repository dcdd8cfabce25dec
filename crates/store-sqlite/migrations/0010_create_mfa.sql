-- Second factors and the challenges of sign-ins and WebAuthn ceremonies in progress. Uuids are
-- 16-byte BLOBs, timestamps INTEGER Unix microseconds, flags 0 or 1. Only sealed seeds and
-- digests are kept; every one-time value (a TOTP step, a recovery code, a challenge) is used up
-- by one conditional UPDATE, which SQLite's single writer serialises.

-- TOTP devices: the seed sealed by the TOTP data key; `last_step` is the last accepted time
-- step (a code of this or an earlier step is refused). Unconfirmed until the first code.
CREATE TABLE mfa_totp (
    id           BLOB    NOT NULL PRIMARY KEY,
    user_id      BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    secret       BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    confirmed_at INTEGER,
    last_step    INTEGER,
    last_used_at INTEGER
) STRICT;

CREATE INDEX mfa_totp_user_id_idx ON mfa_totp (user_id);

-- Recovery codes: the keyed digest (HMAC) of the normalised code, unique per user.
CREATE TABLE mfa_recovery_codes (
    id         BLOB    NOT NULL PRIMARY KEY,
    user_id    BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_mac   BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    UNIQUE (user_id, code_mac)
) STRICT;

-- WebAuthn credentials: the authenticator's credential id (unique across all users) and the
-- verifier's serialised credential (JSON TEXT). A `passkey` may sign in alone; a
-- `security_key` is a second factor only.
CREATE TABLE webauthn_credentials (
    id              BLOB    NOT NULL PRIMARY KEY,
    user_id         BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    credential_id   BLOB    NOT NULL UNIQUE,
    credential      TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('passkey', 'security_key')),
    sign_count      INTEGER NOT NULL,
    backup_eligible INTEGER NOT NULL CHECK (backup_eligible IN (0, 1)),
    backup_state    INTEGER NOT NULL CHECK (backup_state IN (0, 1)),
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER
) STRICT;

CREATE INDEX webauthn_credentials_user_id_idx ON webauthn_credentials (user_id);

-- The deadline by which a user must enrol a second factor: set once, when first asked for, and
-- kept when the user's factors are deleted.
CREATE TABLE mfa_enrolment (
    user_id BLOB    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    due_at  INTEGER NOT NULL
) STRICT;

-- Challenges: a sign-in between its first and second factor, or a WebAuthn ceremony between
-- its two requests. Only the SHA-256 digest of the browser's token is kept; `state` is sealed.
CREATE TABLE auth_challenges (
    id          BLOB    NOT NULL PRIMARY KEY,
    token_hash  BLOB    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    user_id     BLOB    REFERENCES users (id) ON DELETE CASCADE,
    session_id  BLOB    REFERENCES sessions (id) ON DELETE CASCADE,
    state       BLOB    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    consumed_at INTEGER
) STRICT;

CREATE INDEX auth_challenges_expires_at_idx ON auth_challenges (expires_at);

-- When the user last authenticated on a session (sign-in or step-up): `auth_time`. SQLite adds
-- a NOT NULL column only with a default; existing sessions then take their creation time.
ALTER TABLE sessions ADD COLUMN authenticated_at INTEGER NOT NULL DEFAULT 0;

UPDATE sessions SET authenticated_at = created_at;
