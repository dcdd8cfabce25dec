-- Capabilities of the OAuth provider's administration: signing keys and token introspection.
-- `gatehouse:admin` holds them (it holds every gatehouse capability); auditors may see keys.

INSERT INTO capabilities (id, api_id, name, description, system, created_at, updated_at)
SELECT seed.column1, X'00000000000070008000000000000001', seed.column2, seed.column3, 1,
       1796428800000000, 1796428800000000
FROM (VALUES
    (X'0000000000007000800000000000010d', 'gatehouse:keys.read',
     'See token-signing keys'),
    (X'0000000000007000800000000000010e', 'gatehouse:keys.rotate',
     'Rotate token-signing keys'),
    (X'0000000000007000800000000000010f', 'gatehouse:tokens.introspect',
     'Introspect any client''s tokens (resource servers)')
) AS seed;

INSERT INTO role_capabilities (role_id, capability_id)
VALUES
    (X'00000000000070008000000000000201', X'0000000000007000800000000000010d'),
    (X'00000000000070008000000000000201', X'0000000000007000800000000000010e'),
    (X'00000000000070008000000000000201', X'0000000000007000800000000000010f'),
    (X'00000000000070008000000000000203', X'0000000000007000800000000000010d');

UPDATE rbac_version SET version = version + 1 WHERE id = 1;
