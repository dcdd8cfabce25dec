-- The job queue and the cron schedule's last ticks. Uuids are 16-byte BLOBs, timestamps INTEGER
-- Unix microseconds, payloads JSON TEXT.

CREATE TABLE jobs (
    id               BLOB    NOT NULL PRIMARY KEY,
    kind             TEXT    NOT NULL,
    queue            TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    state            TEXT    NOT NULL
        CHECK (state IN ('available', 'running', 'completed', 'dead')),
    attempt          INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    run_at           INTEGER NOT NULL,
    locked_by        TEXT,
    lease_expires_at INTEGER,
    last_error       TEXT,
    unique_key       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER
) STRICT;

CREATE INDEX jobs_queue_state_run_at_idx ON jobs (queue, state, run_at);
CREATE INDEX jobs_state_finished_at_idx ON jobs (state, finished_at);

-- At most one available or running job holds a given unique key.
CREATE UNIQUE INDEX jobs_unique_key_idx ON jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('available', 'running');

CREATE TABLE cron_ticks (
    name       TEXT    NOT NULL PRIMARY KEY,
    last_tick  INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
