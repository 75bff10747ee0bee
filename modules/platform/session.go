package platform

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/sessions"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
)

// Session lifetimes: a platform admin can offboard a state, so the idle limit is the
// strictest a tenant may choose, and the absolute one the account module's.
const (
	sessionIdle = 15 * time.Minute
)

// sessionCookie carries the platform session's token (modules/foundation/sessions: Secure and __Host- in production).
var sessionCookie = sessions.Cookie{Name: "speks_platform"}

// Session is a live platform session.
type Session struct {
	IDHash    []byte
	CSRFToken string
	Admin     Admin
}

func (s *Service) openSession(ctx context.Context, a *Admin, in LoginInput, now time.Time) (*Session, string, error) {
	token, err := sessions.NewToken(32)
	if err != nil {
		return nil, "", err
	}
	csrf, err := sessions.NewToken(32)
	if err != nil {
		return nil, "", err
	}
	ua := in.UserAgent
	if len(ua) > 300 {
		ua = ua[:300]
	}
	sess := &Session{IDHash: sessions.Hash(token), CSRFToken: csrf, Admin: *a}
	if _, err := s.public().ExecContext(ctx, `INSERT INTO platform_sessions
		(id_hash, user_id, csrf_token, created_at, last_seen_at, ip, user_agent) VALUES ($1, $2, $3, $4, $4, $5, $6)`,
		sess.IDHash, a.ID, csrf, now, in.IP, ua); err != nil {
		return nil, "", fmt.Errorf("create platform session: %w", err)
	}
	// Sessions end lazily when next used; a login also sweeps this admin's dead ones.
	if _, err := s.public().ExecContext(ctx, `DELETE FROM platform_sessions WHERE user_id = $1
		AND (last_seen_at < $2 OR created_at < $3)`, a.ID, now.Add(-sessionIdle), now.Add(-sessions.AbsoluteLifetime)); err != nil {
		return nil, "", fmt.Errorf("sweep platform sessions: %w", err)
	}
	if _, err := s.public().ExecContext(ctx, `UPDATE platform_users SET failed_logins = 0, locked_until = NULL,
		last_login_at = $2 WHERE id = $1`, a.ID, now); err != nil {
		return nil, "", fmt.Errorf("record platform login: %w", err)
	}
	s.auditQuiet(ctx, a.Email, "platform.login", map[string]any{"admin_id": a.ID})
	return sess, token, nil
}

var errNoSession = errors.New("no platform session")

// Authenticate returns the live session of a cookie token and marks it seen; idle or too
// old sessions are deleted and answer errNoSession.
func (s *Service) Authenticate(ctx context.Context, token string) (*Session, error) {
	now := s.now()
	var row struct {
		Admin
		CSRF     string    `db:"csrf_token"`
		Created  time.Time `db:"created_at"`
		LastSeen time.Time `db:"last_seen_at"`
		Disabled bool      `db:"disabled"`
	}
	idHash := sessions.Hash(token)
	err := s.public().GetContext(ctx, &row, `SELECT u.id, u.email, u.name, u.last_login_at, u.disabled,
		s.csrf_token, s.created_at, s.last_seen_at
		FROM platform_sessions s JOIN platform_users u ON u.id = s.user_id WHERE s.id_hash = $1`, idHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("read platform session: %w", err)
	}
	if row.Disabled || sessions.Expired(row.Created, row.LastSeen, now, sessionIdle) {
		_ = s.endSession(ctx, idHash)
		return nil, errNoSession
	}
	if _, err := s.public().ExecContext(ctx, `UPDATE platform_sessions SET last_seen_at = $2 WHERE id_hash = $1`,
		idHash, now); err != nil {
		return nil, fmt.Errorf("touch platform session: %w", err)
	}
	return &Session{IDHash: idHash, CSRFToken: row.CSRF, Admin: row.Admin}, nil
}

func (s *Service) endSession(ctx context.Context, idHash []byte) error {
	if _, err := s.public().ExecContext(ctx, `DELETE FROM platform_sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("end platform session: %w", err)
	}
	return nil
}

// Logout ends the session and audits it.
func (s *Service) Logout(ctx context.Context, sess *Session) error {
	if err := s.endSession(ctx, sess.IDHash); err != nil {
		return err
	}
	s.auditQuiet(ctx, sess.Admin.Email, "platform.logout", map[string]any{"admin_id": sess.Admin.ID})
	return nil
}

// Sessions is the platform session middleware as a web.Module; mount it before authz.
type Sessions struct{ svc *Service }

// NewSessions returns the middleware module.
func NewSessions(svc *Service) *Sessions { return &Sessions{svc: svc} }

// Mount adds the middleware.
func (m *Sessions) Mount(app *fiber.App) { app.Use(m.Middleware) }

type sessionLocal struct{}

// SessionFrom returns the request's platform session.
func SessionFrom(c *fiber.Ctx) (*Session, bool) {
	s, ok := c.Locals(sessionLocal{}).(*Session)
	return s, ok && s != nil
}

// Middleware loads the platform session of the cookie (platform host only), checks the CSRF
// token of state-changing requests and puts a platform_admin Principal on the context.
func (m *Sessions) Middleware(c *fiber.Ctx) error {
	if !tenant.IsPlatform(c.UserContext()) {
		return c.Next()
	}
	token := sessionCookie.Token(c)
	if token == "" {
		return c.Next()
	}
	sess, err := m.svc.Authenticate(c.UserContext(), token)
	if errors.Is(err, errNoSession) {
		sessionCookie.Clear(c)
		return c.Next()
	}
	if err != nil {
		return err
	}
	if !sessions.SafeMethod(c.Method()) && !sessions.ValidCSRF(c, sess.CSRFToken) {
		return fault.New(fault.Forbidden, "csrf_failed", nil)
	}
	c.Locals(sessionLocal{}, sess)
	c.Locals(web.CSRFTokenLocal, sess.CSRFToken)
	p := &account.Principal{
		UserID: sess.Admin.ID, Category: "platform", LoginID: sess.Admin.Email, Name: sess.Admin.Name,
		Roles: []string{authz.PlatformAdmin},
	}
	c.SetUserContext(account.WithPrincipal(c.UserContext(), p))
	web.SetViewer(c, &web.Viewer{Name: p.Name, Roles: p.ActsAs(), LogoutURL: "/platform/logout",
		IdleMinutes: int(sessionIdle / time.Minute), LoginURL: "/platform/login"})
	return c.Next()
}
