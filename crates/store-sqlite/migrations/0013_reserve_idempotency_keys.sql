-- Idempotent creates reserve their key before they run, so that only one request (on any
-- node) runs the create: a row with `completed_at` NULL is a pending reservation (status 0,
-- empty body) whose answer is stored by a conditional update once the create answered. A
-- reservation still pending long after its `created_at` was abandoned (its node died) and may
-- be taken over. Answers stored before this migration are complete.
ALTER TABLE api_idempotency ADD COLUMN completed_at INTEGER;

UPDATE api_idempotency SET completed_at = created_at;
