package account_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/account"
)

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
