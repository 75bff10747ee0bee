-- +goose Up
-- Login throttling as a tenant policy (the IT officer's settings page). Only attempts that do
-- not log in are counted, so thousands of staff behind one NAT address can all log in; the
-- limits are per window of login_window_minutes (docs/SECURITY.md "Lockout and throttling"):
--   login_failures_per_address  wrong attempts from one address
--   login_accounts_per_address  distinct IDs with a wrong attempt from one address (spraying)
--   login_failures_per_account  wrong attempts on one ID from anywhere (on top of the lockout)
--   identify_per_address        distinct IDs whose phrase one address asked for without then
--                               logging in (phrase harvesting)
ALTER TABLE account_settings
    ADD COLUMN login_window_minutes       integer NOT NULL DEFAULT 15  CHECK (login_window_minutes BETWEEN 1 AND 1440),
    ADD COLUMN login_failures_per_address integer NOT NULL DEFAULT 150 CHECK (login_failures_per_address BETWEEN 10 AND 100000),
    ADD COLUMN login_accounts_per_address integer NOT NULL DEFAULT 50  CHECK (login_accounts_per_address BETWEEN 5 AND 10000),
    ADD COLUMN login_failures_per_account integer NOT NULL DEFAULT 30  CHECK (login_failures_per_account BETWEEN 5 AND 1000),
    ADD COLUMN identify_per_address       integer NOT NULL DEFAULT 300 CHECK (identify_per_address BETWEEN 10 AND 100000);

-- +goose Down
ALTER TABLE account_settings
    DROP COLUMN login_window_minutes,
    DROP COLUMN login_failures_per_address,
    DROP COLUMN login_accounts_per_address,
    DROP COLUMN login_failures_per_account,
    DROP COLUMN identify_per_address;
