package credentials_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/modules/account/credentials"
)

// A sealed secret opens with the secrets.session it was sealed under and with no other; the
// stored form never carries the secret in clear.
func TestTOTPSecretsOpenOnlyWithTheirKey(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	sealed, err := credentials.SealTOTP([]byte("session-secret"), secret)
	if err != nil {
		t.Fatal(err)
	}
	if sealed[:3] != "v1:" || len(sealed) < 20 || sealed == "v1:"+secret {
		t.Fatalf("sealed form %q", sealed)
	}
	if got, err := credentials.OpenTOTP([]byte("session-secret"), sealed); err != nil || got != secret {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := credentials.OpenTOTP([]byte("another-secret"), sealed); !errors.Is(err, credentials.ErrSealedTOTP) {
		t.Fatalf("opened with the wrong key: %v", err)
	}
	if _, err := credentials.OpenTOTP([]byte("session-secret"), "v1:not-base64!"); !errors.Is(err, credentials.ErrSealedTOTP) {
		t.Fatalf("opened garbage: %v", err)
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
