-- Keys that make an effect happen once: the effect and its key commit together, so a job that
-- runs again after its worker died sees the key and skips the effect.
CREATE TABLE idempotency_keys (
    key        text        NOT NULL PRIMARY KEY,
    created_at timestamptz NOT NULL
);

CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
