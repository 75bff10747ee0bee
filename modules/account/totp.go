package account

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/speks-portal/speks/modules/account/session"
	"github.com/speks-portal/speks/tenant"
	"golang.org/x/crypto/hkdf"
)

// Enrolment is a new TOTP secret to put in an authenticator app.
type Enrolment struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
}

// totpPeriod is the RFC 6238 time step every authenticator app uses by default.
const totpPeriod = 30

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
	sealed, err := s.sealTOTP(key.Secret())
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
func (s *Service) checkTOTP(ctx context.Context, db interface {
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
	secret, err := s.openTOTP(row.Sealed)
	if err != nil {
		return false, err
	}
	step, ok := matchStep(strings.TrimSpace(code), secret, s.now())
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

// SealTOTPSecret, OpenTOTPSecret and MatchTOTPStep let the platform console (modules/platform)
// keep its administrators' TOTP exactly as accounts keep theirs: same sealing key, same
// drift window. Replay protection (the last step) is the caller's, on its own table.
func (s *Service) SealTOTPSecret(secret string) (string, error) { return s.sealTOTP(secret) }

// OpenTOTPSecret decrypts what SealTOTPSecret sealed.
func (s *Service) OpenTOTPSecret(sealed string) (string, error) { return s.openTOTP(sealed) }

// MatchTOTPStep returns the time step, within one step of now, whose code is code.
func MatchTOTPStep(code, secret string, now time.Time) (int64, bool) {
	return matchStep(strings.TrimSpace(code), secret, now)
}

// matchStep finds the time step, within one step of now, whose code is code.
func matchStep(code, secret string, now time.Time) (int64, bool) {
	for _, offset := range []int64{0, -1, 1} {
		at := now.Add(time.Duration(offset*totpPeriod) * time.Second)
		ok, err := totp.ValidateCustom(code, secret, at, totp.ValidateOpts{
			Period: totpPeriod, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
		})
		if err == nil && ok {
			return at.Unix() / totpPeriod, true
		}
	}
	return 0, false
}

// totpKey is the AES-256 key that seals TOTP secrets, derived from secrets.session with HKDF
// so the one configured secret yields independent keys for independent uses.
func (s *Service) totpKey() ([]byte, error) {
	key := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, s.CodeSecret, nil, []byte("speks totp secret v1")), key); err != nil {
		return nil, fmt.Errorf("derive totp key: %w", err)
	}
	return key, nil
}

func (s *Service) gcm() (cipher.AEAD, error) {
	key, err := s.totpKey()
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("totp cipher: %w", err)
	}
	return cipher.NewGCM(block)
}

// sealTOTP encrypts a TOTP secret for storage: "v1:" + base64(nonce || ciphertext).
func (s *Service) sealTOTP(secret string) (string, error) {
	aead, err := s.gcm()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("totp nonce: %w", err)
	}
	return "v1:" + base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(secret), nil)), nil
}

var errSealedTOTP = errors.New("unreadable totp secret (was secrets.session changed?)")

func (s *Service) openTOTP(sealed string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	if !strings.HasPrefix(sealed, "v1:") || err != nil {
		return "", errSealedTOTP
	}
	aead, err := s.gcm()
	if err != nil {
		return "", err
	}
	if len(raw) < aead.NonceSize() {
		return "", errSealedTOTP
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], nil)
	if err != nil {
		return "", errSealedTOTP
	}
	return string(plain), nil
}
