package requests

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/tenant"
)

// StaffMember is a person of the PTJ admin's PTJ, with their portal account if any.
type StaffMember struct {
	ICMasked      string        `db:"-" json:"ic_no_masked"`
	IC            string        `db:"ic_no" json:"-"`
	SalaryNo      string        `db:"salary_no" json:"salary_no"`
	Name          string        `db:"name" json:"name"`
	Position      string        `db:"position" json:"position"`
	UserID        sql.NullInt64 `db:"user_id" json:"-"`
	AccountID     *int64        `db:"-" json:"user_id,omitempty"`
	AccountStatus string        `db:"account_status" json:"account_status"`
	Email         string        `db:"email" json:"email"`
}

// Staff lists the payroll master of the caller's PTJ (ptj_admin only), filtered by name or
// salary number when q is not empty.
func (s *Service) Staff(ctx context.Context, p *account.Principal, q string) ([]StaffMember, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	a, err := loadActor(ctx, sc.DB, p)
	if err != nil {
		return nil, err
	}
	if a.PTJ == "" {
		return nil, ErrNoScope
	}
	out := []StaffMember{}
	pattern := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.TrimSpace(q)) + "%"
	err = sc.DB.SelectContext(ctx, &out, `SELECT e.ic_no, e.salary_no, e.name, e.position, u.id AS user_id,
			COALESCE(u.status, '') AS account_status, COALESCE(NULLIF(u.email, ''), e.email) AS email
		FROM employees e LEFT JOIN users u ON u.employee_ic = e.ic_no
		WHERE e.ptj_code = $1 AND (e.name ILIKE $2 OR e.salary_no ILIKE $2)
		ORDER BY e.name LIMIT 500`, a.PTJ, pattern)
	if err != nil {
		return nil, fmt.Errorf("list the staff of PTJ %s: %w", a.PTJ, err)
	}
	for i := range out {
		out[i].ICMasked = ids.Mask(out[i].IC)
		if out[i].UserID.Valid {
			id := out[i].UserID.Int64
			out[i].AccountID = &id
		}
	}
	return out, nil
}

// CorrectEmail changes the registered e-mail of an account in the caller's PTJ: Kelantan's FAQ's
// answer for staff who lost access to their mailbox. The address is taken as verified, as the
// PTJ admin confirms it in person; the trail keeps both addresses.
func (s *Service) CorrectEmail(ctx context.Context, p *account.Principal, userID int64, email string) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	email = strings.TrimSpace(email)
	if !validEmail(email) || len(email) > 254 {
		return &InvalidInputError{Fields: []string{"email"}}
	}
	a, err := loadActor(ctx, sc.DB, p)
	if err != nil {
		return err
	}
	if a.PTJ == "" {
		return ErrNoScope
	}
	return tenant.InTx(ctx, sc.DB, func(tx *sqlx.Tx) error {
		var before string
		err := tx.GetContext(ctx, &before, `SELECT u.email FROM users u JOIN employees e ON e.ic_no = u.employee_ic
			WHERE u.id = $1 AND e.ptj_code = $2 FOR UPDATE OF u`, userID, a.PTJ)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read account %d: %w", userID, err)
		}
		if err := identity.CorrectEmailIn(ctx, tx, userID, email); err != nil {
			return err
		}
		return audit(ctx, tx, a, "account.email_corrected", fmt.Sprintf("user:%d", userID), userID,
			map[string]any{"before": before, "after": email})
	})
}
