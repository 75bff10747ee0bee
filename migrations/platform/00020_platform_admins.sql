-- +goose Up
-- JANM's platform console (modules/platform): its administrators, their sessions, and the
-- Casbin policies of the console's routes on the platform host (domain '*'). The policy rows
-- equal modules/authz DefaultPolicies("*") minus what migration 00010 already inserted.

-- A platform administrator logs in with e-mail + password (argon2id, account.HashPassword)
-- + TOTP (always required: the secret is created with the account and sealed with AES-GCM
-- under a key derived from secrets.session, as the account module seals its own).
CREATE TABLE platform_users (
    id               bigserial PRIMARY KEY,
    email            text NOT NULL UNIQUE CHECK (email = lower(email) AND email <> ''),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    password_hash    text NOT NULL,
    totp_secret      text NOT NULL,
    -- The last accepted TOTP time step: a code is good once (replay refused).
    totp_last_step   bigint NOT NULL DEFAULT 0,
    failed_logins    integer NOT NULL DEFAULT 0,
    locked_until     timestamptz,
    disabled         boolean NOT NULL DEFAULT false,
    last_login_at    timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Sessions of the platform host; only the SHA-256 of the cookie value is stored.
CREATE TABLE platform_sessions (
    id_hash      bytea PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES platform_users (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ip           text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT ''
);
CREATE INDEX platform_sessions_user_idx ON platform_sessions (user_id);

INSERT INTO casbin_rule (ptype, v0, v1, v2, v3) VALUES
    ('p', 'anonymous', '*', '/platform/login', 'GET'),
    ('p', 'anonymous', '*', '/platform/login', 'POST'),
    ('p', 'anonymous', '*', '/platform/logout', 'POST'),
    ('p', 'anonymous', '*', '/api/v1/platform/auth/login', 'POST'),
    ('p', 'anonymous', '*', '/api/v1/platform/auth/logout', 'POST'),
    ('p', 'anonymous', '*', '/api/v1/platform/session', 'GET'),
    ('p', 'platform_admin', '*', '/platform', 'GET'),
    ('p', 'platform_admin', '*', '/platform/tenants', 'POST'),
    ('p', 'platform_admin', '*', '/platform/tenants/:code/status', 'POST'),
    ('p', 'platform_admin', '*', '/api/v1/platform/tenants', 'GET'),
    ('p', 'platform_admin', '*', '/api/v1/platform/tenants', 'POST'),
    ('p', 'platform_admin', '*', '/api/v1/platform/tenants/:code', 'GET'),
    ('p', 'platform_admin', '*', '/api/v1/platform/tenants/:code', 'PATCH'),
    ('p', 'platform_admin', '*', '/api/v1/platform/tenants/:code', 'DELETE'),
    ('p', 'platform_admin', '*', '/api/v1/platform/tenants/:code/export', 'POST')
ON CONFLICT DO NOTHING;
SELECT pg_notify('speks_casbin_policy', '');

-- +goose Down
DELETE FROM casbin_rule WHERE ptype = 'p' AND v1 = '*' AND (v2 LIKE '/platform%' OR v2 LIKE '/api/v1/platform/%');
DROP TABLE platform_sessions;
DROP TABLE platform_users;
