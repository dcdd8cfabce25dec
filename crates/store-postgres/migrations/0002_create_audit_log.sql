-- The audit log: append-only records, linked into an HMAC chain after commit by a single chainer,
-- and the chain head kept in its own one-row table.

CREATE TABLE audit_events (
    position        bigserial   PRIMARY KEY,
    id              uuid        NOT NULL UNIQUE,
    occurred_at     timestamptz NOT NULL,
    actor_kind      text        NOT NULL,
    actor_id        text        NULL,
    action          text        NOT NULL,
    target          text        NULL,
    outcome         text        NOT NULL,
    request_id      text        NULL,
    subject_id      uuid        NULL,
    -- TEXT, never jsonb: the chain MAC covers its exact bytes.
    details         text        NULL,
    personal        bytea       NULL,
    personal_digest bytea       NULL,
    chain_seq       bigint      NULL UNIQUE,
    chain_mac       bytea       NULL
);

CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at);
CREATE INDEX audit_events_subject_id ON audit_events (subject_id);
CREATE INDEX audit_events_action ON audit_events (action);
CREATE INDEX audit_events_unchained ON audit_events (position) WHERE chain_seq IS NULL;

-- Append-only guard. An UPDATE may only set `chain_seq` and `chain_mac` (each only from NULL) and
-- clear `personal` (only to NULL); every other column is compared as a whole, so a column added
-- later is guarded without changing this function. DELETE and TRUNCATE are refused. Someone with
-- write access can drop these triggers: the chain, not the triggers, is what detects tampering.
CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF (to_jsonb(NEW) - ARRAY['chain_seq', 'chain_mac', 'personal'])
        IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['chain_seq', 'chain_mac', 'personal']) THEN
        RAISE EXCEPTION 'audit_events is append-only: record % may not change', OLD.position
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.chain_seq IS NOT NULL AND NEW.chain_seq IS DISTINCT FROM OLD.chain_seq THEN
        RAISE EXCEPTION 'audit_events is append-only: chain_seq of record % is set', OLD.position
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.chain_mac IS NOT NULL AND NEW.chain_mac IS DISTINCT FROM OLD.chain_mac THEN
        RAISE EXCEPTION 'audit_events is append-only: chain_mac of record % is set', OLD.position
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.personal IS NOT NULL AND NEW.personal IS DISTINCT FROM OLD.personal THEN
        RAISE EXCEPTION 'audit_events is append-only: personal of record % may only be cleared',
            OLD.position
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER audit_events_guard_update
    BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TRIGGER audit_events_guard_delete
    BEFORE DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TRIGGER audit_events_guard_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

CREATE TABLE audit_chain_head (
    id         integer     PRIMARY KEY CHECK (id = 1),
    seq        bigint      NOT NULL,
    mac        bytea       NOT NULL,
    head_mac   bytea       NOT NULL,
    updated_at timestamptz NOT NULL
);
