-- Browser sessions: only the SHA-256 digest of the cookie token is kept. Uuids are 16-byte
-- BLOBs, timestamps INTEGER Unix microseconds, `amr` a JSON array TEXT.

CREATE TABLE sessions (
    id           BLOB    NOT NULL PRIMARY KEY,
    token_hash   BLOB    NOT NULL UNIQUE,
    user_id      BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    user_agent   TEXT,
    ip           TEXT,
    amr          TEXT    NOT NULL
) STRICT;

CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
