package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/requests"
	"github.com/speks-portal/speks/tenant"
)

// An IT officer sets a person's administrative roles directly (the console's "roles" action); the
// roles are the ones a user-administration request may grant (requests.GrantableRoles), so
// platform administration stays JANM's. The account module already makes a person with a
// role enrol TOTP at their next login; ending their sessions here makes that happen at once.

// HasRole says whether the account holds role (the roles form's checked boxes).
func (u UserRow) HasRole(role string) bool { return slices.Contains(u.Roles, role) }

// rolesBody is POST /api/v1/admin/users/{user_id}/roles.
type rolesBody struct {
	Roles []string `json:"roles"`
}

// normaliseRoles sorts and deduplicates roles; ok is false when one may not be granted.
func normaliseRoles(roles []string) (out []string, ok bool) {
	out = []string{}
	for _, r := range roles {
		r = strings.TrimSpace(r)
		if !slices.Contains(requests.GrantableRoles, r) {
			return nil, false
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out, true
}

// setRoles returns the action that replaces an account's roles with roles.
func (m *Module) setRoles(roles []string) actionFunc {
	return func(c *fiber.Ctx, p *account.Principal, sc *tenant.Scope, u *UserRow) error {
		if u.Status == identity.StatusDeactivated {
			return invalidStatus()
		}
		return replaceRoles(c.UserContext(), sc, p, u.ID, roles)
	}
}

// replaceRoles writes the roles, ends the account's sessions (a session keeps the roles it
// was opened with) and audits the before and after, in one transaction.
func replaceRoles(ctx context.Context, sc *tenant.Scope, p *account.Principal, userID int64, roles []string) error {
	return tenant.InTx(ctx, sc.DB, func(tx *sqlx.Tx) error {
		before, err := identity.ReplaceRoles(ctx, tx, userID, roles)
		if err != nil {
			return err
		}
		return Record(ctx, tx, p, "account.roles", "user:"+fmt.Sprint(userID), userID,
			map[string]any{"before": before, "after": roles})
	})
}

// apiRoles is POST /api/v1/admin/users/{user_id}/roles {roles:[...]}.
func (m *Module) apiRoles(c *fiber.Ctx) error {
	var body rolesBody
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return fault.New(fault.BadRequest, "bad_request", err)
	}
	roles, ok := normaliseRoles(body.Roles)
	if !ok {
		return fault.New(fault.Invalid, "invalid_input", nil)
	}
	return m.userAction("roles", m.setRoles(roles))(c)
}

// submitRoles is the user page's roles form (one checkbox per grantable role).
func (m *Module) submitRoles(c *fiber.Ctx) error {
	back := url.Values{"q": {c.FormValue("q")}, "status": {c.FormValue("status")}}
	var picked []string
	for _, r := range c.Request().PostArgs().PeekMulti("roles") {
		picked = append(picked, string(r))
	}
	roles, ok := normaliseRoles(picked)
	var err error
	if !ok {
		err = fault.New(fault.Invalid, "invalid_input", nil)
	} else {
		_, err = m.perform(c, m.setRoles(roles))
	}
	if err != nil {
		e, isCoded := fault.As(err)
		if !isCoded || e.Kind == fault.Internal {
			return err
		}
		back.Set("error", e.Code)
	} else {
		back.Set("done", "roles")
	}
	return c.Redirect("/admin/users?"+back.Encode(), fiber.StatusSeeOther)
}
