-- +goose Up
-- A tenant schema's first tables: the organisation (departments and their PTJs), the payroll
-- master (employees), the supplier master, and the portal accounts that link to them.
-- Unqualified names: the migration runs with search_path pinned to the tenant's schema.

CREATE TABLE departments (
    code       text PRIMARY KEY,
    name       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- PTJ (Pusat Tanggungjawab): responsibility centre inside a department.
CREATE TABLE ptjs (
    code            text PRIMARY KEY,
    department_code text NOT NULL REFERENCES departments (code),
    name            text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ptjs_department_idx ON ptjs (department_code);

-- The payroll master as the state's payroll module (Modul PY) sends it.
CREATE TABLE employees (
    ic_no           text PRIMARY KEY CHECK (ic_no ~ '^[0-9]{12}$'),
    salary_no       text NOT NULL,
    name            text NOT NULL,
    email           text NOT NULL DEFAULT '',
    phone           text NOT NULL DEFAULT '',
    department_code text NOT NULL REFERENCES departments (code),
    ptj_code        text NOT NULL REFERENCES ptjs (code),
    position        text NOT NULL DEFAULT '',
    grade           text NOT NULL DEFAULT '',
    bank_name       text NOT NULL DEFAULT '',
    bank_account    text NOT NULL DEFAULT '',
    kwsp_no         text NOT NULL DEFAULT '',
    tax_no          text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'active',
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX employees_ptj_idx ON employees (ptj_code);
CREATE INDEX employees_department_idx ON employees (department_code);

-- Suppliers are known by their SSM company number in the new 12-digit form, the old form
-- (digits + check letter, stored without the dash) or both; either form identifies them.
CREATE TABLE suppliers (
    id           bigserial PRIMARY KEY,
    reg_no_new   text UNIQUE CHECK (reg_no_new ~ '^[0-9]{12}$'),
    reg_no_old   text UNIQUE CHECK (reg_no_old ~ '^[0-9]{1,7}[A-Z]$'),
    name         text NOT NULL,
    email        text NOT NULL DEFAULT '',
    phone        text NOT NULL DEFAULT '',
    bank_name    text NOT NULL DEFAULT '',
    bank_account text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT 'active',
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (reg_no_new IS NOT NULL OR reg_no_old IS NOT NULL)
);

-- Portal accounts: one per person per tenant, linked to the payroll or supplier master.
CREATE TABLE users (
    id           bigserial PRIMARY KEY,
    category     text NOT NULL CHECK (category IN ('staff', 'supplier', 'officer')),
    login_id     text NOT NULL UNIQUE,
    name         text NOT NULL,
    email        text NOT NULL DEFAULT '',
    phone        text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT 'pending_verification'
                 CHECK (status IN ('pending_verification', 'pending_activation', 'active', 'locked', 'deactivated')),
    employee_ic  text REFERENCES employees (ic_no),
    supplier_id  bigint REFERENCES suppliers (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_status_idx ON users (status);

-- +goose Down
DROP TABLE users;
DROP TABLE suppliers;
DROP TABLE employees;
DROP TABLE ptjs;
DROP TABLE departments;
