-- +goose Up
-- Accounts (modules/account): credentials, lockout, sessions, one-time codes and e-mail links.
-- The users table of 00001 gains what login needs; secrets are stored only as hashes.

ALTER TABLE users
    -- Suppliers known by both company-number forms: login_id holds the new form, this the old.
    ADD COLUMN alt_login_id         text UNIQUE,
    -- argon2id in PHC form ($argon2id$v=19$m=…,t=…,p=…$salt$hash): parameters travel with it.
    ADD COLUMN password_hash        text NOT NULL DEFAULT '',
    ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
    ADD COLUMN password_changed_at  timestamptz,
    -- Shown before the password (anti-phishing). Not a secret from its owner, so kept as text.
    ADD COLUMN secret_phrase        text NOT NULL DEFAULT '',
    ADD COLUMN roles                text[] NOT NULL DEFAULT '{}',
    ADD COLUMN totp_secret          text NOT NULL DEFAULT '',
    ADD COLUMN totp_enabled         boolean NOT NULL DEFAULT false,
    ADD COLUMN department_code      text REFERENCES departments (code),
    ADD COLUMN ptj_code             text REFERENCES ptjs (code),
    ADD COLUMN email_verified_at    timestamptz,
    ADD COLUMN activated_at         timestamptz,
    ADD COLUMN last_login_at        timestamptz;

-- Lockout state is kept per normalised login ID whether or not an account exists, so the lock
-- itself never tells an attacker that an ID is registered. lockouts counts consecutive locks
-- (each one lasts twice as long as the one before); a successful login clears the row.
CREATE TABLE login_failures (
    login_id     text PRIMARY KEY,
    failures     integer NOT NULL DEFAULT 0,
    lockouts     integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Fixed-window request counters for throttling (per IP, per account, per flow). In PostgreSQL,
-- not Redis, so login keeps working (and keeps being throttled) while Redis is down.
CREATE TABLE auth_throttle (
    key          text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL DEFAULT 0,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX auth_throttle_window_idx ON auth_throttle (window_start);

-- Server-side sessions. id_hash is the SHA-256 of the cookie value: a copy of this table opens
-- no session. purpose is empty for a full session; otherwise the one thing a restricted session
-- may do (change_password, complete_activation, enrol_totp).
CREATE TABLE sessions (
    id_hash      bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    purpose      text NOT NULL DEFAULT '' CHECK (purpose IN ('', 'change_password', 'complete_activation', 'enrol_totp')),
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    ip           text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_created_idx ON sessions (created_at);

-- One-time codes ("kata laluan sementara"): HMAC of the code only; single use; the newest
-- unused one per user is the only one that works (issuing one closes the others).
CREATE TABLE one_time_codes (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('first_login', 'password_reset', 'account_created')),
    code_hash  bytea NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    closed_at  timestamptz
);
CREATE INDEX one_time_codes_user_idx ON one_time_codes (user_id) WHERE used_at IS NULL AND closed_at IS NULL;

-- Links sent by e-mail (address verification, e-mail change): SHA-256 of the token, single use.
CREATE TABLE email_tokens (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('verify_email', 'email_change')),
    new_email  text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id);

-- +goose Down
DROP TABLE email_tokens;
DROP TABLE one_time_codes;
DROP TABLE sessions;
DROP TABLE auth_throttle;
DROP TABLE login_failures;
ALTER TABLE users
    DROP COLUMN alt_login_id, DROP COLUMN password_hash, DROP COLUMN must_change_password,
    DROP COLUMN password_changed_at, DROP COLUMN secret_phrase, DROP COLUMN roles,
    DROP COLUMN totp_secret, DROP COLUMN totp_enabled, DROP COLUMN department_code,
    DROP COLUMN ptj_code, DROP COLUMN email_verified_at, DROP COLUMN activated_at,
    DROP COLUMN last_login_at;
