package platform

import (
	"context"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/tenant"
)

// Service is the platform console's logic.
type Service struct {
	DBs          *tenant.Databases
	Registry     *tenant.Registry
	Resolver     *tenant.Resolver
	Provisioner  *tenant.Provisioner
	Accounts     *account.Service // TOTP sealing, and the first IT officer of a new tenant
	PlatformHost string
	// LoginURL is a tenant's login page as mails link to it.
	LoginURL func(t *tenant.Tenant) string
	Now      func() time.Time
	Log      *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

func (s *Service) public() *sqlx.DB { return s.DBs.Public() }

func (s *Service) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return tenant.InTx(ctx, s.public(), fn)
}

// audit writes the platform audit log outside a transaction.
func (s *Service) audit(ctx context.Context, actor, action, code string, detail map[string]any) error {
	return tenant.Audit(ctx, s.public(), actor, action, code, detail)
}

// auditQuiet is for events (logins) whose audit failure must not change the answer; the
// failure is logged instead.
func (s *Service) auditQuiet(ctx context.Context, actor, action string, detail map[string]any) {
	if err := s.audit(ctx, actor, action, "", detail); err != nil {
		s.log().ErrorContext(ctx, "platform audit failed", "action", action, "err", err)
	}
}
