package credentials_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/account/credentials"
)

func TestHashesAreArgon2idPHCWithTheirParameters(t *testing.T) {
	hash, err := credentials.HashPassword("kopi-o-kaw-tanpa-gula", credentials.DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry m=19 MiB, t=2, p=1 in PHC form", hash)
	}
	other, _ := credentials.HashPassword("kopi-o-kaw-tanpa-gula", credentials.DefaultArgon2)
	if other == hash {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for secret, want := range map[string]bool{"kopi-o-kaw-tanpa-gula": true, "kopi-o-kaw-tanpa-gulA": false, "": false} {
		if ok, err := credentials.VerifyPassword(secret, hash); err != nil || ok != want {
			t.Errorf("verify %q = %v, %v; want %v", secret, ok, err, want)
		}
	}
	// A hash made with lower parameters still verifies, and is due for an upgrade.
	weak := credentials.Argon2Params{MemoryKiB: 4096, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	old, _ := credentials.HashPassword("kopi-o-kaw-tanpa-gula", weak)
	if ok, err := credentials.VerifyPassword("kopi-o-kaw-tanpa-gula", old); !ok || err != nil {
		t.Fatalf("old-parameter hash does not verify: %v %v", ok, err)
	}
	if !credentials.NeedsRehash(old, credentials.DefaultArgon2) || credentials.NeedsRehash(hash, credentials.DefaultArgon2) {
		t.Fatal("NeedsRehash does not compare the stored parameters")
	}
	for _, bad := range []string{"", "$2a$10$abc", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5"} {
		if _, err := credentials.VerifyPassword("x", bad); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	cases := []struct {
		password string
		want     []string
	}{
		{"pendek123", []string{credentials.ReasonTooShort}},
		{strings.Repeat("a", 129), []string{credentials.ReasonTooLong}},
		{"sawit berbuah lebat di Kuantan", nil},                 // a passphrase: no composition rules
		{"ลมหนาวพัดผ่านทุ่งนาเขียว", nil},                       // any Unicode, counted in characters
		{"qwerty123456", []string{credentials.ReasonCommon}},    // on the shipped list as it is
		{"Password123456!", []string{credentials.ReasonCommon}}, // a common base padded with digits
		{"saya-850101-14-5123-ok", []string{credentials.ReasonContainsID}},
		{"aminahsayang2024", []string{credentials.ReasonContainsName}},
	}
	for _, tc := range cases {
		got := credentials.CheckPassword(tc.password, "850101145123", "Aminah binti Yusof")
		if !slices.Equal(got, tc.want) {
			t.Errorf("CheckPassword(%q) = %v, want %v", tc.password, got, tc.want)
		}
	}
	// "bin"/"binti" are not name parts a password must avoid.
	if got := credentials.CheckPassword("tukang kebun binti hebat", "850101145123", "Aminah binti Yusof"); got != nil {
		t.Errorf("name particle refused: %v", got)
	}
}

// Context-specific words (NIST SP 800-63B 5.1.1.2): the portal's names always, and the
// state's code and name where the caller passes them; in any case and across separators.
func TestContextSpecificWordsAreRefused(t *testing.T) {
	const id, name = "870505045050", "Siti Nurhaliza binti Osman"
	context := []string{"melaka", "Melaka"} // tenant.Tenant's Code and Name
	for _, weak := range []string{
		"melakamelaka12", "SpeksMelaka2026", "MELAKA di hatiku", "m-e-l-a-k-a-2026-oke",
		"iSPEKS kegemaran saya", "eSpeks-untuk-semua", "portal gaji saya 2026",
	} {
		got := credentials.CheckPassword(weak, id, name, context...)
		if !slices.Contains(got, credentials.ReasonContainsContext) {
			t.Errorf("CheckPassword(%q) = %v, want %s", weak, got, credentials.ReasonContainsContext)
		}
	}
	// A state's three-letter code counts; the state's words bind only where it is passed.
	if got := credentials.CheckPassword("kuih-koci-mlk-sedap", id, name, "mlk", "Melaka"); !slices.Equal(got, []string{credentials.ReasonContainsContext}) {
		t.Errorf("three-letter code: %v", got)
	}
	if got := credentials.CheckPassword("melakamelaka12", id, name); got != nil {
		t.Errorf("without the tenant's words: %v, want nil", got)
	}
	// The portal's names bind everywhere, the platform's administrators included.
	if got := credentials.CheckPassword("SpeksMelaka2026", "admin@anm.gov.my", "Pentadbir Platform"); !slices.Equal(got, []string{credentials.ReasonContainsContext}) {
		t.Errorf("no context: %v, want %s", got, credentials.ReasonContainsContext)
	}
	// A strong password unrelated to the person, the state and the portal passes.
	if got := credentials.CheckPassword("nasi lemak sambal sotong pedas", id, name, context...); got != nil {
		t.Errorf("strong unrelated password refused: %v", got)
	}
}
