package account_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/account/lockout"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
)

// addMelaka provisions Melaka (admin_only) beside the harness's two states.
func (h *harness) addMelaka(t *testing.T) {
	t.Helper()
	tn, err := h.env.Provisioner.Create(context.Background(), tenant.Spec{Code: "melaka", Name: "Melaka",
		Hosts: []string{"melaka.example.test"}, RegistrationMode: tenant.AdminOnly}, "test")
	if err != nil {
		t.Fatalf("provision melaka: %v", err)
	}
	h.tenants[tn.Code] = tn
	h.env.Resolver.Invalidate()
}

// reasonsOf is the reasons list of a weak_password answer.
func reasonsOf(t *testing.T, r apitest.Response) []string {
	t.Helper()
	var body struct {
		Error struct {
			Code    string   `json:"code"`
			Reasons []string `json:"reasons"`
		} `json:"error"`
	}
	r.JSON(t, &body)
	if body.Error.Code != "weak_password" {
		t.Fatalf("want weak_password, got %d %s", r.Status, r.Raw)
	}
	return body.Error.Reasons
}

// A Melaka officer's new password may not contain the state's code or name, nor the
// platform's and portals' names (NIST SP 800-63B 5.1.1.2), whichever page it is chosen on;
// the form says why in the page's language and names the words.
func TestContextSpecificPasswordsAreRefusedInBothLanguages(t *testing.T) {
	h := newHarness(t)
	h.addMelaka(t)
	h.svc.Limits.RecoveryPerAccount = lockout.Limit{Max: 100, Window: time.Hour} // many tries, one account
	const ic = "870505045050"
	h.addUser(t, "melaka", "staff", ic, "Siti Nurhaliza binti Osman", "siti@melaka.gov.my", aminahPass, "perahu di sungai")
	c := h.client(t, "melaka")
	apitest.Expect(t, c.login(ic, aminahPass), http.StatusOK, "")

	// The JSON API (profile change and reset share it): the reason code.
	for _, weak := range []string{"melakamelaka12", "SpeksMelaka2026", "kuih-koci-MLK-portal", "ispeks-is-my-password"} {
		r := c.Post("/api/v1/account/password", map[string]string{"current_password": aminahPass, "new_password": weak})
		apitest.Expect(t, r, http.StatusUnprocessableEntity, "weak_password")
		if reasons := reasonsOf(t, r); !slices.Contains(reasons, credentials.ReasonContainsContext) {
			t.Errorf("%q refused for %v, want %s among them", weak, reasons, credentials.ReasonContainsContext)
		}
	}

	// The change-password page, in Malay and in English.
	for lang, want := range map[string]string{
		"ms": "Kata laluan tidak boleh mengandungi nama portal atau nama negeri (SPEKS, eSPEKS, iSPEKS, portal, Melaka).",
		"en": "The password must not contain the name of the portal or of the state (SPEKS, eSPEKS, iSPEKS, portal, Melaka).",
	} {
		r := c.Post("/account/password?lang="+lang, url.Values{"current_password": {aminahPass},
			"new_password": {"SpeksMelaka2026"}, "confirm_password": {"SpeksMelaka2026"}, "csrf_token": {c.CSRF}},
			apitest.WithHeader("Accept", "text/html"))
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, want) {
			t.Errorf("%s page: %d, want the reason %q in:\n%.3000s", lang, r.Status, want, r.Raw)
		}
	}

	// A strong password unrelated to the person, the state and the portal is accepted.
	apitest.Expect(t, c.Post("/api/v1/account/password", map[string]string{"current_password": aminahPass, "new_password": newPass}),
		http.StatusNoContent, "")
}

// The first login (and every activation: self-registration, accounts an officer or a request
// created) refuses the state's name too: Selangor here.
func TestActivationRefusesTheStatesName(t *testing.T) {
	h := newHarness(t)
	h.addEmployee(t, "selangor", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my")
	c := h.client(t, "selangor")
	apitest.Expect(t, c.Post("/api/v1/auth/first-login", map[string]string{"id": aminahIC, "email": "aminah@selangor.gov.my"}),
		http.StatusAccepted, "")
	r := c.login(aminahIC, h.lastCode(t, "selangor", "aminah@selangor.gov.my"))
	if r.Status != http.StatusOK || r.Body["next"] != "complete_activation" {
		t.Fatalf("login with the code: %s", r.Raw)
	}
	weak := c.Post("/api/v1/auth/activate", activation("Selangor-Darul-Ehsan-2026"))
	if reasons := reasonsOf(t, weak); !slices.Equal(reasons, []string{credentials.ReasonContainsContext}) {
		t.Errorf("reasons %v, want only %s", reasons, credentials.ReasonContainsContext)
	}
	apitest.Expect(t, c.Post("/api/v1/auth/activate", activation(newPass)), http.StatusNoContent, "")
}
