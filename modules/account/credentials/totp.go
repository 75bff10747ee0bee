package credentials

import (
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
	"golang.org/x/crypto/hkdf"
)

// TOTPPeriod is the RFC 6238 time step every authenticator app uses by default.
const TOTPPeriod = 30

// MatchTOTPStep returns the time step, within one step of now (clock drift), whose code is
// code. Recording the step, so that a code is accepted once, is the caller's.
func MatchTOTPStep(code, secret string, now time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	for _, offset := range []int64{0, -1, 1} {
		at := now.Add(time.Duration(offset*TOTPPeriod) * time.Second)
		ok, err := totp.ValidateCustom(code, secret, at, totp.ValidateOpts{
			Period: TOTPPeriod, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
		})
		if err == nil && ok {
			return at.Unix() / TOTPPeriod, true
		}
	}
	return 0, false
}

// totpKey is the AES-256 key that seals TOTP secrets, derived from secrets.session with HKDF
// so the one configured secret yields independent keys for independent uses.
func totpKey(sessionSecret []byte) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, sessionSecret, nil, []byte("speks totp secret v1")), key); err != nil {
		return nil, fmt.Errorf("derive totp key: %w", err)
	}
	return key, nil
}

func totpGCM(sessionSecret []byte) (cipher.AEAD, error) {
	key, err := totpKey(sessionSecret)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("totp cipher: %w", err)
	}
	return cipher.NewGCM(block)
}

// SealTOTP encrypts a TOTP secret for storage with a key derived from secrets.session:
// "v1:" + base64(nonce || ciphertext).
func SealTOTP(sessionSecret []byte, secret string) (string, error) {
	aead, err := totpGCM(sessionSecret)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("totp nonce: %w", err)
	}
	return "v1:" + base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(secret), nil)), nil
}

// ErrSealedTOTP is a stored TOTP secret that does not open with the configured key.
var ErrSealedTOTP = errors.New("unreadable totp secret (was secrets.session changed?)")

// OpenTOTP decrypts what SealTOTP sealed with the same secrets.session.
func OpenTOTP(sessionSecret []byte, sealed string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	if !strings.HasPrefix(sealed, "v1:") || err != nil {
		return "", ErrSealedTOTP
	}
	aead, err := totpGCM(sessionSecret)
	if err != nil {
		return "", err
	}
	if len(raw) < aead.NonceSize() {
		return "", ErrSealedTOTP
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], nil)
	if err != nil {
		return "", ErrSealedTOTP
	}
	return string(plain), nil
}
