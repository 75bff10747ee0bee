-- +goose Up
-- The last TOTP time step an account used: a code is accepted once, so one seen over a
-- shoulder or phished in real time cannot be replayed within its 30-second window (ASVS 2.8.4).
-- users.totp_secret now holds the secret sealed with AES-256-GCM (key derived from
-- secrets.session), never in clear.
ALTER TABLE users ADD COLUMN totp_last_step bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN totp_last_step;
