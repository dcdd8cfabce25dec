-- Users and their password credential. Uuids are 16-byte BLOBs, timestamps INTEGER Unix
-- microseconds, `attributes` JSON object TEXT, `is_admin` 0 or 1.

CREATE TABLE users (
    id                BLOB    NOT NULL PRIMARY KEY,
    email             TEXT    NOT NULL,
    email_normalized  TEXT    NOT NULL UNIQUE,
    email_verified_at INTEGER,
    display_name      TEXT,
    given_name        TEXT,
    family_name       TEXT,
    locale            TEXT,
    picture_url       TEXT,
    attributes        TEXT    NOT NULL DEFAULT '{}',
    status            TEXT    NOT NULL
        CHECK (status IN ('active', 'disabled', 'locked', 'pending_deletion')),
    is_admin          INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    last_sign_in_at   INTEGER
) STRICT;

CREATE TABLE password_credentials (
    user_id    BLOB    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    hash       TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
