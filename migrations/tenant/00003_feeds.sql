-- +goose Up
-- What the state's payroll module (Modul PY) and accounting system feed in (modules/feed):
-- payslips, EC statements and payments, the import batches and API keys they arrive with,
-- and the record of each retention purge (modules/retention).
-- Money is numeric(14,2). Periods are (year, month) as small integers, the way the feed and
-- the portal's reads name them.

-- Feed API keys: only the SHA-256 of the key is kept; the short public prefix finds the row.
-- Keys are revoked, never deleted, so batches keep pointing at the key that sent them.
CREATE TABLE feed_api_keys (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix     text NOT NULL UNIQUE,
    key_hash   bytea NOT NULL CHECK (length(key_hash) = 32),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- One row per committed feed: who, when, what, how much, and the hash and key that make a
-- re-sent file a no-op. Rejected files leave no row (a batch is all or nothing).
CREATE TABLE import_batches (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('employees', 'suppliers', 'payslips', 'statements', 'payments')),
    actor           text NOT NULL,
    api_key_id      bigint REFERENCES feed_api_keys (id),
    idempotency_key text UNIQUE,
    content_hash    text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    bytes           bigint NOT NULL,
    rows            bigint NOT NULL,
    inserted        bigint NOT NULL,
    updated         bigint NOT NULL,
    unchanged       bigint NOT NULL,
    received_at     timestamptz NOT NULL,
    duration_ms     bigint NOT NULL
);
CREATE UNIQUE INDEX import_batches_content_idx ON import_batches (kind, content_hash);
CREATE INDEX import_batches_received_idx ON import_batches (received_at);

-- A person's payslip for one month; its lines are replaced as a set by each feed.
-- lines_digest (order-independent hash of the lines) lets a re-sent payslip be recognised
-- as unchanged without rewriting it. batch_id is the batch that last wrote it (no foreign
-- key: batches are purged sooner than payslips).
CREATE TABLE payslips (
    ic_no            text NOT NULL REFERENCES employees (ic_no),
    year             smallint NOT NULL CHECK (year BETWEEN 1990 AND 2200),
    month            smallint NOT NULL CHECK (month BETWEEN 1 AND 12),
    pay_date         date NOT NULL,
    gross            numeric(14,2) NOT NULL,
    total_deductions numeric(14,2) NOT NULL,
    net              numeric(14,2) NOT NULL,
    line_count       integer NOT NULL,
    lines_digest     bigint NOT NULL,
    batch_id         bigint NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ic_no, year, month)
);
-- The primary key serves "a person's payslips by year/month"; this one serves the purge.
-- It ends with ic_no so that it too finds one payslip by its whole key: the foreign-key
-- checks of a big feed's lines (a few million lookups) may be planned on either index before
-- any statistics exist, and a (year, month) index would make each lookup scan a whole month.
CREATE INDEX payslips_period_idx ON payslips (year, month, ic_no);

-- A code appears once per kind on a payslip: the key enforces the feed's duplicate-line rule.
-- seq orders the lines as the feed listed them (it is the feed's line number).
CREATE TABLE payslip_lines (
    ic_no       text NOT NULL,
    year        smallint NOT NULL,
    month       smallint NOT NULL,
    seq         integer NOT NULL,
    kind        char(1) NOT NULL CHECK (kind IN ('E', 'D')),
    code        text NOT NULL,
    description text NOT NULL,
    amount      numeric(14,2) NOT NULL,
    PRIMARY KEY (ic_no, year, month, kind, code),
    FOREIGN KEY (ic_no, year, month) REFERENCES payslips ON DELETE CASCADE
);

-- The annual EC statement (Borang EC) of a person, with its items.
CREATE TABLE statements (
    ic_no        text NOT NULL REFERENCES employees (ic_no),
    year         smallint NOT NULL CHECK (year BETWEEN 1990 AND 2200),
    employer_no  text NOT NULL,
    tax_no       text NOT NULL,
    item_count   integer NOT NULL,
    items_digest bigint NOT NULL,
    batch_id     bigint NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ic_no, year)
);
-- For the purge; ends with ic_no for the reason given at payslips_period_idx.
CREATE INDEX statements_year_idx ON statements (year, ic_no);

