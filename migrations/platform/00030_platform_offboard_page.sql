-- The platform console offboards a state from its page too (a typed confirmation of the
-- state's code); authz.platformRules holds the same row.

-- +goose Up
INSERT INTO casbin_rule (ptype, v0, v1, v2, v3) VALUES
    ('p', 'platform_admin', '*', '/platform/tenants/:code/offboard', 'POST')
ON CONFLICT DO NOTHING;
SELECT pg_notify('speks_casbin_policy', '');

-- +goose Down
DELETE FROM casbin_rule WHERE ptype = 'p' AND v1 = '*' AND v2 = '/platform/tenants/:code/offboard';
SELECT pg_notify('speks_casbin_policy', '');
