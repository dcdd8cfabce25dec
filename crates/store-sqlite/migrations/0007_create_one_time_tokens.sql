-- One-time tokens (links and codes): only digests are kept. Uuids are 16-byte BLOBs,
-- timestamps INTEGER Unix microseconds.

CREATE TABLE one_time_tokens (
    id           BLOB    NOT NULL PRIMARY KEY,
    token_hash   BLOB    NOT NULL UNIQUE,
    purpose      TEXT    NOT NULL,
    user_id      BLOB    REFERENCES users (id) ON DELETE CASCADE,
    email        TEXT,
    code_hash    BLOB,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    consumed_at  INTEGER
) STRICT;

CREATE INDEX one_time_tokens_user_purpose_created_at_idx
    ON one_time_tokens (user_id, purpose, created_at);
