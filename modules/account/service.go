package account

import (
	"context"
	_ "embed"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/account/lockout"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/keyring"
	"github.com/speks-portal/speks/modules/foundation/sessions"
	"github.com/speks-portal/speks/tenant"
)

// Errors a person can cause, each with its code (docs/API.md "Session, login and account");
// the web edge gives the status.
var (
	ErrInvalidCredentials = fault.New(fault.Unauthenticated, "invalid_credentials", errors.New("invalid credentials"))
	ErrLocked             = fault.New(fault.Locked, "locked", errors.New("account locked"))
	// ErrWrongCurrentPassword is a signed-in person's wrong current password on the
	// change-password form: they know who they are, so the answer says which field is wrong.
	ErrWrongCurrentPassword = fault.New(fault.Invalid, "wrong_current_password", errors.New("wrong current password"))
	ErrTOTPRequired         = fault.New(fault.Unauthenticated, "totp_required", errors.New("totp required"))
	ErrNotRestricted        = fault.New(fault.Forbidden, "forbidden", errors.New("operation needs a different session"))
	ErrNoTenant             = tenant.ErrNoScope
	ErrWrongMode            = fault.New(fault.NotFound, "not_found", errors.New("not available in this tenant's registration mode"))
)

// WeakPasswordError lists why a new password was refused (weak_password with its reasons).
type WeakPasswordError struct{ Reasons []string }

func (e *WeakPasswordError) Error() string { return "weak password: " + strings.Join(e.Reasons, ", ") }

// Fault answers weak_password with the reasons.
func (e *WeakPasswordError) Fault() *fault.Error {
	return fault.New(fault.Invalid, "weak_password", e).With("reasons", e.Reasons)
}

// InvalidInputError is a request with missing or malformed fields (invalid_input with the fields).
type InvalidInputError struct{ Fields []string }

func (e *InvalidInputError) Error() string { return "invalid input: " + strings.Join(e.Fields, ", ") }

// Fault answers invalid_input with the fields.
func (e *InvalidInputError) Fault() *fault.Error {
	return fault.New(fault.Invalid, "invalid_input", e).With("fields", e.Fields)
}

// Config is what every account service shares, set once in the composition root (tests
// change the hashing cost and the clock through any service that holds it).
type Config struct {
	// Decoy is the secrets.decoy ring; its oldest key keys the stable decoy phrases of unknown IDs.
	Decoy keyring.Ring
	// Keys is the secrets.session ring: its newest key keys the HMAC of new one-time codes and
	// seals TOTP secrets; every key of it still verifies and opens.
	Keys   keyring.Ring
	Argon  credentials.Argon2Params
	Limits lockout.Limits
	// Now is the clock; tests move it to expire codes, sessions and locks.
	Now func() time.Time
	Log *slog.Logger

	// LoginsInFlight bounds the login attempts between reading their throttle counts and
	// recording their outcome; 0 means two per argon2id verification slot. A burst of
	// concurrent wrong attempts passes a limit, or the lockout, by at most this many.
	LoginsInFlight int

	dummyOnce sync.Once
	dummyHash string

	attemptsOnce sync.Once
	attempts     *credentials.Gate
}

// The account services. Each flow a person goes through has its own, and the handlers take
// the one they need; all of them share one Config.
type (
	// Login is the two-step login (Identify, Login), the session of a cookie (Authenticate)
	// and logging out.
	Login struct{ *Config }
	// Registration is how accounts come to be: self-registration and its e-mail link, an
	// officer's activation of a registration, accounts created by officers and workflows.
	Registration struct{ *Config }
	// Recovery is getting back in and setting a password: forgotten password, first login
	// from the payroll master, activation of a new account, changing the password.
	Recovery struct{ *Config }
)

// Service is the rest of the account logic (profile, TOTP enrolment, an officer's actions on
// an account, cancellation) and the home of the flows' services, built with it once.
type Service struct {
	*Config
	Login        *Login
	Registration *Registration
	Recovery     *Recovery
}

// NewService returns the account services with production parameters and one key of each secret.
func NewService(sessionSecret, decoySecret string, log *slog.Logger) *Service {
	return NewServiceWithKeys(keyring.New(sessionSecret), keyring.New(decoySecret), log)
}

// NewServiceWithKeys returns a service with production parameters and the secrets' key rings
// (secrets.session and secrets.decoy, newest first).
func NewServiceWithKeys(session, decoy keyring.Ring, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	c := &Config{
		Decoy: decoy, Keys: session,
		Argon: credentials.DefaultArgon2, Limits: lockout.DefaultLimits, Now: time.Now, Log: log,
	}
	return &Service{Config: c, Login: &Login{c}, Registration: &Registration{c}, Recovery: &Recovery{c}}
}

func (s *Config) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// dummy is a hash of a random secret, verified for unknown IDs so that a wrong ID costs the
// same argon2id work as a wrong password.
func (s *Config) dummy() string {
	s.dummyOnce.Do(func() {
		token, err := sessions.NewToken(24)
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		s.dummyHash, err = credentials.HashPassword(token, s.Argon)
		if err != nil {
			panic(err)
		}
	})
	return s.dummyHash
}

// hashAnswer hashes a security answer like a password, after folding case and spaces.
func (s *Config) hashAnswer(ctx context.Context, answer string) (string, error) {
	return credentials.Hash(ctx, foldAnswer(answer), s.Argon)
}

func foldAnswer(a string) string { return strings.ToLower(strings.Join(strings.Fields(a), " ")) }
