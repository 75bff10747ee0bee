package credentials_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/hkdf"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/foundation/keyring"
)

// A sealed secret names the key that sealed it, opens with any ring that still holds that key
// and with no other; the stored form never carries the secret in clear.
func TestTOTPSecretsOpenOnlyWithTheirKey(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	oldRing := keyring.New("session-secret")
	sealed, err := credentials.SealTOTP(oldRing, secret)
	if err != nil {
		t.Fatal(err)
	}
	if want := "v2:" + keyring.ID([]byte("session-secret")) + ":"; !strings.HasPrefix(sealed, want) || len(sealed) < 30 || strings.Contains(sealed, secret) {
		t.Fatalf("sealed form %q, want prefix %q", sealed, want)
	}
	if got, err := credentials.OpenTOTP(oldRing, sealed); err != nil || got != secret {
		t.Fatalf("open = %q, %v", got, err)
	}
	// Rotation: a new key in front, the old one still in the ring.
	rotated := keyring.New("new-session-secret", "session-secret")
	if got, err := credentials.OpenTOTP(rotated, sealed); err != nil || got != secret {
		t.Fatalf("open after adding a key = %q, %v", got, err)
	}
	if credentials.SealedWithNewest(rotated, sealed) || !credentials.SealedWithNewest(oldRing, sealed) {
		t.Fatal("SealedWithNewest does not follow the newest key")
	}
	if _, err := credentials.OpenTOTP(keyring.New("another-secret"), sealed); !errors.Is(err, credentials.ErrSealedTOTP) {
		t.Fatalf("opened with the wrong key: %v", err)
	}
	// A key ID changed in storage does not pick another key: the ID is bound to the ciphertext.
	forged := "v2:" + keyring.ID([]byte("new-session-secret")) + sealed[len("v2:")+8:]
	if _, err := credentials.OpenTOTP(rotated, forged); !errors.Is(err, credentials.ErrSealedTOTP) {
		t.Fatalf("opened under a forged key id: %v", err)
	}
	for _, garbage := range []string{"v1:not-base64!", "v2:nokeyid", "v2:" + keyring.ID([]byte("session-secret")) + ":!!", "plain"} {
		if _, err := credentials.OpenTOTP(rotated, garbage); !errors.Is(err, credentials.ErrSealedTOTP) {
			t.Fatalf("opened garbage %q: %v", garbage, err)
		}
	}
}

// sealV1 seals as the first format did (no key ID, no associated data), so the test proves
// that values stored before key rings still open.
func sealV1(t *testing.T, sessionSecret, secret string) string {
	t.Helper()
	key := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, []byte(sessionSecret), nil, []byte("speks totp secret v1")), key); err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		t.Fatal(err)
	}
	return "v1:" + base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(secret), nil))
}

// A secret sealed in the first format opens with whichever key of the ring sealed it, and is
// not taken for one sealed under the newest key.
func TestTOTPSecretsOfTheFirstFormatStillOpen(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	sealed := sealV1(t, "session-secret", secret)
	for _, ring := range []keyring.Ring{keyring.New("session-secret"), keyring.New("new-session-secret", "session-secret")} {
		if got, err := credentials.OpenTOTP(ring, sealed); err != nil || got != secret {
			t.Fatalf("open v1 with %d keys = %q, %v", ring.Len(), got, err)
		}
		if credentials.SealedWithNewest(ring, sealed) {
			t.Fatal("a v1 value counts as sealed with the newest key")
		}
	}
	if _, err := credentials.OpenTOTP(keyring.New("new-session-secret"), sealed); !errors.Is(err, credentials.ErrSealedTOTP) {
		t.Fatalf("v1 opened without its key: %v", err)
	}
}

// A code of the previous, current or next step is accepted with its own step; two steps off is
// refused.
func TestTOTPCodesMatchWithinOneStep(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	now := time.Date(2026, 3, 2, 9, 0, 15, 0, time.UTC)
	for _, offset := range []int{-1, 0, 1} {
		at := now.Add(time.Duration(offset*credentials.TOTPPeriod) * time.Second)
		code, err := totp.GenerateCode(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		step, ok := credentials.MatchTOTPStep(" "+code+" ", secret, now)
		if !ok || step != at.Unix()/credentials.TOTPPeriod {
			t.Errorf("offset %d: step %d, %v", offset, step, ok)
		}
	}
	old, _ := totp.GenerateCode(secret, now.Add(-2*credentials.TOTPPeriod*time.Second))
	if _, ok := credentials.MatchTOTPStep(old, secret, now); ok {
		t.Error("a code two steps old was accepted")
	}
}

// Reseal puts every readable secret under the newest key (the first format included), leaves
// those already there alone, counts what no key opens, and stores nothing it did not change.
func TestResealMovesEverySecretToTheNewestKey(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	oldRing := keyring.New("session-secret")
	ring := keyring.New("new-session-secret", "session-secret")
	underOld, _ := credentials.SealTOTP(oldRing, secret)
	underNew, _ := credentials.SealTOTP(ring, secret)
	lost, _ := credentials.SealTOTP(keyring.New("removed-secret"), secret)
	rows := []credentials.StoredTOTP{{ID: 1, Sealed: sealV1(t, "session-secret", secret)}, {ID: 2, Sealed: underOld},
		{ID: 3, Sealed: underNew}, {ID: 4, Sealed: lost}}
	stored := map[int64]string{}
	count, err := credentials.Reseal(ring, rows, func(id int64, sealed string) error { stored[id] = sealed; return nil })
	if err != nil || count != (credentials.ResealCount{Resealed: 2, Current: 1, Unreadable: 1}) {
		t.Fatalf("reseal = %+v, %v", count, err)
	}
	if len(stored) != 2 || stored[1] == "" || stored[2] == "" {
		t.Fatalf("stored %v, want rows 1 and 2", stored)
	}
	newOnly := keyring.New("new-session-secret")
	for id, sealed := range stored {
		if got, err := credentials.OpenTOTP(newOnly, sealed); err != nil || got != secret || !credentials.SealedWithNewest(newOnly, sealed) {
			t.Fatalf("row %d after reseal: %q, %v", id, got, err)
		}
	}
}
