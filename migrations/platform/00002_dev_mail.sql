-- +goose Up
-- The dev mail sink (modules/notify): in dev mode every mail the worker sends is also kept here
-- and shown at GET /dev/mail on the platform host. It lives in PostgreSQL rather than in the
-- worker's memory because the worker sends and the web server shows: two processes. Outside dev
-- mode nothing writes to it, so in production the table stays empty.

CREATE TABLE dev_mail (
    id          bigserial PRIMARY KEY,
    tenant_code text NOT NULL,
    recipient   text NOT NULL,
    subject     text NOT NULL,
    body_text   text NOT NULL,
    body_html   text NOT NULL,
    sent_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dev_mail_recipient_idx ON dev_mail (lower(recipient), id);

-- +goose Down
DROP TABLE dev_mail;
