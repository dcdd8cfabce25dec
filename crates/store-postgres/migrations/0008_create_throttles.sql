-- Attempt throttling: failures per key, counted under the row lock so that parallel requests on
-- any node are counted exactly.

CREATE TABLE throttles (
    key             text        PRIMARY KEY,
    failures        integer     NOT NULL,
    last_failure_at timestamptz NOT NULL,
    blocked_until   timestamptz NULL
);
