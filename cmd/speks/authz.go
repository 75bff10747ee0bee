package main

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
)

// authzModule is the authorisation middleware over the platform database, with a
// LISTEN/NOTIFY watcher so a policy changed on one replica applies on all within a second.
func (rt *runtime) authzModule() *authz.Module {
	return authz.NewModule(authz.Options{
		DB:          rt.dbs.Public(),
		DSN:         rt.cfg.Database.URL,
		Logger:      rt.log,
		Credentials: []authz.Credential{feedKeySubject},
	})
}

// feedKeySubject makes a request carrying a valid feed API key of the host's tenant the
// subject "feed". A key that is presented but not valid is refused here with the feed
// module's own answer (401 invalid_api_key), so the payroll system sees one behaviour.
func feedKeySubject(c *fiber.Ctx) (string, error) {
	presented, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok {
		return "", nil
	}
	scope, ok := tenant.FromContext(c.UserContext())
	if !ok {
		return "", nil // the platform host takes no feeds
	}
	_, err := feed.Authenticate(c.UserContext(), scope.DB, strings.TrimSpace(presented))
	if errors.Is(err, feed.ErrInvalidAPIKey) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="speks-feeds"`)
		e := web.NewError(fiber.StatusUnauthorized, "invalid_api_key", nil)
		e.MessageKey = "error_unauthorized"
		return "", e
	}
	if err != nil {
		return "", err
	}
	return authz.Feed, nil
}
