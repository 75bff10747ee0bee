-- +goose Up
-- The tenant's audit trail of account changes (profile edits with before/after, password
-- changes, activations) and users' cancellation requests, which IT officers complete within
-- three working days (FAQ 10).

-- The audit trail is shared with other modules (00020_records.sql writes to it too and creates
-- it only when missing): actor_user_id, action, subject and detail are the common columns;
-- user_id (the account concerned) and actor (a readable name for the log) are the account
-- module's. No foreign keys: the trail outlives the accounts it names.
CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_user_id bigint,
    actor         text NOT NULL DEFAULT '',
    action        text NOT NULL,
    subject       text NOT NULL DEFAULT '',
    user_id       bigint,
    detail        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_user_idx ON audit_log (user_id, at);

CREATE TABLE cancellation_requests (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'rejected')),
    requested_at timestamptz NOT NULL,
    due_on       date NOT NULL,
    completed_at timestamptz
);
CREATE INDEX cancellation_requests_open_idx ON cancellation_requests (due_on) WHERE status = 'open';

-- +goose Down
DROP TABLE cancellation_requests;
DROP TABLE audit_log;
