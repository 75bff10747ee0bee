package tenant_test

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/lib/pq"

	"github.com/speks-portal/speks/tenant"
)

func TestNormaliseHost(t *testing.T) {
	cases := map[string]string{
		"Selangor.LocalHost:8080":      "selangor.localhost",
		"espeks.pahang.gov.my.":        "espeks.pahang.gov.my",
		" p.ispeks.melaka.gov.my ":     "p.ispeks.melaka.gov.my",
		"p.ispeks.selangor.gov.my:443": "p.ispeks.selangor.gov.my",
	}
	for in, want := range cases {
		if got := tenant.NormaliseHost(in); got != want {
			t.Errorf("NormaliseHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSpecValidateListsEveryProblem(t *testing.T) {
	spec := tenant.Spec{
		Code: "Terengganu", Hosts: []string{"bad host", "platform.localhost", "ok.example.my", "ok.example.my"},
		RegistrationMode: "open", EmailDomains: []string{"not a domain"}, RetentionMonths: 500,
		HelpdeskEmail: "nope", HelpdeskPhone: "call us",
	}
	spec.Normalise()
	err := spec.Validate("platform.localhost")
	var invalid *tenant.ValidationError
	if !errors.As(err, &invalid) || !errors.Is(err, tenant.ErrInvalid) {
		t.Fatalf("want a ValidationError matching ErrInvalid, got %v", err)
	}
	fields := map[string]int{}
	for _, p := range invalid.Problems {
		fields[p.Field]++
	}
	want := map[string]int{"code": 1, "name": 1, "hosts": 3, "registration_mode": 1, "email_domains": 1, "retention_months": 1, "helpdesk_email": 1, "helpdesk_phone": 1}
	for f, n := range want {
		if fields[f] != n {
			t.Errorf("problems for %s = %d, want %d (all: %+v)", f, fields[f], n, invalid.Problems)
		}
	}
}

func TestSpecValidateAcceptsTheIssueExample(t *testing.T) {
	spec := tenant.Spec{Code: "terengganu", Name: "Terengganu", Hosts: []string{"ESPEKS.terengganu.gov.my"},
		RegistrationMode: tenant.PayrollMatch, EmailDomains: []string{"@Terengganu.gov.my"}}
	spec.Normalise()
	if err := spec.Validate("platform.localhost"); err != nil {
		t.Fatal(err)
	}
	if spec.Hosts[0] != "espeks.terengganu.gov.my" || spec.EmailDomains[0] != "terengganu.gov.my" || spec.RetentionMonths != 24 {
		t.Fatalf("not normalised: %+v", spec)
	}
}

func TestEmailInDomains(t *testing.T) {
	domains := []string{"terengganu.gov.my", "espeks.terengganu.gov.my"}
	for addr, want := range map[string]bool{
		"it@terengganu.gov.my": true, "IT@Terengganu.GOV.my": true, "a@espeks.terengganu.gov.my": true,
		"wan.aziz@gmail.com": false, "a@sub.terengganu.gov.my": false, "a@terengganu.gov.my.evil.test": false,
		"terengganu.gov.my": false, "": false,
	} {
		if got := tenant.EmailInDomains(addr, domains); got != want {
			t.Errorf("EmailInDomains(%q) = %v, want %v", addr, got, want)
		}
	}
	if !tenant.EmailInDomains("ahmad@gmail.com", nil) {
		t.Error("a state without domains must take any address")
	}
}

// A PostgreSQL outage (refused, reset, shutting down, starting up, out of connections) is
// told apart from a fault of the request.
func TestIsUnavailable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("syntax error"), false},
		{&pq.Error{Code: "23505"}, false}, // unique_violation
		{&pq.Error{Code: "42P01"}, false}, // undefined_table
		{&pq.Error{Code: "08006"}, true},  // connection_failure
		{&pq.Error{Code: "57P01"}, true},  // admin_shutdown
		{&pq.Error{Code: "57P03"}, true},  // cannot_connect_now
		{&pq.Error{Code: "53300"}, true},  // too_many_connections
		{fmt.Errorf("load session: %w", driver.ErrBadConn), true},
		{fmt.Errorf("query: %w", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), true},
		{io.EOF, true},
	} {
		if got := tenant.IsUnavailable(tc.err); got != tc.want {
			t.Errorf("IsUnavailable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
