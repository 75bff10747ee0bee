package records

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/money"
	"github.com/speks-portal/speks/tenant"
)

// contentHasher hashes the fields of a document unambiguously: a unit separator between
// fields, a record separator after each add.
type contentHasher struct{ h hash.Hash }

func newContentHasher(docType string) *contentHasher {
	c := &contentHasher{h: sha256.New()}
	c.add(docType)
	return c
}

func (c *contentHasher) add(fields ...string) {
	for _, f := range fields {
		c.h.Write([]byte(f))
		c.h.Write([]byte{0x1f})
	}
	c.h.Write([]byte{0x1e})
}

func (c *contentHasher) sum() string { return hex.EncodeToString(c.h.Sum(nil)) }

// tokenBytes is the randomness of a verification token: 144 bits, 24 URL-safe characters.
const tokenBytes = 18

func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("verification token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// validTokenShape rejects what cannot be a token before it reaches the database.
func validTokenShape(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// shortCode is the code printed beside the QR: the first 8 hex digits of the content hash,
// so a reader can compare the paper with the page without trusting either alone.
func shortCode(contentHash string) string {
	return strings.ToUpper(contentHash[:4] + "-" + contentHash[4:8])
}

// tokenSpec is what a token records about the document version it confirms.
type tokenSpec struct {
	docType, docKey, contentHash, holder, period string
	amount                                       money.Sen
}

// tokenFindQuery finds the token of one version of a document.
const tokenFindQuery = `SELECT token FROM document_tokens WHERE doc_type = $1 AND doc_key = $2 AND content_hash = $3`

// issueToken returns the token of this version of the document, creating it the first
// time. The same content always gets the same token, so a reprint carries the same QR.
func issueToken(ctx context.Context, db sqlx.ExtContext, s tokenSpec) (string, error) {
	var token string
	err := sqlx.GetContext(ctx, db, &token, tokenFindQuery, s.docType, s.docKey, s.contentHash)
	if err == nil {
		return token, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("find verification token: %w", err)
	}
	fresh, err := newToken()
	if err != nil {
		return "", err
	}
	// Two first views at once: one insert wins, both read the winner back.
	if _, err := db.ExecContext(ctx, `
		INSERT INTO document_tokens (token, doc_type, doc_key, content_hash, holder_name, period, amount)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (doc_type, doc_key, content_hash) DO NOTHING`,
		fresh, s.docType, s.docKey, s.contentHash, s.holder, s.period, s.amount); err != nil {
		return "", fmt.Errorf("issue verification token: %w", err)
	}
	if err := sqlx.GetContext(ctx, db, &token, tokenFindQuery, s.docType, s.docKey, s.contentHash); err != nil {
		return "", fmt.Errorf("read verification token: %w", err)
	}
	return token, nil
}

// verification builds what a document prints from its token.
func verification(baseURL, token, contentHash string) Verification {
	return Verification{VerifyURL: baseURL + "/verify/" + token, VerifyCode: shortCode(contentHash), token: token}
}

// Verdict is what the public verification page may say about a document: the issuer, the
// type, the period, the holder's name and the net amount — nothing else.
type Verdict struct {
	DocType     string
	Period      string
	HolderName  string
	Amount      money.Sen
	Code        string
	Status      string // valid, superseded, withdrawn
	Checks      int64
	FirstIssued time.Time
}

// Verdict statuses.
const (
	StatusValid      = "valid"
	StatusSuperseded = "superseded" // a later feed corrected the document
	StatusWithdrawn  = "withdrawn"  // the record is no longer held (retention) or was removed
)

// Verify looks a token up, counts the check and compares the document as printed with the
// one held now. An unknown token (a single character changed included) is ErrNotFound.
func Verify(ctx context.Context, db *tenant.DB, token string) (*Verdict, error) {
	if !validTokenShape(token) {
		return nil, ErrNotFound
	}
	var row struct {
		DocType     string    `db:"doc_type"`
		DocKey      string    `db:"doc_key"`
		ContentHash string    `db:"content_hash"`
		Holder      string    `db:"holder_name"`
		Period      string    `db:"period"`
		Amount      money.Sen `db:"amount"`
		Count       int64     `db:"verify_count"`
		CreatedAt   time.Time `db:"created_at"`
	}
	err := db.GetContext(ctx, &row, `
		UPDATE document_tokens SET verify_count = verify_count + 1, last_verified_at = now()
		WHERE token = $1
		RETURNING doc_type, doc_key, content_hash, holder_name, period, amount, verify_count, created_at`, token)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("verify token: %w", err)
	}
	current, err := currentHash(ctx, db, row.DocType, row.DocKey)
	if err != nil {
		return nil, err
	}
	v := &Verdict{DocType: row.DocType, Period: row.Period, HolderName: row.Holder, Amount: row.Amount,
		Code: shortCode(row.ContentHash), Checks: row.Count, FirstIssued: row.CreatedAt, Status: StatusValid}
	switch current {
	case "":
		v.Status = StatusWithdrawn
	case row.ContentHash:
	default:
		v.Status = StatusSuperseded
	}
	return v, nil
}

// currentHash is the content hash of the document held now under docKey, "" when gone.
func currentHash(ctx context.Context, db *tenant.DB, docType, docKey string) (string, error) {
	parts := strings.Split(docKey, "/")
	num := func(i int) int { n, _ := strconv.Atoi(parts[i]); return n }
	var err error
	var hash string
	switch {
	case docType == "payslip" && len(parts) == 3:
		var ps *Payslip
		if ps, err = LoadPayslip(ctx, db, parts[0], num(1), num(2)); err == nil {
			hash = ps.contentHash()
		}
	case docType == "statement" && len(parts) == 2:
		var st *Statement
		if st, err = LoadStatement(ctx, db, parts[0], num(1), ""); err == nil {
			hash = st.contentHash()
		}
	case docType == "payment" && len(parts) == 2:
		var p *Payment
		if p, err = loadPaymentByRef(ctx, db, parts[1]); err == nil {
			hash = p.contentHash()
		}
	default:
		return "", fmt.Errorf("verify: malformed document key of type %s", docType)
	}
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return hash, err
}

// loadPaymentByRef reads a payment whoever its payee is: only for re-hashing at /verify,
// which shows nothing of it.
func loadPaymentByRef(ctx context.Context, db *tenant.DB, ref string) (*Payment, error) {
	var payee Payee
	var r struct {
		SupplierID sql.NullInt64  `db:"supplier_id"`
		EmployeeIC sql.NullString `db:"employee_ic"`
	}
	err := db.GetContext(ctx, &r, `SELECT supplier_id, employee_ic FROM payments WHERE ref = $1`, ref)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("payment payee: %w", err)
	}
	payee.SupplierID, payee.EmployeeIC = r.SupplierID.Int64, r.EmployeeIC.String
	row, err := findPayment(ctx, db, payee, ref)
	if err != nil {
		return nil, err
	}
	return loadPaymentDetail(ctx, db, row)
}
