-- Capabilities of the OAuth provider's administration: signing keys and token introspection.
-- `gatehouse:admin` holds them (it holds every gatehouse capability); auditors may see keys.

INSERT INTO capabilities (id, api_id, name, description, system, created_at, updated_at)
SELECT seed.id::uuid, '00000000-0000-7000-8000-000000000001', seed.name, seed.description, true,
       '2026-12-05T00:00:00Z', '2026-12-05T00:00:00Z'
FROM (VALUES
    ('00000000-0000-7000-8000-00000000010d', 'gatehouse:keys.read',
     'See token-signing keys'),
    ('00000000-0000-7000-8000-00000000010e', 'gatehouse:keys.rotate',
     'Rotate token-signing keys'),
    ('00000000-0000-7000-8000-00000000010f', 'gatehouse:tokens.introspect',
     'Introspect any client''s tokens (resource servers)')
) AS seed (id, name, description);

INSERT INTO role_capabilities (role_id, capability_id)
SELECT seed.role_id::uuid, seed.capability_id::uuid
FROM (VALUES
    ('00000000-0000-7000-8000-000000000201', '00000000-0000-7000-8000-00000000010d'),
    ('00000000-0000-7000-8000-000000000201', '00000000-0000-7000-8000-00000000010e'),
    ('00000000-0000-7000-8000-000000000201', '00000000-0000-7000-8000-00000000010f'),
    ('00000000-0000-7000-8000-000000000203', '00000000-0000-7000-8000-00000000010d')
) AS seed (role_id, capability_id);

UPDATE rbac_version SET version = version + 1 WHERE id = 1;
