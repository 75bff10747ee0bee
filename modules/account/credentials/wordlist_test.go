package credentials

import (
	"strings"
	"testing"
)

func TestWordListFindsEveryWordOfItsListAndNothingElse(t *testing.T) {
	list := newWordList("zeta\n alpha\nmid\n\nalpha\nbeta  \n")
	for _, w := range []string{"alpha", "beta", "mid", "zeta"} {
		if !list.has(w) {
			t.Errorf("%q is in the list but has() says no", w)
		}
	}
	for _, w := range []string{"", "alph", "alphaa", "b", "zz", "mi", "beta  "} {
		if list.has(w) {
			t.Errorf("%q is not in the list but has() says yes", w)
		}
	}
	for _, line := range strings.Split(commonPasswordList, "\n") {
		if w := strings.TrimSpace(line); w != "" && !commonPasswords.has(w) {
			t.Fatalf("common password %q is not found", w)
		}
	}
}
