// Package identity is who an account is: the users row as the account module reads it, its
// statuses and categories, and the login ID a person types, normalised to the keys an
// account is stored under, and the writers of users other modules' workflows call. The other
// account packages build on it; of them it imports only the session rows, which a change of
// who may use an account ends.
package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/foundation/ids"
)

// Account statuses (users.status).
const (
	StatusPendingVerification = "pending_verification"
	StatusPendingActivation   = "pending_activation"
	StatusActive              = "active"
	StatusLocked              = "locked"
	StatusDeactivated         = "deactivated"
)

// Account categories (users.category).
const (
	CategoryStaff    = "staff"
	CategorySupplier = "supplier"
	CategoryOfficer  = "officer"
)

// User is an account row as the account module reads it.
type User struct {
	ID                 int64          `db:"id"`
	Category           string         `db:"category"`
	LoginID            string         `db:"login_id"`
	AltLoginID         sql.NullString `db:"alt_login_id"`
	Name               string         `db:"name"`
	Email              string         `db:"email"`
	Phone              string         `db:"phone"`
	Status             string         `db:"status"`
	EmployeeIC         sql.NullString `db:"employee_ic"`
	SupplierID         sql.NullInt64  `db:"supplier_id"`
	PasswordHash       string         `db:"password_hash"`
	MustChangePassword bool           `db:"must_change_password"`
	SecretPhrase       string         `db:"secret_phrase"`
	Roles              pq.StringArray `db:"roles"`
	TOTPSecret         string         `db:"totp_secret"`
	TOTPEnabled        bool           `db:"totp_enabled"`
	DepartmentCode     sql.NullString `db:"department_code"`
	PTJCode            sql.NullString `db:"ptj_code"`
}

// Columns lists the users columns a User is read from, for a query that selects whole accounts.
const Columns = `id, category, login_id, alt_login_id, name, email, phone, status, employee_ic,
	supplier_id, password_hash, must_change_password, secret_phrase, roles, totp_secret, totp_enabled,
	department_code, ptj_code`

// ColumnsAs is Columns qualified by a table alias ("u" gives "u.id, u.category, …"), for a
// query that reads an account joined to another table whose column names could clash.
func ColumnsAs(alias string) string {
	cols := strings.Split(Columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// HasAdminRole reports whether the account holds any role: every role on this platform
// (IT officer, treasury, head of department, PTJ admin) administers something, so every one
// of them needs a second factor.
func (u *User) HasAdminRole() bool { return len(u.Roles) > 0 }

// LoginKey is a login ID as typed, normalised: the IC number of staff, or the forms of a
// company number. Keys lists every form an account may be stored under; Primary names the
// lockout and throttle counters of an ID that has no account.
type LoginKey struct {
	Category string // staff or supplier; "" when the ID is neither
	Keys     []string
	Primary  string
}

// ParseLoginID normalises what a person typed as their ID. An IC number loses dashes and
// spaces; a company number is accepted new-style, old-style or both (modules/foundation/ids). An ID
// that is neither still gets a key (upper-cased, trimmed), so that it is answered, throttled
// and locked exactly like a real one.
func ParseLoginID(raw string) LoginKey {
	if ic, err := ids.NormaliseIC(raw); err == nil {
		return LoginKey{Category: CategoryStaff, Keys: []string{ic}, Primary: ic}
	}
	if c, err := ids.ParseCompanyNo(raw); err == nil {
		k := LoginKey{Category: CategorySupplier}
		for _, form := range []string{c.New, c.Old} {
			if form != "" {
				k.Keys = append(k.Keys, form)
			}
		}
		k.Primary = k.Keys[0]
		return k
	}
	junk := strings.ToUpper(strings.Join(strings.Fields(raw), ""))
	if len(junk) > 64 {
		junk = junk[:64]
	}
	return LoginKey{Primary: "?" + junk}
}

// Valid reports whether the ID had the form of an IC or company number.
func (k LoginKey) Valid() bool { return k.Category != "" }

// Find returns the account stored under any form of key, or nil.
func Find(ctx context.Context, db sqlx.QueryerContext, key LoginKey) (*User, error) {
	if !key.Valid() {
		return nil, nil
	}
	var u User
	err := sqlx.GetContext(ctx, db, &u, `SELECT `+Columns+` FROM users
		WHERE login_id = ANY($1) OR alt_login_id = ANY($1) LIMIT 1`, pq.StringArray(key.Keys))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find account: %w", err)
	}
	return &u, nil
}

// ByID reads one account by its id; sql.ErrNoRows (wrapped) when there is none.
func ByID(ctx context.Context, db sqlx.QueryerContext, id int64) (*User, error) {
	var u User
	if err := sqlx.GetContext(ctx, db, &u, `SELECT `+Columns+` FROM users WHERE id = $1`, id); err != nil {
		return nil, fmt.Errorf("read account %d: %w", id, err)
	}
	return &u, nil
}
