-- Wrapped key material: data keys (sealed under a master key) and per-subject keys (sealed
-- under the `subject-kek` data key). Uuids are 16-byte BLOBs, timestamps INTEGER Unix
-- microseconds.

CREATE TABLE data_keys (
    id            BLOB    NOT NULL PRIMARY KEY,
    purpose       TEXT    NOT NULL UNIQUE,
    wrapped       BLOB    NOT NULL,
    master_key_id TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE subject_keys (
    subject_id   BLOB    NOT NULL PRIMARY KEY,
    key_id       BLOB    NOT NULL UNIQUE,
    wrapped      BLOB,
    created_at   INTEGER NOT NULL,
    destroyed_at INTEGER
) STRICT;
