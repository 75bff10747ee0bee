package identity_test

import (
	"slices"
	"testing"

	"github.com/speks-portal/speks/modules/account/identity"
)

func TestLoginIDsAreNormalised(t *testing.T) {
	for raw, want := range map[string][]string{
		"850101-14-5123":           {"850101145123"},
		" 850101 14 5123 ":         {"850101145123"},
		"201901000005 (1312525-A)": {"201901000005", "1312525A"},
		"1312525-a":                {"1312525A"},
		"201901000005":             {"201901000005"},
	} {
		k := identity.ParseLoginID(raw)
		if !k.Valid() || !slices.Equal(k.Keys, want) {
			t.Errorf("ParseLoginID(%q) = %+v, want keys %v", raw, k, want)
		}
	}
	if k := identity.ParseLoginID("not an id"); k.Valid() || k.Primary == "" {
		t.Errorf("junk ID = %+v, want invalid with a key of its own", k)
	}
}
