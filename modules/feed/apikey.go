package feed

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// API keys authenticate machine feeds of one tenant. A key is "speks_<prefix>_<secret>":
// the prefix (48 random bits) is stored in clear to find the key's row, the secret (256
// random bits) only as part of the SHA-256 of the whole key. A plain hash is enough — unlike
// a password, the key has full entropy, so there is nothing for a slow hash to protect —
// and it keeps the check cheap. The key is shown once, when it is created.

// ErrInvalidAPIKey is every reason to refuse a key: malformed, unknown, revoked, wrong secret.
var ErrInvalidAPIKey = errors.New("feed: invalid API key")

const apiKeyPrefix = "speks_"

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// APIKey is a feed key as stored (never the key itself).
type APIKey struct {
	ID        int64      `db:"id" json:"id"`
	Name      string     `db:"name" json:"name"`
	Prefix    string     `db:"prefix" json:"prefix"`
	CreatedBy string     `db:"created_by" json:"created_by"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	RevokedAt *time.Time `db:"revoked_at" json:"revoked_at,omitempty"`
}

// CreateAPIKey makes a key named name in the tenant behind db and returns it, the only time
// it is ever available in clear.
func CreateAPIKey(ctx context.Context, db sqlx.QueryerContext, name, createdBy string) (string, *APIKey, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", nil, errors.New("feed: an API key needs a name of 1 to 100 characters")
	}
	prefix, err := randomToken(6)
	if err != nil {
		return "", nil, err
	}
	secret, err := randomToken(32)
	if err != nil {
		return "", nil, err
	}
	key := apiKeyPrefix + prefix[:10] + "_" + secret
	sum := sha256.Sum256([]byte(key))
	k := &APIKey{}
	err = sqlx.GetContext(ctx, db, k, `INSERT INTO feed_api_keys (name, prefix, key_hash, created_by)
		VALUES ($1, $2, $3, $4) RETURNING id, name, prefix, created_by, created_at, revoked_at`,
		name, prefix[:10], sum[:], createdBy)
	if err != nil {
		return "", nil, fmt.Errorf("feed: store API key: %w", err)
	}
	return key, k, nil
}

// Authenticate returns the live key matching presented, or ErrInvalidAPIKey.
func Authenticate(ctx context.Context, db sqlx.QueryerContext, presented string) (*APIKey, error) {
	prefix, ok := keyPrefix(presented)
	if !ok {
		return nil, ErrInvalidAPIKey
	}
	var row struct {
		APIKey
		Hash []byte `db:"key_hash"`
	}
	err := sqlx.GetContext(ctx, db, &row, `SELECT id, name, prefix, created_by, created_at, revoked_at, key_hash
		FROM feed_api_keys WHERE prefix = $1 AND revoked_at IS NULL`, prefix)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrInvalidAPIKey
	}
	if err != nil {
		return nil, fmt.Errorf("feed: look up API key: %w", err)
	}
	sum := sha256.Sum256([]byte(presented))
	if subtle.ConstantTimeCompare(sum[:], row.Hash) != 1 {
		return nil, ErrInvalidAPIKey
	}
	return &row.APIKey, nil
}

// RevokeAPIKey stops the key with prefix from working; batches keep their reference to it.
// An unknown or already revoked prefix is ErrInvalidAPIKey.
func RevokeAPIKey(ctx context.Context, db sqlx.ExecerContext, prefix string) error {
	res, err := db.ExecContext(ctx, `UPDATE feed_api_keys SET revoked_at = now()
		WHERE prefix = $1 AND revoked_at IS NULL`, prefix)
	if err != nil {
		return fmt.Errorf("feed: revoke API key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("feed: no live API key with prefix %q: %w", prefix, ErrInvalidAPIKey)
	}
	return nil
}

// ListAPIKeys returns the tenant's keys, newest first.
func ListAPIKeys(ctx context.Context, db sqlx.QueryerContext) ([]APIKey, error) {
	keys := []APIKey{}
	if err := sqlx.SelectContext(ctx, db, &keys, `SELECT id, name, prefix, created_by, created_at, revoked_at
		FROM feed_api_keys ORDER BY id DESC`); err != nil {
		return nil, fmt.Errorf("feed: list API keys: %w", err)
	}
	return keys, nil
}

// keyPrefix checks the key's shape and returns its lookup prefix.
func keyPrefix(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, apiKeyPrefix)
	if !ok {
		return "", false
	}
	prefix, secret, ok := strings.Cut(rest, "_")
	if !ok || len(prefix) != 10 || len(secret) != 52 {
		return "", false
	}
	return prefix, true
}

func randomToken(n int) (string, error) {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("feed: random key: %w", err)
	}
	return strings.ToLower(keyEncoding.EncodeToString(buf)), nil
}