CREATE TABLE statement_items (
    ic_no       text NOT NULL,
    year        smallint NOT NULL,
    seq         integer NOT NULL,
    section     text NOT NULL,
    code        text NOT NULL,
    description text NOT NULL,
    amount      numeric(14,2) NOT NULL,
    PRIMARY KEY (ic_no, year, section, code),
    FOREIGN KEY (ic_no, year) REFERENCES statements ON DELETE CASCADE
);

-- eMaklum: a payment the state made to a supplier or to a member of staff (claims such as
-- overtime or travel). The payee is resolved at import: supplier_id for suppliers (found by
-- either form of the company number), employee_ic for staff. payee_id keeps the identifier
-- as the feed sent it, normalised.
CREATE TABLE payments (
    id              bigserial PRIMARY KEY,
    ref             text NOT NULL UNIQUE,
    payee_type      text NOT NULL CHECK (payee_type IN ('supplier', 'staff')),
    supplier_id     bigint REFERENCES suppliers (id),
    employee_ic     text REFERENCES employees (ic_no),
    payee_id        text NOT NULL,
    payee_name      text NOT NULL,
    voucher_no      text NOT NULL DEFAULT '',
    cheque_eft_no   text NOT NULL DEFAULT '',
    payment_date    date NOT NULL,
    amount          numeric(14,2) NOT NULL CHECK (amount > 0),
    status          text NOT NULL CHECK (status IN ('sent_to_bank', 'received_by_bank', 'failed', 'issued', 'cancelled')),
    ptj_code        text NOT NULL DEFAULT '',
    ptj_name        text NOT NULL DEFAULT '',
    description     text NOT NULL DEFAULT '',
    bank_account    text NOT NULL DEFAULT '',
    invoices_digest bigint NOT NULL,
    batch_id        bigint NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((payee_type = 'supplier') = (supplier_id IS NOT NULL)),
    CHECK ((payee_type = 'staff') = (employee_ic IS NOT NULL))
);
-- "Payments by payee and date" for each kind of payee, and the purge by date.
CREATE INDEX payments_supplier_date_idx ON payments (supplier_id, payment_date) WHERE supplier_id IS NOT NULL;
CREATE INDEX payments_employee_date_idx ON payments (employee_ic, payment_date) WHERE employee_ic IS NOT NULL;
CREATE INDEX payments_date_idx ON payments (payment_date);

CREATE TABLE payment_invoices (
    payment_id bigint NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    seq        integer NOT NULL,
    invoice_no text NOT NULL,
    amount     numeric(14,2) NOT NULL,
    PRIMARY KEY (payment_id, invoice_no)
);

-- Every status a payment was reported in, appended when a feed changes it.
CREATE TABLE payment_status_history (
    id          bigserial PRIMARY KEY,
    payment_id  bigint NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    status      text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    batch_id    bigint NOT NULL
);
CREATE INDEX payment_status_history_payment_idx ON payment_status_history (payment_id, recorded_at);

-- The audit record of each retention run (dry runs too): the cut-offs and what went.
CREATE TABLE retention_runs (
    id                     bigserial PRIMARY KEY,
    started_at             timestamptz NOT NULL,
    finished_at            timestamptz NOT NULL,
    actor                  text NOT NULL,
    dry_run                boolean NOT NULL,
    retention_months       integer NOT NULL,
    cutoff                 date NOT NULL,
    statements_before_year integer NOT NULL,
    batches_before         timestamptz NOT NULL,
    counts                 jsonb NOT NULL,
    error                  text NOT NULL DEFAULT ''
);
CREATE INDEX retention_runs_started_idx ON retention_runs (started_at);

-- +goose Down
DROP TABLE retention_runs;
DROP TABLE payment_status_history;
DROP TABLE payment_invoices;
DROP TABLE payments;
DROP TABLE statement_items;
DROP TABLE statements;
DROP TABLE payslip_lines;
DROP TABLE payslips;
DROP TABLE import_batches;
DROP TABLE feed_api_keys;
