package platform

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/tenant"
)

// Login lockout: after maxFailures wrong attempts in a row the admin is locked for lockFor.
const (
	maxFailures = 5
	lockFor     = 15 * time.Minute
)

// Errors a person can cause, coded for the edge.
var (
	ErrInvalidCredentials = fault.New(fault.Unauthenticated, "invalid_credentials", errors.New("invalid credentials"))
	ErrLocked             = fault.New(fault.Locked, "locked", errors.New("platform admin locked"))
	ErrAdminExists        = errors.New("platform admin already exists")
)

// Admin is a platform administrator.
type Admin struct {
	ID          int64      `db:"id" json:"id"`
	Email       string     `db:"email" json:"email"`
	Name        string     `db:"name" json:"name"`
	LastLoginAt *time.Time `db:"last_login_at" json:"last_login_at,omitempty"`
}

// NewAdmin is a platform administrator to create; the TOTP secret is generated.
type NewAdmin struct {
	Email, Name, Password string
}

// Created is the result of CreateAdmin: the TOTP secret is shown once, to be put in an app.
type Created struct {
	Admin      Admin
	TOTPSecret string
	TOTPURL    string
}

// CreateAdmin stores a platform administrator with a new TOTP secret (sealed) and audits it.
func (s *Service) CreateAdmin(ctx context.Context, in NewAdmin, actor string) (*Created, error) {
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if _, err := mail.ParseAddress(email); err != nil || email == "" {
		return nil, fmt.Errorf("platform admin e-mail %q: %w", in.Email, errInvalidEmail)
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, errors.New("platform admin name is required")
	}
	if reasons := credentials.CheckPassword(in.Password, email, name); len(reasons) > 0 {
		return nil, fmt.Errorf("weak password: %s", strings.Join(reasons, ", "))
	}
	hash, err := credentials.Hash(ctx, in.Password, credentials.DefaultArgon2)
	if err != nil {
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "SPEKS Platform", AccountName: email})
	if err != nil {
		return nil, fmt.Errorf("generate totp secret: %w", err)
	}
	sealed, err := s.Accounts.SealTOTPSecret(key.Secret())
	if err != nil {
		return nil, err
	}
	out := &Created{Admin: Admin{Email: email, Name: name}, TOTPSecret: key.Secret(), TOTPURL: key.URL()}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &out.Admin.ID, `INSERT INTO platform_users (email, name, password_hash, totp_secret)
			VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO NOTHING RETURNING id`, email, name, hash, sealed)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%s: %w", email, ErrAdminExists)
		}
		if err != nil {
			return fmt.Errorf("insert platform admin: %w", err)
		}
		return tenant.Audit(ctx, tx, actor, "platform_admin.create", "", map[string]any{"admin_id": out.Admin.ID})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var errInvalidEmail = errors.New("not a valid e-mail address")

// LoginInput is what the login form or API sends, with where it came from.
type LoginInput struct {
	Email     string `json:"id"`
	Password  string `json:"password"`
	TOTP      string `json:"totp"`
	IP        string `json:"-"`
	UserAgent string `json:"-"`
}

type adminRow struct {
	Admin
	PasswordHash string     `db:"password_hash"`
	TOTPSecret   string     `db:"totp_secret"`
	LastStep     int64      `db:"totp_last_step"`
	Failed       int        `db:"failed_logins"`
	LockedUntil  *time.Time `db:"locked_until"`
	Disabled     bool       `db:"disabled"`
}

