package account

import (
	"context"

	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/foundation/guard"
)

// Principal is the logged-in person as every module sees it; the type lives with the one
// guard every module checks callers with (modules/foundation/guard), and this module's
// session middleware is what puts it on the context.
type Principal = guard.Principal

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return guard.WithPrincipal(ctx, p)
}

// PrincipalFrom returns the logged-in principal, or false for an anonymous request.
func PrincipalFrom(ctx context.Context) (*Principal, bool) { return guard.PrincipalFrom(ctx) }

// principalOf is the principal of an account's session; restricted when the session may only
// finish one step (set a password, complete activation, enrol TOTP).
func principalOf(u *identity.User, restricted bool) *Principal {
	return &Principal{
		UserID: u.ID, Category: u.Category, LoginID: u.LoginID, Name: u.Name,
		EmployeeIC: u.EmployeeIC.String, SupplierID: u.SupplierID.Int64,
		Roles: append([]string{}, u.Roles...), Restricted: restricted,
	}
}
