-- +goose Up
-- Self-service records (modules/records): the access audit, verification tokens for printed
-- documents, payment details unlocked by the account number, and the throttle counters.

-- The tenant's audit trail is created by 00012_account_audit.sql and shared; this module uses
-- its common columns (actor_user_id, action, subject, detail). IF NOT EXISTS keeps this
-- migration self-sufficient should the order of the two ever change.
CREATE TABLE IF NOT EXISTS audit_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_user_id bigint,
    action        text NOT NULL,
    subject       text NOT NULL DEFAULT '',
    detail        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_log_at_idx ON audit_log (at);
CREATE INDEX IF NOT EXISTS audit_log_actor_idx ON audit_log (actor_user_id, at);

-- A verification token is issued once per version of a document: the same content gives the
-- same token (so a reprint carries the same QR), new content from a feed gives a new one.
-- What the verification page shows is kept here as it was printed, so a superseded document
-- can still be recognised. The token is 128 random bits; doc_key names the document inside
-- the tenant (never shown).
CREATE TABLE document_tokens (
    token            text PRIMARY KEY CHECK (length(token) >= 22),
    doc_type         text NOT NULL CHECK (doc_type IN ('payslip', 'statement', 'payment')),
    doc_key          text NOT NULL,
    content_hash     text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    holder_name      text NOT NULL,
    period           text NOT NULL,
    amount           numeric(14,2) NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    verify_count     bigint NOT NULL DEFAULT 0,
    last_verified_at timestamptz,
    UNIQUE (doc_type, doc_key, content_hash)
);

-- A payment's detail is shown only after its payee typed the account number it went to
-- (PK 0102 step 10); the unlock lasts a short while so the advice can then be printed.
CREATE TABLE payment_unlocks (
    user_id     bigint NOT NULL,
    payment_id  bigint NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    unlocked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, payment_id)
);

-- Sliding-window throttles (wrong account numbers per user, verifications per client): one
-- row per event, counted over the window. Kept in the tenant's database so every replica
-- sees the same counts.
CREATE TABLE throttle_events (
    bucket text NOT NULL,
    at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX throttle_events_bucket_idx ON throttle_events (bucket, at);
CREATE INDEX throttle_events_at_idx ON throttle_events (at);

-- +goose Down
DROP TABLE throttle_events;
DROP TABLE payment_unlocks;
DROP TABLE document_tokens;
-- audit_log belongs to 00012_account_audit.sql, which drops it.
