-- The audit log: append-only records, chained after commit by the chainer, and the chain head
-- kept in its own table. Uuids are 16-byte BLOBs, timestamps INTEGER Unix microseconds.
-- `details` is TEXT: the chain MAC covers its exact bytes.

CREATE TABLE audit_events (
    position        INTEGER PRIMARY KEY AUTOINCREMENT,
    id              BLOB    NOT NULL UNIQUE,
    occurred_at     INTEGER NOT NULL,
    actor_kind      TEXT    NOT NULL,
    actor_id        TEXT,
    action          TEXT    NOT NULL,
    target          TEXT,
    outcome         TEXT    NOT NULL,
    request_id      TEXT,
    subject_id      BLOB,
    details         TEXT,
    personal        BLOB,
    personal_digest BLOB,
    chain_seq       INTEGER UNIQUE,
    chain_mac       BLOB
) STRICT;

CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at);
CREATE INDEX audit_events_subject_id_idx ON audit_events (subject_id);
CREATE INDEX audit_events_action_idx ON audit_events (action);
CREATE INDEX audit_events_unchained_idx ON audit_events (position) WHERE chain_seq IS NULL;

-- Append-only guard. An UPDATE may only set chain_seq and chain_mac (each only from NULL) and
-- clear personal (only to NULL); a DELETE is refused. Whoever can write the file can drop these
-- triggers: the chain, not the triggers, is what detects tampering.
CREATE TRIGGER audit_events_refuse_update
BEFORE UPDATE ON audit_events
WHEN NEW.position IS NOT OLD.position
    OR NEW.id IS NOT OLD.id
    OR NEW.occurred_at IS NOT OLD.occurred_at
    OR NEW.actor_kind IS NOT OLD.actor_kind
    OR NEW.actor_id IS NOT OLD.actor_id
    OR NEW.action IS NOT OLD.action
    OR NEW.target IS NOT OLD.target
    OR NEW.outcome IS NOT OLD.outcome
    OR NEW.request_id IS NOT OLD.request_id
    OR NEW.subject_id IS NOT OLD.subject_id
    OR NEW.details IS NOT OLD.details
    OR NEW.personal_digest IS NOT OLD.personal_digest
    OR (NEW.personal IS NOT NULL AND NEW.personal IS NOT OLD.personal)
    OR (OLD.chain_seq IS NOT NULL AND NEW.chain_seq IS NOT OLD.chain_seq)
    OR (OLD.chain_mac IS NOT NULL AND NEW.chain_mac IS NOT OLD.chain_mac)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: only chain_seq and chain_mac (from NULL) and personal (to NULL) may change');
END;

CREATE TRIGGER audit_events_refuse_delete
BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused');
END;

CREATE TABLE audit_chain_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    seq        INTEGER NOT NULL,
    mac        BLOB    NOT NULL,
    head_mac   BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
