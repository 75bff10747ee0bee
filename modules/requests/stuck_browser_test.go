package requests_test

import (
	"context"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/foundation/web/webtest"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// failureOfSiti is what the carry-out records when the payroll master's e-mail of the new
// officer is unusable (TestFailedCarryOutIsRetriedByTheITOfficer produces it for real).
const failureOfSiti = "create the account of ********5048: invalid input: email"

// failedLabelMalay is how the list names the failed status in Malay.
const failedLabelMalay = "Gagal dilaksanakan"

// seedStuck is Melaka with its IT officer and 23 requests whose carrying-out failed: one for
// Siti (her payroll e-mail since corrected) and 22 others, so the list has two pages.
func seedStuck(ctx context.Context, env *tenanttest.Env, tn *tenant.Tenant) error {
	if err := seedMelaka(ctx, env, tn); err != nil {
		return err
	}
	db, err := env.Databases.Schema(tn.Schema)
	if err != nil {
		return err
	}
	hash, err := credentials.HashPassword(officerPass, credentials.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		return err
	}
	if err := insertPerson(ctx, db, aziz, hash); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `INSERT INTO admin_requests (kind, status, subject_ic, subject_name, department_code, ptj_code,
			reason, requested_by, requested_at, head_by, head_at, treasury_by, treasury_at, completed_at, failure)
		SELECT 'new_user', 'failed', CASE WHEN n = 23 THEN $1 ELSE '9101010450' || lpad(n::text, 2, '0') END,
			CASE WHEN n = 23 THEN 'Siti Aishah binti Kamal' ELSE 'Pegawai Baharu ' || n END, 'D01', 'P0101',
			'Lantikan baharu', r.id, now() - interval '2 days', h.id, now() - interval '1 day', f.id, now() - interval '1 hour',
			now() - interval '1 hour', CASE WHEN n = 23 THEN $2 ELSE 'create the account of ********45' || lpad(n::text, 2, '0') || ': invalid input: email' END
		FROM generate_series(1, 23) n, users r, users h, users f
		WHERE r.login_id = $3 AND h.login_id = $4 AND f.login_id = $5`, siti.IC, failureOfSiti, rosnah.IC, hashim.IC, farah.IC)
	return err
}

// The IT officer's screen of requests not carried out, in a browser: two pages of failed
// requests with their reasons, a retry that needs its confirmation ticked, and the retried
// request carried out and gone from the list; bilingual, axe-clean, at phone width too.
func TestBrowserITOfficerRetriesStuckRequests(t *testing.T) {
	srv := melakaServer(t, seedStuck)
	tab := webtest.NewBrowser(t).NewTab(t)
	officerLogin(t, srv, tab, aziz.IC)

	tab.Open(srv.TenantURL("melaka", "/admin/requests/stuck?lang=ms"))
	if got := tab.Text("h1"); got != "Permohonan yang belum dilaksanakan" {
		t.Fatalf("heading %q: %s", got, tab.Text("main"))
	}
	if tab.Count("#stuck-list tbody tr") != 20 || tab.Text("#page-range") != "1–20 daripada 23" || tab.Count("#page-previous") != 0 {
		t.Fatalf("first page: %d rows, %q", tab.Count("#stuck-list tbody tr"), tab.Text("#page-range"))
	}
	tab.ExpectAccessible()
	tab.ScreenshotIfAsked("requests-stuck-ms")
	tab.Click("#page-next")
	if tab.Count("#stuck-list tbody tr") != 3 || tab.Text("#page-range") != "21–23 daripada 23" || tab.Count("#page-next") != 0 {
		t.Fatalf("second page: %d rows, %q", tab.Count("#stuck-list tbody tr"), tab.Text("#page-range"))
	}
	tab.Click("#page-previous")
	id := strings.TrimPrefix(tab.Attr("#stuck-list tbody tr", "id"), "request-") // newest first: Siti's
	if row := tab.Text("#request-" + id); !strings.Contains(row, "Siti Aishah binti Kamal") || !strings.Contains(row, failureOfSiti) ||
		!strings.Contains(row, failedLabelMalay) || !strings.Contains(row, "Laksanakan semula") {
		t.Fatalf("Siti's row: %q", row)
	}

	// English, at phone width: the table scrolls in its own box, the retry needs its box ticked.
	tab.Phone()
	tab.Open(srv.TenantURL("melaka", "/admin/requests/stuck?lang=en"))
	if tab.Text("h1") != "Requests not carried out" || tab.Text("#page-range") != "1–20 of 23" {
		t.Fatalf("in English: %q, %q", tab.Text("h1"), tab.Text("#page-range"))
	}
	tab.ExpectTableInItsBox("#stuck-list")
	tab.ExpectAccessible()
	if webtest.Eval[bool](tab, `document.querySelector("#retry-`+id+`").form.checkValidity()`) {
		t.Fatal("the retry can be sent without ticking the confirmation")
	}
	tab.Toggle("#retry-confirm-" + id)
	tab.ScreenshotIfAsked("requests-stuck-en-phone")
	tab.Click("#retry-" + id)
	if got := tab.Text("#done"); got != "The request has been carried out." {
		t.Fatalf("after the retry: %q %s", got, tab.Text("main"))
	}
	if tab.Count("#request-"+id) != 0 || tab.Text("#page-range") != "1–20 of 22" {
		t.Fatalf("the retried request is still listed: %q", tab.Text("#page-range"))
	}
	tab.ExpectAccessible()
	tab.ScreenshotIfAsked("requests-stuck-retried")
	tab.ExpectNoConsoleErrors()

	var status string
	db := srv.Env.DB(t, srv.Tenants["melaka"])
	if err := db.Get(&status, `SELECT u.status FROM users u WHERE u.login_id = $1`, siti.IC); err != nil || status != "active" {
		t.Fatalf("Siti's account after the retry: %q, %v", status, err)
	}
}
