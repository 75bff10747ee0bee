package authz

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// routeIndex tells which registered route pattern a request matches. A middleware runs
// before Fiber has matched the route (c.Route() is the middleware's own), so the index asks
// a shadow Fiber app holding the same routes in the same order, each answering with its
// pattern: the match is Fiber's own (parameters, optional parts, wildcards, case and strict
// routing settings), not a second, hand-written router that could disagree with it.
type routeIndex struct {
	shadow  *fiber.App
	handler fasthttp.RequestHandler
}

const routeHeader = "X-Speks-Route"

// newRouteIndex copies the routes of app (middleware excluded) into the shadow app.
func newRouteIndex(app *fiber.App) *routeIndex {
	cfg := app.Config()
	shadow := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		CaseSensitive:         cfg.CaseSensitive,
		StrictRouting:         cfg.StrictRouting,
		UnescapePath:          cfg.UnescapePath,
		// The shadow never reads bodies; errors are "no such route".
		ErrorHandler: func(c *fiber.Ctx, _ error) error { return c.SendStatus(fiber.StatusNotFound) },
	})
	for _, r := range app.GetRoutes(true) {
		pattern := r.Path
		shadow.Add(r.Method, r.Path, func(c *fiber.Ctx) error {
			c.Set(routeHeader, pattern)
			return c.SendStatus(fiber.StatusNoContent)
		})
	}
	return &routeIndex{shadow: shadow, handler: shadow.Handler()}
}

// lookup returns the pattern of the first route matching method and the raw request path
// (URI().PathOriginal(), which Fiber routes on), as Fiber would.
func (ix *routeIndex) lookup(method, path string) (string, bool) {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.URI().SetPath(path)
	ix.handler(&ctx)
	if ctx.Response.StatusCode() != fiber.StatusNoContent {
		return "", false
	}
	pattern := string(ctx.Response.Header.Peek(routeHeader))
	return pattern, pattern != ""
}

// String is for test failures.
func (ix *routeIndex) String() string {
	return fmt.Sprintf("routeIndex(%d routes)", len(ix.shadow.GetRoutes(true)))
}
