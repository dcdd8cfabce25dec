-- Users and their password credential. `email_normalized` (NFKC, lowercase) is what makes an
-- address unique; `email` keeps it as typed. `attributes` is JSON object text.

CREATE TABLE users (
    id                uuid        PRIMARY KEY,
    email             text        NOT NULL,
    email_normalized  text        NOT NULL UNIQUE,
    email_verified_at timestamptz NULL,
    display_name      text        NULL,
    given_name        text        NULL,
    family_name       text        NULL,
    locale            text        NULL,
    picture_url       text        NULL,
    attributes        text        NOT NULL DEFAULT '{}',
    status            text        NOT NULL
        CHECK (status IN ('active', 'disabled', 'locked', 'pending_deletion')),
    is_admin          boolean     NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    last_sign_in_at   timestamptz NULL
);

CREATE TABLE password_credentials (
    user_id    uuid        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    hash       text        NOT NULL,
    updated_at timestamptz NOT NULL
);
