package notify_test

import (
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/tenant"
)

// sampleData has valid values for every template, as a caller would pass them.
var sampleData = map[string]map[string]any{
	notify.TemplateOneTimeCode: {"name": "Siti <Aminah>", "code": "RB7K-2QXM-9P", "purpose": notify.PurposePasswordReset,
		"expires_minutes": 30, "link": "https://p.ispeks.selangor.gov.my/login"},
	notify.TemplateVerifyEmail:     {"name": "Siti <Aminah>", "link": "https://espeks.pahang.gov.my/verify?token=t1", "expires_hours": 24},
	notify.TemplatePasswordChanged: {"name": "Siti <Aminah>", "changed_at": "2026-03-02 14:05"},
	notify.TemplateEmailChange:     {"name": "Siti <Aminah>", "link": "https://espeks.pahang.gov.my/confirm?token=t2", "expires_hours": 24},
	notify.TemplatePayslipReady:    {"name": "Siti <Aminah>", "year": 2026, "month": 10, "link": "https://espeks.pahang.gov.my/payslips/2026/10"},
	notify.TemplateStatementReady:  {"name": "Siti <Aminah>", "year": 2025, "link": "https://espeks.pahang.gov.my/statements/2025"},
	notify.TemplateRequestPending: {"name": "Siti <Aminah>", "kind": "new_user", "person": "Kamal bin Yusof",
		"step": notify.StepHead, "link": "https://p.ispeks.melaka.gov.my/admin/requests"},
	notify.TemplateRequestDecided: {"name": "Siti <Aminah>", "kind": "deactivate", "person": "Kamal bin Yusof",
		"outcome": notify.OutcomeRejected, "reason": "Masih berkhidmat", "link": "https://p.ispeks.melaka.gov.my/admin/requests"},
	notify.TemplateAccountCancelled: {"name": "Siti <Aminah>"},
}

var sampleTenant = &tenant.Tenant{Code: "selangor", Name: "Selangor", HelpdeskEmail: "meja.bantuan@selangor.gov.my",
	HelpdeskPhone: "03-5544 7000", Branding: tenant.Branding{PrimaryColour: "#7a1f1f"}}

func TestEveryTemplateRendersInBothLanguagesWithTheTenantsFooter(t *testing.T) {
	if len(sampleData) != len(notify.Templates()) {
		t.Fatalf("the test covers %d templates, the catalogue has %d", len(sampleData), len(notify.Templates()))
	}
	for _, name := range notify.Templates() {
		for _, lang := range []string{"ms", "en"} {
			t.Run(name+"/"+lang, func(t *testing.T) {
				r, err := notify.Render(name, lang, sampleTenant, sampleData[name])
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				if !strings.Contains(r.Subject, "Selangor") || strings.ContainsAny(r.Subject, "\r\n") {
					t.Errorf("subject %q: want the tenant's name on one line", r.Subject)
				}
				for _, part := range []string{r.Text, r.HTML} {
					for _, want := range []string{"Selangor", "meja.bantuan@selangor.gov.my", "03-5544 7000"} {
						if !strings.Contains(part, want) {
							t.Errorf("missing %q in:\n%s", want, part)
						}
					}
				}
				if !strings.Contains(r.Text, "Siti <Aminah>") || !strings.Contains(r.HTML, "Siti &lt;Aminah&gt;") {
					t.Errorf("the name must be verbatim in text and escaped in HTML")
				}
				if link, ok := sampleData[name]["link"].(string); ok && !strings.Contains(r.Text, link) {
					t.Errorf("the text lacks the link %s", link)
				}
				if !strings.Contains(r.HTML, "#7a1f1f") {
					t.Errorf("the HTML header ignores the tenant's colour")
				}
			})
		}
	}
}

func TestTemplatesSpeakTheRequestedLanguage(t *testing.T) {
	for lang, want := range map[string][]string{
		"ms": {"Penyata gaji Oktober 2026", "Salam sejahtera", "Meja bantuan"},
		"en": {"payslip for October 2026", "Dear", "Helpdesk"},
	} {
		r, err := notify.Render(notify.TemplatePayslipReady, lang, sampleTenant, sampleData[notify.TemplatePayslipReady])
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(r.Subject+r.Text, w) {
				t.Errorf("%s: %q missing from\n%s\n%s", lang, w, r.Subject, r.Text)
			}
		}
	}
}

func TestTheFooterFallsBackWhenTheTenantHasNoHelpdesk(t *testing.T) {
	bare := &tenant.Tenant{Code: "melaka", Name: "Melaka", Branding: tenant.Branding{PrimaryColour: "red;background:url(x)"}}
	r, err := notify.Render(notify.TemplatePasswordChanged, "ms", bare, sampleData[notify.TemplatePasswordChanged])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "hubungi meja bantuan Portal SPEKS Melaka") || strings.Contains(r.Text, "Meja bantuan: ") {
		t.Fatalf("footer without a helpdesk:\n%s", r.Text)
	}
	if strings.Contains(r.HTML, "url(x)") {
		t.Fatalf("a malformed branding colour reached the HTML")
	}
}

func TestRenderRefusesMissingValues(t *testing.T) {
	if _, err := notify.Render(notify.TemplateVerifyEmail, "ms", sampleTenant, map[string]any{"name": "A"}); err == nil {
		t.Fatal("a template with a missing value rendered")
	}
	if _, err := notify.Render("welcome", "ms", sampleTenant, nil); err == nil {
		t.Fatal("an unknown template rendered")
	}
}

// Each step of a user-administration request reads as what happened, in both languages.
func TestRequestMailsSayWhatHappened(t *testing.T) {
	cases := []struct {
		template, field, value, lang string
		want                         []string
	}{
		{notify.TemplateRequestPending, "step", notify.StepHead, "ms", []string{"menunggu kelulusan anda", "Ketua Jabatan", "pendaftaran pengguna baharu bagi Kamal bin Yusof"}},
		{notify.TemplateRequestPending, "step", notify.StepTreasury, "en", []string{"awaits your approval", "the State Treasury"}},
		{notify.TemplateRequestDecided, "outcome", notify.OutcomeHeadApproved, "ms", []string{"diluluskan oleh Ketua Jabatan", "menunggu kelulusan Perbendaharaan Negeri"}},
		{notify.TemplateRequestDecided, "outcome", notify.OutcomeRejected, "ms", []string{"ditolak", "Sebab: Masih berkhidmat", "penyahaktifan akaun"}},
		{notify.TemplateRequestDecided, "outcome", notify.OutcomeCompleted, "en", []string{"carried out", "one-time code"}},
		{notify.TemplateRequestDecided, "outcome", notify.OutcomeFailed, "en", []string{"could not be carried out"}},
		{notify.TemplateAccountCancelled, "", "", "ms", []string{"Akaun anda telah dibatalkan", "tidak aktif"}},
	}
	for _, tc := range cases {
		data := map[string]any{}
		for k, v := range sampleData[tc.template] {
			data[k] = v
		}
		if tc.field != "" {
			data[tc.field] = tc.value
		}
		r, err := notify.Render(tc.template, tc.lang, sampleTenant, data)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.template, tc.value, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.Subject+"\n"+r.Text, w) {
				t.Errorf("%s %s/%s: %q missing from\n%s\n%s", tc.template, tc.value, tc.lang, w, r.Subject, r.Text)
			}
		}
	}
}
