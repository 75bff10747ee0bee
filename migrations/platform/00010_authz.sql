-- +goose Up
-- Default Casbin policies of the platform host (domain '*'): the routes every visitor reaches
-- there. Tenants get theirs when they are created (modules/authz SeedTenant) and `speks
-- migrate` adds missing defaults to existing ones; modules/authz tests check that these rows
-- equal authz.DefaultPolicies("*"). Every replica reloads on the NOTIFY below.
INSERT INTO casbin_rule (ptype, v0, v1, v2, v3) VALUES
    ('p', 'anonymous', '*', '/', 'GET'),
    ('p', 'anonymous', '*', '/theme.css', 'GET'),
    ('p', 'anonymous', '*', '/api/v1/tenant', 'GET'),
    ('p', 'anonymous', '*', '/healthz', 'GET'),
    ('p', 'anonymous', '*', '/readyz', 'GET'),
    ('p', 'anonymous', '*', '/metrics', 'GET'),
    ('p', 'anonymous', '*', '/dev/mail', 'GET'),
    ('p', 'anonymous', '*', '/dev/mail.css', 'GET')
ON CONFLICT DO NOTHING;
SELECT pg_notify('speks_casbin_policy', '');

-- +goose Down
DELETE FROM casbin_rule WHERE ptype = 'p' AND v1 = '*' AND v0 = 'anonymous';
