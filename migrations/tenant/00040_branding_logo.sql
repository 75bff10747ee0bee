-- +goose Up
-- The tenant's logo (modules/admin, IT officer's settings): one row at most, served at
-- GET /branding/logo. Only PNG and JPEG pass the upload checks (no SVG: it can carry script);
-- sha256 is the ETag and the cache-busting suffix of tenants.branding.logo_url.
CREATE TABLE branding_logo (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    content      bytea NOT NULL CHECK (octet_length(content) BETWEEN 1 AND 262144),
    content_type text NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg')),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE branding_logo;
