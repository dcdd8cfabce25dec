-- Attempt throttling counters, one row per throttled key. Timestamps INTEGER Unix microseconds.

CREATE TABLE throttles (
    key             TEXT    NOT NULL PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    blocked_until   INTEGER
) STRICT;
