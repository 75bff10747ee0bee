// Package fault is the one error vocabulary of the portal. Domain code says what went wrong
// (a Kind and a stable snake_case code, optionally a message key, its parameters and extra
// fields) and never how HTTP answers it: the web edge (modules/foundation/web/edge.go) maps
// a Kind to a status, and the error to {"error":{code,message,…}} or an error page, once.
package fault

import (
	"errors"
	"fmt"
)

// Kind is the class of a failure; the edge gives each kind its HTTP status.
type Kind uint8

// The kinds. Internal is the zero value, so an uncoded error is never mistaken for the
// caller's fault.
const (
	Internal        Kind = iota // a fault on our side (500)
	BadRequest                  // the request cannot be understood (400)
	Unauthenticated             // no identity, or a wrong one (401)
	Forbidden                   // known, but not allowed (403)
	NotFound                    // no such record, or not this caller's (404)
	Conflict                    // the record's state forbids it now (409)
	TooLarge                    // the body is above a limit (413)
	UnsupportedType             // the body's media type is not taken (415)
	Invalid                     // understood, but the values are not acceptable (422)
	Locked                      // the account is locked for a while (423)
	Throttled                   // too many attempts; try later (429)
	Unavailable                 // a dependency is down (503)
)

// CodeUnauthenticated is the one code for "not signed in": the route needs an identity.
const CodeUnauthenticated = "unauthenticated"

// Error is a coded failure. MessageKey names the i18n message people read (default
// "error_<code>"), Params fill it in; Fields are extra members of the error object in JSON
// (reasons, fields); Body, when set, is a JSON object whose members stand beside "error"
// (a refused feed carries its whole report). Err is the cause, logged, never shown.
type Error struct {
	Kind       Kind
	Code       string
	MessageKey string
	Params     map[string]any
	Fields     map[string]any
	Body       any
	Err        error
}

// New is a coded error of kind; its message key is "error_<code>".
func New(kind Kind, code string, err error) *Error {
	return &Error{Kind: kind, Code: code, MessageKey: "error_" + code, Err: err}
}

// Unauth is the error of a route that needs an identity the request does not carry.
func Unauth() *Error { return New(Unauthenticated, CodeUnauthenticated, nil) }

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Code, e.Err)
	}
	return e.Code
}

func (e *Error) Unwrap() error { return e.Err }

// Message returns a copy of e with another message key and its parameters; sentinel errors
// stay unchanged.
func (e *Error) Message(key string, params map[string]any) *Error {
	c := *e
	c.MessageKey, c.Params = key, params
	return &c
}

// With returns a copy of e with one more member of the JSON error object.
func (e *Error) With(name string, value any) *Error {
	c := *e
	c.Fields = make(map[string]any, len(e.Fields)+1)
	for k, v := range e.Fields {
		c.Fields[k] = v
	}
	c.Fields[name] = value
	return &c
}

// Faulter is a domain error type that carries more than a code (a weak password's reasons,
// the fields of invalid input) and says how it is answered. *Error is one too.
type Faulter interface {
	Fault() *Error
}

// Fault makes *Error a Faulter, so As finds the outermost coded failure of either form.
func (e *Error) Fault() *Error { return e }

// As finds the coded failure in err's chain: an *Error, or a Faulter's.
func As(err error) (*Error, bool) {
	var f Faulter
	if err == nil || !errors.As(err, &f) {
		return nil, false
	}
	return f.Fault(), true
}

// Is reports whether err carries the failure code.
func Is(err error, code string) bool {
	e, ok := As(err)
	return ok && e.Code == code
}
