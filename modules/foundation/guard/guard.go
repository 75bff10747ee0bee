// Package guard is the one check a handler makes of who is calling: the signed-in person
// (Principal, put on the context by the account module's session middleware) and the
// tenant the request is for. Which roles may call a route is authz's decision, made before
// (deny by default); the guard only fetches what the handler needs, typed, and answers the
// same way everywhere when it is missing: off a tenant host 404, anonymous 401
// unauthenticated (a page redirects to the login and back), a session that may only set its
// password 403 restricted_session.
package guard

import (
	"context"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/tenant"
)

// Principal is the logged-in person as every module sees it: put on the request context by
// the session middleware, read with PrincipalFrom (or Require/Caller). Records modules
// (payslip, statement, payment) take the identity from here and only from here — never
// from a URL or body — so there is no ID a user can change to reach another person's records.
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
	case p.Category == "staff" || p.Category == "supplier":
		roles = append(roles, p.Category)
	case p.EmployeeIC != "":
		roles = append(roles, "staff")
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

// MaskedLoginID is the login ID as audit entries and officers' lists show it (ids.Mask).
func (p *Principal) MaskedLoginID() string { return ids.Mask(p.LoginID) }

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

// ErrRestricted refuses a session opened with a one-time code anywhere but its own form.
var ErrRestricted = fault.New(fault.Forbidden, "restricted_session", nil)

// Require returns the signed-in, unrestricted principal of a tenant request and the
// tenant's scope, or the refusal to return.
func Require(c *fiber.Ctx) (*Principal, *tenant.Scope, error) {
	sc, ok := tenant.FromContext(c.UserContext())
	if !ok {
		return nil, nil, fault.New(fault.NotFound, "not_found", nil)
	}
	p, ok := PrincipalFrom(c.UserContext())
	if !ok {
		return nil, nil, fault.Unauth()
	}
	if p.Restricted {
		return nil, nil, ErrRestricted
	}
	return p, sc, nil
}

type callerKey struct{}

type caller struct {
	p  *Principal
	sc *tenant.Scope
}

// API is the middleware of routes that need a signed-in person: it refuses without one and
// keeps the caller for Caller.
func API(c *fiber.Ctx) error {
	p, sc, err := Require(c)
	if err != nil {
		return err
	}
	c.Locals(callerKey{}, caller{p: p, sc: sc})
	return c.Next()
}

// Page is API for pages: an anonymous visitor goes to the login page, and back here after.
func Page(c *fiber.Ctx) error {
	err := API(c)
	if fault.Is(err, fault.CodeUnauthenticated) {
		return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	return err
}

// Caller is the principal and scope API or Page checked for this request. A handler
// mounted without either gets nils, which it must not be: mount routes with the guard.
func Caller(c *fiber.Ctx) (*Principal, *tenant.Scope) {
	v, _ := c.Locals(callerKey{}).(caller)
	return v.p, v.sc
}
