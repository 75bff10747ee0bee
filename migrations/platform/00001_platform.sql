-- +goose Up
-- The platform schema (public): the registry of states (tenants), their hosts, the Casbin
-- policy table shared by all domains, and the platform's own audit log.

CREATE TABLE tenants (
    code                  text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,30}$'),
    name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status                text NOT NULL DEFAULT 'provisioning'
                          CHECK (status IN ('provisioning', 'active', 'suspended')),
    schema_name           text NOT NULL UNIQUE,
    registration_mode     text NOT NULL CHECK (registration_mode IN ('self_register', 'payroll_match', 'admin_only')),
    email_domains         text[] NOT NULL DEFAULT '{}',
    retention_months      integer NOT NULL DEFAULT 24 CHECK (retention_months BETWEEN 1 AND 120),
    lockout_max_failures  integer NOT NULL DEFAULT 5 CHECK (lockout_max_failures BETWEEN 1 AND 100),
    lockout_minutes       integer NOT NULL DEFAULT 15 CHECK (lockout_minutes BETWEEN 1 AND 1440),
    session_idle_minutes  integer NOT NULL DEFAULT 15 CHECK (session_idle_minutes BETWEEN 5 AND 240),
    helpdesk_email        text NOT NULL DEFAULT '',
    helpdesk_phone        text NOT NULL DEFAULT '',
    default_language      text NOT NULL DEFAULT 'ms' CHECK (default_language IN ('ms', 'en')),
    branding              jsonb NOT NULL DEFAULT '{}'::jsonb,
    exported_at           timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- Every host a tenant answers on; a host belongs to exactly one tenant (lower case, no port).
CREATE TABLE tenant_hosts (
    host        text PRIMARY KEY CHECK (host = lower(host) AND host !~ '[:/ ]'),
    tenant_code text NOT NULL REFERENCES tenants (code) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_hosts_tenant_idx ON tenant_hosts (tenant_code);

-- Casbin policies of every domain (domain = tenant code, '*' = platform).
CREATE TABLE casbin_rule (
    id    bigserial PRIMARY KEY,
    ptype text NOT NULL,
    v0    text NOT NULL DEFAULT '',
    v1    text NOT NULL DEFAULT '',
    v2    text NOT NULL DEFAULT '',
    v3    text NOT NULL DEFAULT '',
    v4    text NOT NULL DEFAULT '',
    v5    text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX casbin_rule_unique_idx ON casbin_rule (ptype, v0, v1, v2, v3, v4, v5);

-- What platform administrators and platform commands did (tenant created, suspended …).
CREATE TABLE platform_audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    tenant_code text,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX platform_audit_at_idx ON platform_audit (at);

-- +goose Down
DROP TABLE platform_audit;
DROP TABLE casbin_rule;
DROP TABLE tenant_hosts;
DROP TABLE tenants;
