package feed

import "github.com/gofiber/fiber/v2"

// KeyCheck stands in, in tests that mount the feed route without the authorisation
// middleware, for authz's credential: it runs CheckKey before the route, as serve does.
type KeyCheck struct{}

// Mount adds the check in front of every route.
func (KeyCheck) Mount(app *fiber.App) {
	app.Use(func(c *fiber.Ctx) error {
		if _, err := CheckKey(c); err != nil {
			return err
		}
		return c.Next()
	})
}
