-- The authorization model: APIs and their capabilities, roles (capabilities and included roles),
-- groups, and users' role assignments. Uuids are 16-byte BLOBs, timestamps INTEGER Unix
-- microseconds, flags 0 or 1. `rbac_version` is incremented by every model change; a change
-- takes SQLite's single writer first, which serialises model changes.
-- The seeded system API, capabilities and roles are the same rows on both backends.

CREATE TABLE apis (
    id          BLOB    NOT NULL PRIMARY KEY,
    audience    TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    system      INTEGER NOT NULL DEFAULT 0 CHECK (system IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE capabilities (
    id          BLOB    NOT NULL PRIMARY KEY,
    api_id      BLOB    NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL,
    system      INTEGER NOT NULL DEFAULT 0 CHECK (system IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE roles (
    id          BLOB    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL,
    system      INTEGER NOT NULL DEFAULT 0 CHECK (system IN (0, 1)),
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE role_capabilities (
    role_id       BLOB NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    capability_id BLOB NOT NULL REFERENCES capabilities (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, capability_id)
) STRICT;

CREATE TABLE role_includes (
    role_id          BLOB NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    included_role_id BLOB NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, included_role_id)
) STRICT;

CREATE TABLE groups (
    id          BLOB    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE group_members (
    group_id BLOB NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
) STRICT;

CREATE INDEX group_members_user_id_idx ON group_members (user_id);

CREATE TABLE group_roles (
    group_id BLOB NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    role_id  BLOB NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, role_id)
) STRICT;

CREATE TABLE user_roles (
    user_id    BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id    BLOB    NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    expires_at INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, role_id)
) STRICT;

CREATE INDEX user_roles_role_id_idx ON user_roles (role_id);

CREATE TABLE rbac_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
) STRICT;

INSERT INTO rbac_version (id, version) VALUES (1, 1);

-- Gatehouse's own API, its capabilities and its roles, created 2026-01-01T00:00:00Z
-- (1767225600000000 µs). Ids are `00000000-0000-7000-8000-000000000001`, `…0101` to `…010c`
-- and `…0201` to `…0203` as BLOB literals.

INSERT INTO apis (id, audience, name, description, system, created_at, updated_at)
VALUES (X'00000000000070008000000000000001', 'gatehouse', 'Gatehouse',
        'Gatehouse''s own console and management API', 1,
        1767225600000000, 1767225600000000);

INSERT INTO capabilities (id, api_id, name, description, system, created_at, updated_at)
SELECT seed.column1, X'00000000000070008000000000000001', seed.column2, seed.column3, 1,
       1767225600000000, 1767225600000000
FROM (VALUES
    (X'00000000000070008000000000000101', 'gatehouse:users.read',
     'See users and their profiles'),
    (X'00000000000070008000000000000102', 'gatehouse:users.write',
     'Create, change, disable and delete users'),
    (X'00000000000070008000000000000103', 'gatehouse:sessions.revoke',
     'End users'' sessions'),
    (X'00000000000070008000000000000104', 'gatehouse:mfa.reset',
     'Reset users'' second factors'),
    (X'00000000000070008000000000000105', 'gatehouse:roles.read',
     'See APIs, capabilities, roles and groups'),
    (X'00000000000070008000000000000106', 'gatehouse:roles.write',
     'Change APIs, capabilities, roles, groups and assignments'),
    (X'00000000000070008000000000000107', 'gatehouse:audit.read',
     'Read the audit log'),
    (X'00000000000070008000000000000108', 'gatehouse:clients.read',
     'See OAuth clients'),
    (X'00000000000070008000000000000109', 'gatehouse:clients.write',
     'Create and change OAuth clients'),
    (X'0000000000007000800000000000010A', 'gatehouse:jobs.read',
     'See background jobs'),
    (X'0000000000007000800000000000010B', 'gatehouse:jobs.write',
     'Retry and cancel background jobs'),
    (X'0000000000007000800000000000010C', 'gatehouse:authorize',
     'Ask the check API about any user')
) AS seed;

INSERT INTO roles (id, name, description, system, version, created_at, updated_at)
SELECT seed.column1, seed.column2, seed.column3, 1, 1, 1767225600000000, 1767225600000000
FROM (VALUES
    (X'00000000000070008000000000000201', 'gatehouse:admin',
     'Every gatehouse capability'),
    (X'00000000000070008000000000000202', 'gatehouse:user-manager',
     'Manage users, their sessions and second factors'),
    (X'00000000000070008000000000000203', 'gatehouse:auditor',
     'Read users and the audit log')
) AS seed;

-- `gatehouse:admin` holds every capability of the API; the other two hold a few.
INSERT INTO role_capabilities (role_id, capability_id)
SELECT X'00000000000070008000000000000201', id FROM capabilities
WHERE api_id = X'00000000000070008000000000000001';

INSERT INTO role_capabilities (role_id, capability_id)
VALUES
    (X'00000000000070008000000000000202', X'00000000000070008000000000000101'),
    (X'00000000000070008000000000000202', X'00000000000070008000000000000102'),
    (X'00000000000070008000000000000202', X'00000000000070008000000000000103'),
    (X'00000000000070008000000000000202', X'00000000000070008000000000000104'),
    (X'00000000000070008000000000000203', X'00000000000070008000000000000101'),
    (X'00000000000070008000000000000203', X'00000000000070008000000000000105'),
    (X'00000000000070008000000000000203', X'00000000000070008000000000000107');

-- The bootstrap flag becomes the role: every existing admin holds `gatehouse:admin`.
INSERT INTO user_roles (user_id, role_id, expires_at, created_at)
SELECT id, X'00000000000070008000000000000201', NULL, created_at FROM users WHERE is_admin = 1;
