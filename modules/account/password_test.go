package account_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/account"
)

func TestHashesAreArgon2idPHCWithTheirParameters(t *testing.T) {
	hash, err := account.HashPassword("kopi-o-kaw-tanpa-gula", account.DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry m=19 MiB, t=2, p=1 in PHC form", hash)
	}
	other, _ := account.HashPassword("kopi-o-kaw-tanpa-gula", account.DefaultArgon2)
	if other == hash {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for secret, want := range map[string]bool{"kopi-o-kaw-tanpa-gula": true, "kopi-o-kaw-tanpa-gulA": false, "": false} {
		if ok, err := account.VerifyPassword(secret, hash); err != nil || ok != want {
			t.Errorf("verify %q = %v, %v; want %v", secret, ok, err, want)
		}
	}
	// A hash made with lower parameters still verifies, and is due for an upgrade.
	weak := account.Argon2Params{MemoryKiB: 4096, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	old, _ := account.HashPassword("kopi-o-kaw-tanpa-gula", weak)
	if ok, err := account.VerifyPassword("kopi-o-kaw-tanpa-gula", old); !ok || err != nil {
		t.Fatalf("old-parameter hash does not verify: %v %v", ok, err)
	}
	if !account.NeedsRehash(old, account.DefaultArgon2) || account.NeedsRehash(hash, account.DefaultArgon2) {
		t.Fatal("NeedsRehash does not compare the stored parameters")
	}
	for _, bad := range []string{"", "$2a$10$abc", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5"} {
		if _, err := account.VerifyPassword("x", bad); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	cases := []struct {
		password string
		want     []string
	}{
		{"pendek123", []string{account.ReasonTooShort}},
		{strings.Repeat("a", 129), []string{account.ReasonTooLong}},
		{"sawit berbuah lebat di Kuantan", nil},             // a passphrase: no composition rules
		{"ลมหนาวพัดผ่านทุ่งนาเขียว", nil},                   // any Unicode, counted in characters
		{"qwerty123456", []string{account.ReasonCommon}},    // on the shipped list as it is
		{"Password123456!", []string{account.ReasonCommon}}, // a common base padded with digits
		{"saya-850101-14-5123-ok", []string{account.ReasonContainsID}},
		{"aminahsayang2024", []string{account.ReasonContainsName}},
	}
	for _, tc := range cases {
		got := account.CheckPassword(tc.password, "850101145123", "Aminah binti Yusof")
		if !slices.Equal(got, tc.want) {
			t.Errorf("CheckPassword(%q) = %v, want %v", tc.password, got, tc.want)
		}
	}
	// "bin"/"binti" are not name parts a password must avoid.
	if got := account.CheckPassword("tukang kebun binti hebat", "850101145123", "Aminah binti Yusof"); got != nil {
		t.Errorf("name particle refused: %v", got)
	}
}

func TestDecoyPhrasesAreStablePerTenantAndID(t *testing.T) {
	svc := account.NewService("s", "decoy-secret", nil)
	a := svc.DecoyPhrase("selangor", "850101145123", "ms")
	if a != svc.DecoyPhrase("selangor", "850101145123", "ms") {
		t.Fatal("decoy changes between calls")
	}
	if a == svc.DecoyPhrase("pahang", "850101145123", "ms") || a == svc.DecoyPhrase("selangor", "850101145124", "ms") {
		t.Fatal("decoy does not depend on tenant and ID")
	}
	if len(strings.Fields(a)) != 3 {
		t.Fatalf("decoy %q is not three words", a)
	}
	other := account.NewService("s", "another-secret", nil)
	if a == other.DecoyPhrase("selangor", "850101145123", "ms") {
		t.Fatal("decoy does not depend on the secret")
	}
}

// A decoy is made of words of the page's language, the same for one ID in one language.
func TestDecoyPhrasesFollowTheLanguage(t *testing.T) {
	svc := account.NewService("s", "decoy-secret", nil)
	malay, english := wordSet(t, "decoy_words_ms.txt"), wordSet(t, "decoy_words.txt")
	for i := range 50 {
		id := fmt.Sprintf("8501011451%02d", i)
		for lang, words := range map[string]map[string]bool{"ms": malay, "en": english} {
			phrase := svc.DecoyPhrase("selangor", id, lang)
			if phrase != svc.DecoyPhrase("selangor", id, lang) {
				t.Fatalf("decoy of %s in %s changes between calls", id, lang)
			}
			for _, w := range strings.Fields(phrase) {
				if !words[w] {
					t.Fatalf("decoy %q in %s has %q, not a word of that language's list", phrase, lang, w)
				}
			}
		}
	}
	if got, want := svc.DecoyPhrase("selangor", "850101145123", "fr"), svc.DecoyPhrase("selangor", "850101145123", "ms"); got != want {
		t.Errorf("decoy in an unknown language = %q, want the Malay %q", got, want)
	}
}

func wordSet(t *testing.T, file string) map[string]bool {
	t.Helper()
	buf, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, w := range strings.Fields(string(buf)) {
		set[w] = true
	}
	if len(set) < 400 {
		t.Fatalf("%s has only %d words", file, len(set))
	}
	return set
}
