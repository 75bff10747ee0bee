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

	"github.com/speks-portal/speks/modules/foundation/keyring"
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

// totpKey is the AES-256 key that seals TOTP secrets, derived from one key of the
// secrets.session ring with HKDF, so the one configured secret yields independent keys for
// independent uses.
func totpKey(sessionKey []byte) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, sessionKey, nil, []byte("speks totp secret v1")), key); err != nil {
		return nil, fmt.Errorf("derive totp key: %w", err)
	}
	return key, nil
}

func totpGCM(sessionKey []byte) (cipher.AEAD, error) {
	key, err := totpKey(sessionKey)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("totp cipher: %w", err)
	}
	return cipher.NewGCM(block)
}

// SealTOTP encrypts a TOTP secret for storage with a key derived from the newest key of the
// secrets.session ring: "v2:" + key ID + ":" + base64(nonce || ciphertext), the key ID also
// bound to the ciphertext as associated data. The key ID tells OpenTOTP which key opens it.
func SealTOTP(ring keyring.Ring, secret string) (string, error) {
	if ring.Len() == 0 {
		return "", errors.New("seal totp secret: no secrets.session key")
	}
	aead, err := totpGCM(ring.Newest())
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("totp nonce: %w", err)
	}
	kid := ring.NewestID()
	return "v2:" + kid + ":" + base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(secret), []byte(kid))), nil
}

// ErrSealedTOTP is a stored TOTP secret that does not open with any key of the ring.
var ErrSealedTOTP = errors.New("unreadable totp secret (was its secrets.session key removed before `speks secrets reseal`?)")

// OpenTOTP decrypts what SealTOTP sealed with a key still in the ring. The key ID picks the
// key; a value of the first format ("v1:", sealed before key IDs, with no associated data) is
// tried against each key of the ring.
func OpenTOTP(ring keyring.Ring, sealed string) (string, error) {
	if rest, ok := strings.CutPrefix(sealed, "v2:"); ok {
		kid, body, ok := strings.Cut(rest, ":")
		if !ok {
			return "", ErrSealedTOTP
		}
		key, ok := ring.Find(kid)
		if !ok {
			return "", ErrSealedTOTP
		}
		return openWith(key, body, []byte(kid))
	}
	body, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return "", ErrSealedTOTP
	}
	for _, key := range ring.Keys() {
		if plain, err := openWith(key, body, nil); err == nil {
			return plain, nil
		}
	}
	return "", ErrSealedTOTP
}

// SealedWithNewest reports whether sealed is already in the current format under the ring's
// newest key, i.e. whether `speks secrets reseal` may leave it alone.
func SealedWithNewest(ring keyring.Ring, sealed string) bool {
	return strings.HasPrefix(sealed, "v2:"+ring.NewestID()+":")
}

func openWith(key []byte, body string, aad []byte) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil {
		return "", ErrSealedTOTP
	}
	aead, err := totpGCM(key)
	if err != nil {
		return "", err
	}
	if len(raw) < aead.NonceSize() {
		return "", ErrSealedTOTP
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], aad)
	if err != nil {
		return "", ErrSealedTOTP
	}
	return string(plain), nil
}

// ResealCount is what `speks secrets reseal` did to one table's TOTP secrets.
type ResealCount struct {
	Resealed   int `json:"resealed"`   // opened with an older key, sealed again with the newest
	Current    int `json:"current"`    // already sealed with the newest key, left alone
	Unreadable int `json:"unreadable"` // no key of the ring opens it: the person must enrol again
}

// StoredTOTP is one row's sealed TOTP secret, as the table that owns it reads it.
type StoredTOTP struct {
	ID     int64  `db:"id"`
	Sealed string `db:"totp_secret"`
}

// Reseal opens each stored secret with the ring and, unless it is already sealed with the
// newest key, seals it again with that key and hands it to store (the owner's UPDATE, in the
// owner's transaction). A secret no key opens is counted, not fatal: it is already lost.
func Reseal(ring keyring.Ring, rows []StoredTOTP, store func(id int64, sealed string) error) (ResealCount, error) {
	var c ResealCount
	for _, r := range rows {
		plain, err := OpenTOTP(ring, r.Sealed)
		switch {
		case errors.Is(err, ErrSealedTOTP):
			c.Unreadable++
			continue
		case err != nil:
			return c, err
		case SealedWithNewest(ring, r.Sealed):
			c.Current++
			continue
		}
		sealed, err := SealTOTP(ring, plain)
		if err != nil {
			return c, err
		}
		if err := store(r.ID, sealed); err != nil {
			return c, err
		}
		c.Resealed++
	}
	return c, nil
}
