-- Wrapped key material: data keys (sealed under a master key) and per-subject keys (sealed under
-- the `subject-kek` data key). Destroying a subject key sets `wrapped` to NULL for good.

CREATE TABLE data_keys (
    id            uuid        PRIMARY KEY,
    purpose       text        NOT NULL UNIQUE,
    wrapped       bytea       NOT NULL,
    master_key_id text        NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE subject_keys (
    subject_id   uuid        PRIMARY KEY,
    key_id       uuid        NOT NULL UNIQUE,
    wrapped      bytea       NULL,
    created_at   timestamptz NOT NULL,
    destroyed_at timestamptz NULL
);
