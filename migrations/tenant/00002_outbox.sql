-- +goose Up
-- The mail outbox (modules/notify). A mail is written here inside the transaction of the change
-- that causes it, so it exists exactly when that change commits; a relay hands pending rows to
-- Asynq and the worker sends them. Life of a row:
--   pending → queued (task in Redis) → sending (leased by one worker) → sent | failed
-- and back from sending to queued when a temporary SMTP error leaves retries.
-- `data` holds the template's values, one-time codes included: it is emptied once the row is
-- sent or failed, so no code outlives its mail.

CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    recipient   text NOT NULL CHECK (recipient <> ''),
    template    text NOT NULL,
    lang        text NOT NULL DEFAULT 'ms' CHECK (lang IN ('ms', 'en')),
    data        jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- Optional caller key: a retried caller does not queue the same mail twice.
    dedup_key   text UNIQUE,
    status      text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'queued', 'sending', 'sent', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text NOT NULL DEFAULT '',
    -- While status = 'sending': the worker holding the row; after it, another may take over.
    lease_until timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    queued_at   timestamptz,
    sent_at     timestamptz,
    failed_at   timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The relay's two reads, the admin console's list of failed mail, and the purge.
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE status = 'pending';
CREATE INDEX outbox_queued_idx ON outbox (queued_at) WHERE status = 'queued';
CREATE INDEX outbox_failed_idx ON outbox (failed_at) WHERE status = 'failed';
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE status = 'sent';

-- +goose Down
DROP TABLE outbox;
