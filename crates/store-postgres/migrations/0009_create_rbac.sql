-- The authorization model: APIs and their capabilities, roles (capabilities and included roles),
-- groups, and users' role assignments. `rbac_version` is incremented by every model change;
-- a change locks its row first (`FOR UPDATE`), which serialises model changes across nodes.
-- The seeded system API, capabilities and roles are the same rows on both backends.

CREATE TABLE apis (
    id          uuid        PRIMARY KEY,
    audience    text        NOT NULL UNIQUE,
    name        text        NOT NULL,
    description text        NOT NULL,
    system      boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE capabilities (
    id          uuid        PRIMARY KEY,
    api_id      uuid        NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    name        text        NOT NULL UNIQUE,
    description text        NOT NULL,
    system      boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE roles (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL UNIQUE,
    description text        NOT NULL,
    system      boolean     NOT NULL DEFAULT false,
    version     bigint      NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE role_capabilities (
    role_id       uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    capability_id uuid NOT NULL REFERENCES capabilities (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, capability_id)
);

CREATE TABLE role_includes (
    role_id          uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    included_role_id uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, included_role_id)
);

CREATE TABLE groups (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL UNIQUE,
    description text        NOT NULL,
    version     bigint      NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE group_members (
    group_id uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);

CREATE INDEX group_members_user_id ON group_members (user_id);

CREATE TABLE group_roles (
    group_id uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    role_id  uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, role_id)
);

CREATE TABLE user_roles (
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id    uuid        NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    expires_at timestamptz NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, role_id)
);

CREATE INDEX user_roles_role_id ON user_roles (role_id);

CREATE TABLE rbac_version (
    id      integer PRIMARY KEY CHECK (id = 1),
    version bigint  NOT NULL
);

INSERT INTO rbac_version (id, version) VALUES (1, 1);

-- Gatehouse's own API, its capabilities and its roles.

INSERT INTO apis (id, audience, name, description, system, created_at, updated_at)
VALUES ('00000000-0000-7000-8000-000000000001', 'gatehouse', 'Gatehouse',
        'Gatehouse''s own console and management API', true,
        '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');

INSERT INTO capabilities (id, api_id, name, description, system, created_at, updated_at)
SELECT seed.id::uuid, '00000000-0000-7000-8000-000000000001', seed.name, seed.description, true,
       '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'
FROM (VALUES
    ('00000000-0000-7000-8000-000000000101', 'gatehouse:users.read',
     'See users and their profiles'),
    ('00000000-0000-7000-8000-000000000102', 'gatehouse:users.write',
     'Create, change, disable and delete users'),
    ('00000000-0000-7000-8000-000000000103', 'gatehouse:sessions.revoke',
     'End users'' sessions'),
    ('00000000-0000-7000-8000-000000000104', 'gatehouse:mfa.reset',
     'Reset users'' second factors'),
    ('00000000-0000-7000-8000-000000000105', 'gatehouse:roles.read',
     'See APIs, capabilities, roles and groups'),
    ('00000000-0000-7000-8000-000000000106', 'gatehouse:roles.write',
     'Change APIs, capabilities, roles, groups and assignments'),
    ('00000000-0000-7000-8000-000000000107', 'gatehouse:audit.read',
     'Read the audit log'),
    ('00000000-0000-7000-8000-000000000108', 'gatehouse:clients.read',
     'See OAuth clients'),
    ('00000000-0000-7000-8000-000000000109', 'gatehouse:clients.write',
     'Create and change OAuth clients'),
    ('00000000-0000-7000-8000-00000000010a', 'gatehouse:jobs.read',
     'See background jobs'),
    ('00000000-0000-7000-8000-00000000010b', 'gatehouse:jobs.write',
     'Retry and cancel background jobs'),
    ('00000000-0000-7000-8000-00000000010c', 'gatehouse:authorize',
     'Ask the check API about any user')
) AS seed (id, name, description);

INSERT INTO roles (id, name, description, system, version, created_at, updated_at)
SELECT seed.id::uuid, seed.name, seed.description, true, 1,
       '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'
FROM (VALUES
    ('00000000-0000-7000-8000-000000000201', 'gatehouse:admin',
     'Every gatehouse capability'),
    ('00000000-0000-7000-8000-000000000202', 'gatehouse:user-manager',
     'Manage users, their sessions and second factors'),
    ('00000000-0000-7000-8000-000000000203', 'gatehouse:auditor',
     'Read users and the audit log')
) AS seed (id, name, description);

INSERT INTO role_capabilities (role_id, capability_id)
SELECT seed.role_id::uuid, seed.capability_id::uuid
FROM (VALUES
    ('00000000-0000-7000-8000-000000000201', '00000000-0000-7000-8000-000000000101'),
    ('00000000-0000-7000-8000-000000000201', '00000000-0000-7000-8000-000000000102'),
    ('00000000-0000-7000-8000-000000000201', '00000000-0000-7000-8000-000000000103'),
    ('00000000-0000-7000-8000-000000000201', '00000000-0000-7000-8000-000000000104'),
    ('00000000-0000-7000-8000-000000000201', '00000000-0000-7000-8000-000000000105'),
    ('00000000-0000-7000-8000-000000000201', '00000000-0000-7000-8000-000000000106'),
    ('00000000-0000-7000-8000-000000000201', '00000000-0000-7000-8000-000000000107'),
    ('00000000-0000-7000-8000-000000000201', '00000000-0000-7000-8000-000000000108'),
    ('00000000-0000-7000-8000-000000000201', '00000000-0000-7000-8000-000000000109'),
    ('00000000-0000-7000-8000-000000000201', '00000000-0000-7000-8000-00000000010a'),
    ('00000000-0000-7000-8000-000000000201', '00000000-0000-7000-8000-00000000010b'),
    ('00000000-0000-7000-8000-000000000201', '00000000-0000-7000-8000-00000000010c'),
    ('00000000-0000-7000-8000-000000000202', '00000000-0000-7000-8000-000000000101'),
    ('00000000-0000-7000-8000-000000000202', '00000000-0000-7000-8000-000000000102'),
    ('00000000-0000-7000-8000-000000000202', '00000000-0000-7000-8000-000000000103'),
    ('00000000-0000-7000-8000-000000000202', '00000000-0000-7000-8000-000000000104'),
    ('00000000-0000-7000-8000-000000000203', '00000000-0000-7000-8000-000000000101'),
    ('00000000-0000-7000-8000-000000000203', '00000000-0000-7000-8000-000000000105'),
    ('00000000-0000-7000-8000-000000000203', '00000000-0000-7000-8000-000000000107')
) AS seed (role_id, capability_id);

-- The bootstrap flag becomes the role: every existing admin holds `gatehouse:admin`.
INSERT INTO user_roles (user_id, role_id, expires_at, created_at)
SELECT id, '00000000-0000-7000-8000-000000000201', NULL, created_at FROM users WHERE is_admin;
