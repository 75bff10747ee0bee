package fault

import (
	"errors"
	"fmt"
	"testing"
)

type weak struct{ reasons []string }

func (w *weak) Error() string { return "weak" }
func (w *weak) Fault() *Error { return New(Invalid, "weak_password", w).With("reasons", w.reasons) }

func TestAsFindsTheOutermostFailure(t *testing.T) {
	sentinel := New(NotFound, "not_found", errors.New("no such row"))
	wrapped := fmt.Errorf("load: %w", sentinel)
	if e, ok := As(wrapped); !ok || e != sentinel || !errors.Is(wrapped, sentinel) {
		t.Fatalf("As(wrapped sentinel) = %v, %v", e, ok)
	}
	e, ok := As(fmt.Errorf("save: %w", &weak{reasons: []string{"too_short"}}))
	if !ok || e.Code != "weak_password" || e.Kind != Invalid || fmt.Sprint(e.Fields["reasons"]) != "[too_short]" {
		t.Fatalf("As(Faulter) = %+v, %v", e, ok)
	}
	// A code given on top of a domain error wins over the one underneath.
	outer := New(Invalid, "invalid_input", &weak{})
	if e, _ := As(outer); e.Code != "invalid_input" {
		t.Errorf("outer code = %s", e.Code)
	}
	if _, ok := As(errors.New("boom")); ok {
		t.Error("a plain error is coded")
	}
	if _, ok := As(nil); ok {
		t.Error("nil is coded")
	}
}

func TestCopiesLeaveSentinelsAlone(t *testing.T) {
	sentinel := New(Conflict, "wrong_status", nil)
	msg := sentinel.Message("requests_error_wrong_status", map[string]any{"N": 1})
	with := sentinel.With("fields", []string{"a"})
	if sentinel.MessageKey != "error_wrong_status" || sentinel.Params != nil || sentinel.Fields != nil {
		t.Errorf("sentinel changed: %+v", sentinel)
	}
	if msg.MessageKey != "requests_error_wrong_status" || with.Fields["fields"] == nil {
		t.Errorf("copies: %+v %+v", msg, with)
	}
	if !Is(fmt.Errorf("x: %w", Unauth()), CodeUnauthenticated) || Is(sentinel, CodeUnauthenticated) {
		t.Error("Is by code")
	}
}
