package web

import (
	"errors"
	"fmt"
)

// Error is an error with an HTTP status and a stable snake_case code, the shape docs/API.md
// "Errors" requires. Modules return (or wrap) these; the edge maps them to JSON or a page once.
// MessageKey names the i18n message shown to the user; Detail is logged, never shown.
type Error struct {
	Status     int
	Code       string
	MessageKey string
	Params     map[string]any
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s (%d): %v", e.Code, e.Status, e.Err)
	}
	return fmt.Sprintf("%s (%d)", e.Code, e.Status)
}

func (e *Error) Unwrap() error { return e.Err }

// NewError builds a coded error; messageKey defaults to "error_<code>".
func NewError(status int, code string, err error) *Error {
	return &Error{Status: status, Code: code, MessageKey: "error_" + code, Err: err}
}

// AsError finds a coded error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
