-- The job queue and the cron schedule's last ticks.

CREATE TABLE jobs (
    id               uuid        PRIMARY KEY,
    kind             text        NOT NULL,
    queue            text        NOT NULL,
    payload          jsonb       NOT NULL,
    state            text        NOT NULL
        CHECK (state IN ('available', 'running', 'completed', 'dead')),
    attempt          integer     NOT NULL DEFAULT 0,
    max_attempts     integer     NOT NULL,
    run_at           timestamptz NOT NULL,
    locked_by        text        NULL,
    lease_expires_at timestamptz NULL,
    last_error       text        NULL,
    unique_key       text        NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    finished_at      timestamptz NULL
);

CREATE INDEX jobs_queue_state_run_at ON jobs (queue, state, run_at);
CREATE INDEX jobs_state_finished_at ON jobs (state, finished_at);

-- At most one available or running job holds a given unique key.
CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('available', 'running');

CREATE TABLE cron_ticks (
    name       text        PRIMARY KEY,
    last_tick  timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
