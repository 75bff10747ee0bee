package account

import "context"

// Principal is the logged-in person as every module sees it: put on the request context by
// the session middleware, read with PrincipalFrom. Records modules (payslip, statement,
// payment) take the identity from here and only from here — never from a URL or body — so
// there is no ID a user can change to reach another person's records.
type Principal struct {
	UserID   int64
	Category string // staff, supplier, officer
	LoginID  string // normalised IC number or company number
	Name     string
	// EmployeeIC links a staff account to the payroll master (employees.ic_no); empty otherwise.
	EmployeeIC string
	// SupplierID links a supplier account to suppliers.id; zero otherwise.
	SupplierID int64
	Roles      []string
	// Restricted is true for a session opened with a one-time code: it may only set a password.
	Restricted bool
}

// ActsAs are the roles the person acts with, for authorisation and the navigation: the
// account category when it is a role (staff, supplier), staff too for an officer account
// linked to the payroll master (a PTJ admin or head of department paid by the state reads
// their own payslips, statements and claims; the records handlers still read only their own
// link), then the granted roles.
func (p *Principal) ActsAs() []string {
	roles := make([]string, 0, len(p.Roles)+3)
	switch {
	case p.Category == CategoryStaff || p.Category == CategorySupplier:
		roles = append(roles, p.Category)
	case p.EmployeeIC != "":
		roles = append(roles, CategoryStaff)
	}
	return append(roles, p.Roles...)
}

// HasRole reports whether the principal holds role.
func (p *Principal) HasRole(role string) bool {
	for _, r := range p.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// MaskedLoginID is the login ID cut to its last four characters, as audit entries and
// officers' lists show it.
func (p *Principal) MaskedLoginID() string { return maskID(p.LoginID) }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the logged-in principal, or false for an anonymous request.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
