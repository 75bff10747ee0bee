package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/guard"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
)

// Feed API keys: the payroll system's credentials for POST /api/v1/feeds/{kind}. The key is
// shown once, in the answer that creates it; lists and the audit trail name only its public
// prefix. Revoking is immediate: the next feed with that key answers 401.

// createKey stores a new key named name and audits it, in one transaction.
func createKey(ctx context.Context, sc *tenant.Scope, p *account.Principal, name string) (string, *feed.APIKey, error) {
	if name = strings.TrimSpace(name); name == "" || len(name) > 100 {
		return "", nil, fault.New(fault.Invalid, "invalid_input", nil)
	}
	var key string
	var k *feed.APIKey
	err := tenant.InTx(ctx, sc.DB, func(tx *sqlx.Tx) error {
		var err error
		if key, k, err = feed.CreateAPIKey(ctx, tx, name, actorLabel(p)); err != nil {
			return err
		}
		return Record(ctx, tx, p, "apikey.create", "apikey:"+k.Prefix, 0, map[string]any{"name": k.Name})
	})
	if err != nil {
		return "", nil, fmt.Errorf("create api key: %w", err)
	}
	return key, k, nil
}

// revokeKey stops the key with prefix and audits it; an unknown or revoked prefix is a 404.
func revokeKey(ctx context.Context, sc *tenant.Scope, p *account.Principal, prefix string) error {
	err := tenant.InTx(ctx, sc.DB, func(tx *sqlx.Tx) error {
		if err := feed.RevokeAPIKey(ctx, tx, prefix); err != nil {
			return err
		}
		return Record(ctx, tx, p, "apikey.revoke", "apikey:"+prefix, 0, nil)
	})
	if errors.Is(err, feed.ErrInvalidAPIKey) {
		return fault.New(fault.NotFound, "not_found", err)
	}
	return err
}

// apiCreateKey makes a feed API key; the answer is the only place the key ever appears in
// clear, and the audit entry names only its public prefix.
func (m *Module) apiCreateKey(c *fiber.Ctx) error {
	p, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := c.BodyParser(&in); err != nil {
		return fault.New(fault.Invalid, "invalid_input", err)
	}
	key, k, err := createKey(c.UserContext(), sc, p, in.Name)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"key": key, "id": k.ID, "name": k.Name, "prefix": k.Prefix})
}

func (m *Module) apiListKeys(c *fiber.Ctx) error {
	_, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	keys, err := feed.ListAPIKeys(c.UserContext(), sc.DB)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"keys": keys})
}

func (m *Module) apiRevokeKey(c *fiber.Ctx) error {
	p, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	if err := revokeKey(c.UserContext(), sc, p, c.Params("prefix")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type apiKeysPage struct {
	Keys   []feed.APIKey
	NewKey string // the key just created, shown this once
	Name   string // the name of the key just created
	Done   string
	Error  string
}

func (m *Module) pageAPIKeys(c *fiber.Ctx) error {
	d := apiKeysPage{}
	if c.Query("done") == "revoked" {
		d.Done = "revoked"
	}
	return m.renderAPIKeys(c, d)
}

func (m *Module) renderAPIKeys(c *fiber.Ctx, d apiKeysPage) error {
	_, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	keys, err := feed.ListAPIKeys(c.UserContext(), sc.DB)
	if err != nil {
		return err
	}
	d.Keys = keys
	// The page may hold a key in clear: neither the browser nor a proxy keeps it.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return web.Render(c, "admin/apikeys", d)
}

// submitCreateKey answers with the page itself rather than a redirect: the key is shown in
// this one answer and exists nowhere else.
func (m *Module) submitCreateKey(c *fiber.Ctx) error {
	p, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	key, k, err := createKey(c.UserContext(), sc, p, c.FormValue("name"))
	if e, ok := fault.As(err); ok && e.Kind != fault.Internal {
		c.Status(web.StatusOf(err))
		return m.renderAPIKeys(c, apiKeysPage{Error: e.Code})
	}
	if err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return m.renderAPIKeys(c, apiKeysPage{NewKey: key, Name: k.Name})
}

// submitRevokeKey needs the form's confirmation box ticked (the browser requires it; this
// holds for any other client), since a revoked key cannot be brought back.
func (m *Module) submitRevokeKey(c *fiber.Ctx) error {
	p, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		c.Status(fiber.StatusUnprocessableEntity)
		return m.renderAPIKeys(c, apiKeysPage{Error: "confirm_required"})
	}
	if err := revokeKey(c.UserContext(), sc, p, c.Params("prefix")); err != nil {
		if e, ok := fault.As(err); ok && e.Kind != fault.Internal {
			c.Status(web.StatusOf(err))
			return m.renderAPIKeys(c, apiKeysPage{Error: e.Code})
		}
		return err
	}
	return c.Redirect("/admin/apikeys?done=revoked", fiber.StatusSeeOther)
}
