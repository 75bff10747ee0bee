// Package onetime keeps the single-use secrets the account module sends a person: the
// one-time codes mailed for a first login, a password reset or a new account (table
// one_time_codes, stored as an HMAC keyed with secrets.session), and the links mailed to
// verify a registration's or a changed e-mail address (table email_tokens, stored as SHA-256).
// It imports no other account package; which session a code opens is the login's to say.
package onetime

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/keyring"
)

// One-time code purposes (one_time_codes.purpose, and the mail's purpose).
const (
	CodeFirstLogin     = "first_login"
	CodePasswordReset  = "password_reset"
	CodeAccountCreated = "account_created"
)

// CodeLifetime is how long a one-time code works.
const CodeLifetime = 30 * time.Minute

// codeAlphabet has no characters people confuse (0/O, 1/I/L, 5/S, 2/Z, 8/B).
const codeAlphabet = "ACDEFGHJKMNPQRTUVWXY34679"

// codeLength gives 12 × log2(25) ≈ 55 bits: far beyond guessing within 30 minutes under the
// lockout, and short enough to type from a phone.
const codeLength = 12

// newCode returns a fresh code, shown to the user in groups of four (XXXX-XXXX-XXXX).
func newCode() (string, error) {
	var b strings.Builder
	max := big.NewInt(int64(len(codeAlphabet)))
	for i := range codeLength {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("one-time code: %w", err)
		}
		b.WriteByte(codeAlphabet[n.Int64()])
	}
	return b.String(), nil
}

// normaliseCode drops separators and folds case, so "abcd efgh-jkmn" is accepted.
func normaliseCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// CodeHash is an HMAC keyed with secrets.session: a code has enough entropy that a fast hash
// is safe, and the key means a copied table alone cannot even check guesses.
func CodeHash(key []byte, code string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(normaliseCode(code)))
	return m.Sum(nil)
}

// MatchCode reports whether code is the one stored as storedHash under any key of the
// secrets.session ring, so a code mailed before a rotation still works while its key is in
// the ring. Every key is tried, matched or not, so the answer takes the same time either way.
func MatchCode(ring keyring.Ring, storedHash []byte, code string) bool {
	match := 0
	for _, key := range ring.Keys() {
		match |= subtle.ConstantTimeCompare(storedHash, CodeHash(key, code))
	}
	return match == 1
}

// IssueCode closes the user's open codes and stores a new one, hashed with key (the newest of
// the secrets.session ring); it returns the
// code in clear for the mail, which the caller writes in the same transaction.
func IssueCode(ctx context.Context, tx sqlx.ExecerContext, key []byte, userID int64, purpose string, now time.Time) (string, error) {
	code, err := newCode()
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE one_time_codes SET closed_at = $2
		WHERE user_id = $1 AND used_at IS NULL AND closed_at IS NULL`, userID, now); err != nil {
		return "", fmt.Errorf("close earlier codes: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO one_time_codes (user_id, purpose, code_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, userID, purpose, CodeHash(key, code), now, now.Add(CodeLifetime)); err != nil {
		return "", fmt.Errorf("store one-time code: %w", err)
	}
	return code, nil
}

// OpenCode is the user's one working code, if any.
type OpenCode struct {
	ID       int64  `db:"id"`
	Purpose  string `db:"purpose"`
	CodeHash []byte `db:"code_hash"`
}

// CurrentCode returns the user's working code (not used, not closed, not expired), or nil.
func CurrentCode(ctx context.Context, db sqlx.QueryerContext, userID int64, now time.Time) (*OpenCode, error) {
	var c OpenCode
	err := sqlx.GetContext(ctx, db, &c, `SELECT id, purpose, code_hash FROM one_time_codes
		WHERE user_id = $1 AND used_at IS NULL AND closed_at IS NULL AND expires_at > $2
		ORDER BY id DESC LIMIT 1`, userID, now)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read one-time code: %w", err)
	}
	return &c, nil
}

// UseCode marks a code used; false when another request used it first.
func UseCode(ctx context.Context, db sqlx.ExecerContext, id int64, now time.Time) (bool, error) {
	res, err := db.ExecContext(ctx, `UPDATE one_time_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL`, id, now)
	if err != nil {
		return false, fmt.Errorf("use one-time code: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
