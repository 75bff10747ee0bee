-- +goose Up
-- The account module's tenant policy (one row). require_security_answer: forgot-password also
-- asks for the answer to one of the user's security questions (for users who have them), on
-- top of the registered e-mail — never instead of it. Off by default; an IT officer turns it on
-- (admin settings).
CREATE TABLE account_settings (
    singleton               boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    require_security_answer boolean NOT NULL DEFAULT false,
    updated_at              timestamptz NOT NULL DEFAULT now()
);
INSERT INTO account_settings DEFAULT VALUES;

-- +goose Down
DROP TABLE account_settings;
