-- One-time tokens (verification, reset, email change and setup links, with an optional short
-- code). Only digests are stored; a token is consumed by one conditional update.

CREATE TABLE one_time_tokens (
    id           uuid        PRIMARY KEY,
    token_hash   bytea       NOT NULL UNIQUE,
    purpose      text        NOT NULL,
    user_id      uuid        NULL REFERENCES users (id) ON DELETE CASCADE,
    email        text        NULL,
    code_hash    bytea       NULL,
    attempts     integer     NOT NULL DEFAULT 0,
    max_attempts integer     NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    consumed_at  timestamptz NULL
);

CREATE INDEX one_time_tokens_user_purpose_created_at
    ON one_time_tokens (user_id, purpose, created_at);
