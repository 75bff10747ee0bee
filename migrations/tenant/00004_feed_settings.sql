-- +goose Up
-- The feed module's tenant policy (one row): whether a feed that brings a new payslip month or
-- EC year mails the people concerned who have an account ("your payslip is ready"). On by
-- default; a state that announces payslips its own way turns it off.
CREATE TABLE feed_settings (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    notify_ready boolean NOT NULL DEFAULT true,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO feed_settings DEFAULT VALUES;

-- +goose Down
DROP TABLE feed_settings;
