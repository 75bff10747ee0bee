package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/fault"
)

// kindStatus is the one table from a failure's kind to its HTTP status. Domain code says
// what went wrong (fault.Kind + code); only the edge knows HTTP.
var kindStatus = map[fault.Kind]int{
	fault.Internal:        fiber.StatusInternalServerError,
	fault.BadRequest:      fiber.StatusBadRequest,
	fault.Unauthenticated: fiber.StatusUnauthorized,
	fault.Forbidden:       fiber.StatusForbidden,
	fault.NotFound:        fiber.StatusNotFound,
	fault.Conflict:        fiber.StatusConflict,
	fault.TooLarge:        fiber.StatusRequestEntityTooLarge,
	fault.UnsupportedType: fiber.StatusUnsupportedMediaType,
	fault.Invalid:         fiber.StatusUnprocessableEntity,
	fault.Locked:          fiber.StatusLocked,
	fault.Throttled:       fiber.StatusTooManyRequests,
	fault.Unavailable:     fiber.StatusServiceUnavailable,
}

// StatusOf is the status the edge answers err with. Pages that show a refusal inside the
// form (rather than on the error page) answer with the same status through it.
func StatusOf(err error) int { return classify(err).status }
