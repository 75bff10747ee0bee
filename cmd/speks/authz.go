package main

import (
	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/foundation/authz"
)

// authzModule is the authorisation middleware over the platform database, with a
// LISTEN/NOTIFY watcher so a policy changed on one replica applies on all within a second.
func (rt *runtime) authzModule() *authz.Module {
	return authz.NewModule(authz.Options{
		DB:          rt.dbs.Public(),
		DSN:         rt.dbs.DirectURL(),
		Logger:      rt.log,
		Credentials: []authz.Credential{feedKeySubject},
	})
}

// feedKeySubject makes a request carrying a valid feed API key of the host's tenant the
// subject "feed". The feed module checks the key (once per request) and keeps it for its
// handler; a key presented but not valid is refused there with 401 invalid_api_key.
func feedKeySubject(c *fiber.Ctx) (string, error) {
	ok, err := feed.CheckKey(c)
	if !ok || err != nil {
		return "", err
	}
	return authz.Feed, nil
}
