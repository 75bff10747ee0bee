package ids

import "strings"

// Mask is the one masking policy for identifiers shown or logged — IC and company numbers,
// login IDs, bank account numbers: only the last four characters stay visible
// (850314105523 → "********5523"). An ID of four characters or fewer is hidden whole, as
// "****", so its length tells nothing either; an empty one (no bank account on record) stays
// empty rather than pretending there is one.
func Mask(id string) string {
	r := []rune(strings.TrimSpace(id))
	if len(r) == 0 {
		return ""
	}
	if len(r) <= 4 {
		return "****"
	}
	return strings.Repeat("*", len(r)-4) + string(r[len(r)-4:])
}
