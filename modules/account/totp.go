package account

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/account/session"
	"github.com/speks-portal/speks/modules/foundation/auditlog"
	"github.com/speks-portal/speks/tenant"
)

// Enrolment is a new TOTP secret to put in an authenticator app.
type Enrolment struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
}

// EnrolTOTP generates a new secret for an account with an admin role. The secret only takes
// effect when ConfirmTOTP sees a valid code from it, so a half-done enrolment locks nobody out.
func (s *Service) EnrolTOTP(ctx context.Context, sess *Session) (*Enrolment, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	if sess.User.TOTPEnabled {
		return nil, ErrNotRestricted // re-enrolment goes through an IT officer's reset
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "SPEKS " + sc.Tenant.Name, AccountName: sess.User.LoginID})
	if err != nil {
		return nil, fmt.Errorf("generate totp secret: %w", err)
	}
	sealed, err := s.SealTOTPSecret(key.Secret())
	if err != nil {
		return nil, err
	}
	if _, err := sc.DB.ExecContext(ctx, `UPDATE users SET totp_secret = $2 WHERE id = $1 AND NOT totp_enabled`,
		sess.UserID, sealed); err != nil {
		return nil, fmt.Errorf("store totp secret: %w", err)
	}
	return &Enrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// ConfirmTOTP turns TOTP on once the user shows a valid code, and lifts the enrolment
// restriction of the session.
func (s *Service) ConfirmTOTP(ctx context.Context, sess *Session, code string) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	ok, err := s.checkTOTP(ctx, sc.DB, sess.UserID, code)
	if err != nil {
		return err
	}
	if !ok {
		return ErrInvalidCredentials
	}
	if _, err := sc.DB.ExecContext(ctx, `UPDATE users SET totp_enabled = true WHERE id = $1`, sess.UserID); err != nil {
		return fmt.Errorf("enable totp: %w", err)
	}
	return session.Lift(ctx, sc.DB, sess.IDHash, PurposeEnrolTOTP)
}

// checkTOTP accepts a code of the previous, current or next 30-second step (clock drift), once:
// the step is recorded and a code of that step or an earlier one is refused afterwards.
func (s *Config) checkTOTP(ctx context.Context, db interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
}, userID int64, code string) (bool, error) {
	var row struct {
		Sealed   string `db:"totp_secret"`
		LastStep int64  `db:"totp_last_step"`
	}
	if err := db.GetContext(ctx, &row, `SELECT totp_secret, totp_last_step FROM users WHERE id = $1`, userID); err != nil {
		return false, fmt.Errorf("read totp secret: %w", err)
	}
	if row.Sealed == "" {
		return false, nil
	}
	secret, err := s.OpenTOTPSecret(row.Sealed)
	if err != nil {
		return false, err
	}
	step, ok := credentials.MatchTOTPStep(code, secret, s.now())
	if !ok || step <= row.LastStep {
		return false, nil
	}
	// Conditional update: of two concurrent logins with the same code only one wins.
	var won bool
	if err := db.GetContext(ctx, &won, `WITH u AS (UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2 RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM u)`, userID, step); err != nil {
		return false, fmt.Errorf("record totp step: %w", err)
	}
	return won, nil
}

// SealTOTPSecret, OpenTOTPSecret and credentials.MatchTOTPStep let the platform console
// (modules/platform) keep its administrators' TOTP exactly as accounts keep theirs: same
// sealing key, same drift window. Replay protection (the last step) is the caller's, on its
// own table.
func (s *Config) SealTOTPSecret(secret string) (string, error) {
	return credentials.SealTOTP(s.Keys, secret)
}

// OpenTOTPSecret decrypts what SealTOTPSecret sealed.
func (s *Config) OpenTOTPSecret(sealed string) (string, error) {
	return credentials.OpenTOTP(s.Keys, sealed)
}

// ResealTOTP seals every stored TOTP secret of the tenant again with the newest key of the
// secrets.session ring (`speks secrets reseal`), in one transaction with an audit entry, so
// the older keys can then be removed. Secrets already under the newest key are left alone, so
// running it twice changes nothing the second time.
func (s *Service) ResealTOTP(ctx context.Context, actor string) (credentials.ResealCount, error) {
	var count credentials.ResealCount
	sc, err := tenant.Require(ctx)
	if err != nil {
		return count, err
	}
	err = tenant.InTx(ctx, sc.DB, func(tx *sqlx.Tx) error {
		var rows []credentials.StoredTOTP
		if err := tx.SelectContext(ctx, &rows, `SELECT id, totp_secret FROM users WHERE totp_secret <> '' ORDER BY id FOR UPDATE`); err != nil {
			return fmt.Errorf("read totp secrets: %w", err)
		}
		count, err = credentials.Reseal(s.Keys, rows, func(id int64, sealed string) error {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = $2 WHERE id = $1`, id, sealed); err != nil {
				return fmt.Errorf("store the resealed totp secret of account %d: %w", id, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return auditlog.Write(ctx, tx, auditlog.Entry{Actor: actor, Action: "secrets.reseal", Detail: map[string]any{
			"key_id": s.Keys.NewestID(), "resealed": count.Resealed, "current": count.Current, "unreadable": count.Unreadable}})
	})
	return count, err
}
