-- +goose Up
-- User-administration requests (Melaka's forms, usable by every tenant): a PTJ admin or head of
-- department raises "new user / change access / deactivate" for a person of the payroll master
-- in their scope; the head of department approves, then the state treasury; then the change is
-- carried out. Each step keeps who, when and why. The department and PTJ are copied from the
-- payroll master when the request is raised, so a later transfer does not move a request out
-- of the scope of those who must decide it. No foreign keys to users: the trail outlives them.
CREATE TABLE admin_requests (
    id               bigserial PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('new_user', 'change_access', 'deactivate')),
    status           text NOT NULL DEFAULT 'pending_head'
                     CHECK (status IN ('pending_head', 'pending_treasury', 'approved', 'completed', 'rejected', 'failed')),
    subject_ic       text NOT NULL CHECK (subject_ic ~ '^[0-9]{12}$'),
    subject_name     text NOT NULL,
    subject_user_id  bigint,
    department_code  text NOT NULL,
    ptj_code         text NOT NULL,
    roles            text[] NOT NULL DEFAULT '{}',
    reason           text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    requested_by     bigint NOT NULL,
    requested_at     timestamptz NOT NULL,
    head_by          bigint,
    head_at          timestamptz,
    head_note        text NOT NULL DEFAULT '',
    treasury_by      bigint,
    treasury_at      timestamptz,
    treasury_note    text NOT NULL DEFAULT '',
    rejected_by      bigint,
    rejected_at      timestamptz,
    rejection_reason text NOT NULL DEFAULT '',
    completed_at     timestamptz,
    failure          text NOT NULL DEFAULT ''
);
CREATE INDEX admin_requests_status_idx ON admin_requests (status, department_code, ptj_code);
-- One open request per person and kind: a second form for the same change waits for the first.
CREATE UNIQUE INDEX admin_requests_open_idx ON admin_requests (subject_ic, kind)
    WHERE status IN ('pending_head', 'pending_treasury', 'approved');

-- +goose Down
DROP TABLE admin_requests;