// Login checks e-mail, password and TOTP and opens a session; it returns the cookie token.
// Every wrong case is ErrInvalidCredentials, and an unknown e-mail costs the same argon2id
// work as a known one, so the answer tells nothing about which admins exist.
func (s *Service) Login(ctx context.Context, in LoginInput) (*Session, string, error) {
	email := strings.ToLower(strings.TrimSpace(in.Email))
	var row adminRow
	err := s.public().GetContext(ctx, &row, `SELECT id, email, name, last_login_at, password_hash, totp_secret,
		totp_last_step, failed_logins, locked_until, disabled FROM platform_users WHERE email = $1`, email)
	if errors.Is(err, sql.ErrNoRows) {
		_, _ = credentials.Verify(ctx, in.Password, decoyHash())
		s.auditQuiet(ctx, "anonymous", "platform.login_failed", map[string]any{"reason": "unknown"})
		return nil, "", ErrInvalidCredentials
	}
	if err != nil {
		return nil, "", fmt.Errorf("read platform admin: %w", err)
	}
	now := s.now()
	if row.LockedUntil != nil && row.LockedUntil.After(now) {
		return nil, "", ErrLocked
	}
	ok, err := s.checkSecrets(ctx, &row, in, now)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", s.recordFailure(ctx, row.ID, row.Email, now)
	}
	return s.openSession(ctx, &row.Admin, in, now)
}

// checkSecrets verifies the password, then the TOTP code once (its step is recorded, so a
// code cannot be replayed, even by two concurrent logins).
func (s *Service) checkSecrets(ctx context.Context, row *adminRow, in LoginInput, now time.Time) (bool, error) {
	ok, err := credentials.Verify(ctx, in.Password, row.PasswordHash)
	if err != nil || !ok || row.Disabled {
		return false, err
	}
	secret, err := s.Accounts.OpenTOTPSecret(row.TOTPSecret)
	if err != nil {
		return false, err
	}
	step, ok := credentials.MatchTOTPStep(in.TOTP, secret, now)
	if !ok || step <= row.LastStep {
		return false, nil
	}
	res, err := s.public().ExecContext(ctx, `UPDATE platform_users SET totp_last_step = $2
		WHERE id = $1 AND totp_last_step < $2`, row.ID, step)
	if err != nil {
		return false, fmt.Errorf("record totp step: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (s *Service) recordFailure(ctx context.Context, id int64, email string, now time.Time) error {
	_, err := s.public().ExecContext(ctx, `UPDATE platform_users SET
		failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
		locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3::timestamptz ELSE locked_until END
		WHERE id = $1`, id, maxFailures, now.Add(lockFor))
	if err != nil {
		return fmt.Errorf("record failed platform login: %w", err)
	}
	s.auditQuiet(ctx, email, "platform.login_failed", map[string]any{"admin_id": id})
	return ErrInvalidCredentials
}

var (
	decoyOnce sync.Once
	decoy     string
)

// decoyHash is a hash of a random-looking secret nobody knows, verified for unknown e-mails.
func decoyHash() string {
	decoyOnce.Do(func() {
		decoy, _ = credentials.HashPassword("speks-platform-decoy-"+time.Now().String(), credentials.DefaultArgon2)
	})
	return decoy
}

// ResealTOTP seals every platform administrator's TOTP secret again with the newest key of
// the secrets.session ring (`speks secrets reseal`), as account.Service.ResealTOTP does for a
// tenant's accounts: one transaction, an audit entry, idempotent.
func (s *Service) ResealTOTP(ctx context.Context, actor string) (credentials.ResealCount, error) {
	var count credentials.ResealCount
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var rows []credentials.StoredTOTP
		if err := tx.SelectContext(ctx, &rows, `SELECT id, totp_secret FROM platform_users ORDER BY id FOR UPDATE`); err != nil {
			return fmt.Errorf("read platform totp secrets: %w", err)
		}
		var err error
		count, err = credentials.Reseal(s.Accounts.Keys, rows, func(id int64, sealed string) error {
			if _, err := tx.ExecContext(ctx, `UPDATE platform_users SET totp_secret = $2 WHERE id = $1`, id, sealed); err != nil {
				return fmt.Errorf("store the resealed totp secret of platform admin %d: %w", id, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, actor, "secrets.reseal", "", map[string]any{
			"key_id": s.Accounts.Keys.NewestID(), "resealed": count.Resealed, "current": count.Current, "unreadable": count.Unreadable})
	})
	return count, err
}
