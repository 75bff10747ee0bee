package admin_test

import (
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/admin"
	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/foundation/notify/notifytest"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/webtest"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// In Chromium: the IT officer opens the API keys page from the console, creates a key and
// sees it once; the payroll system's feed is accepted with it; the officer revokes it, which
// takes a ticked confirmation, and the same feed then answers 401. Then the officer completes
// a cancellation and the person receives the e-mail saying their account is closed.
func TestAPIKeysAndCancellationInBrowser(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := account.NewService("browser-session-secret-0123456789", "browser-decoy-secret-0123456789", log)
	svc.Argon = testArgon
	mod := admin.NewModule(svc, nil)
	srv := webtest.Start(t, webtest.Options{
		Tenants: []tenant.Spec{{Code: "selangor", Name: "Selangor", Hosts: []string{"p.ispeks.selangor.gov.my"},
			RegistrationMode: tenant.PayrollMatch}},
		// The policies are proven by cmd/speks's route matrix; here the pages are under test.
		Modules: []web.Module{account.NewModule(svc), mod, feedKeyCheck{}, feed.NewModule(1 << 20)},
		Provision: func(ctx context.Context, env *tenanttest.Env, tn *tenant.Tenant) error {
			mod.Registry = env.Registry
			return nil
		},
	})
	mails := notifytest.StartPipeline(t, srv.Env)
	db := srv.Env.DB(t, srv.Tenants["selangor"])
	var officerID, leaver int64
	if err := db.Get(&officerID, `INSERT INTO users (category, login_id, name, email, status, roles)
		VALUES ('officer', 'it-1', 'Rohani binti Sulaiman', 'it@selangor.gov.my', 'active', '{it_officer}') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&leaver, `INSERT INTO users (category, login_id, name, email, status)
		VALUES ('staff', $1, 'Aminah binti Yusof', 'aminah@selangor.gov.my', 'active') RETURNING id`, icA); err != nil {
		t.Fatal(err)
	}
	db.MustExec(`INSERT INTO cancellation_requests (user_id, reason, requested_at, due_on)
		VALUES ($1, 'Bersara', now(), current_date + 3)`, leaver)
	token := "browser-session-apikeys"
	sum := sha256.Sum256([]byte(token))
	db.MustExec(`INSERT INTO sessions (id_hash, user_id, csrf_token, purpose, created_at, last_seen_at)
		VALUES ($1, $2, 'csrf-browser', '', now(), now())`, sum[:], officerID)

	base := srv.TenantURL("selangor", "")
	tab := webtest.NewBrowser(t).NewTab(t)
	tab.Open(base + "/?lang=ms")
	webtest.Eval[string](tab, `document.cookie = "speks_session=`+token+`; path=/"`)
	tab.Open(base + "/admin")
	tab.Click("#apikeys-link")
	if tab.Text("#apikeys-heading") != "Kunci API suapan" || tab.Text("#keys-empty") != "Tiada kunci API." {
		t.Fatalf("API keys page: %s", tab.Text("main"))
	}
	tab.Fill(map[string]string{"#key-name": "Modul PY"})
	if status := tab.Click("#create-key-submit"); status != http.StatusCreated {
		t.Fatalf("create key: %d", status)
	}
	key := tab.Text("#new-key")
	tab.ScreenshotIfAsked("admin-apikeys-created")
	if !strings.HasPrefix(key, "speks_") || !strings.Contains(tab.Text("#new-key-notice"), "tidak akan dipaparkan lagi") {
		t.Fatalf("the new key is not shown: %s", tab.Text("main"))
	}
	if got := feedStatus(t, srv, key); got == http.StatusUnauthorized {
		t.Fatalf("the new key is refused by the feed: %d", got)
	}
	tab.Open(base + "/admin/apikeys")
	if strings.Contains(tab.Text("main"), key) {
		t.Fatal("the key is shown again")
	}
	prefix := tab.Attr("#key-list tbody tr", "data-key")
	if webtest.Eval[bool](tab, `document.querySelector("#revoke-`+prefix+`").form.checkValidity()`) {
		t.Fatal("the key can be revoked without ticking the confirmation")
	}
	webtest.Eval[bool](tab, `document.querySelector("#revoke-confirm-`+prefix+`").checked = true`)
	tab.Click("#revoke-" + prefix)
	if !strings.Contains(tab.Text("#done"), "Kunci telah dibatalkan") || !strings.Contains(tab.Text("#key-list"), "Dibatalkan") {
		t.Fatalf("after revoking: %s", tab.Text("main"))
	}
	tab.ScreenshotIfAsked("admin-apikeys-revoked")
	if got := feedStatus(t, srv, key); got != http.StatusUnauthorized {
		t.Fatalf("the revoked key's feed = %d, want 401", got)
	}

	tab.Open(base + "/admin?lang=en")
	tab.Click("#cancellation-list button")
	if tab.Count("#cancellation-list") != 0 {
		t.Fatalf("the cancellation is still open: %s", tab.Text("main"))
	}
	mail := mails.WaitFor(t, "aminah@selangor.gov.my", "Akaun anda kini")
	if !strings.Contains(mail, "Salam sejahtera Aminah binti Yusof") {
		t.Fatalf("the cancellation mail:\n%s", mail)
	}
	tab.ExpectNoConsoleErrors()
}

// feedKeyCheck runs feed.CheckKey before the feed route, as the authorisation middleware's
// credential does in serve: the feed handler itself trusts that one check.
type feedKeyCheck struct{}

func (feedKeyCheck) Mount(app *fiber.App) {
	app.Use(func(c *fiber.Ctx) error {
		if _, err := feed.CheckKey(c); err != nil {
			return err
		}
		return c.Next()
	})
}

// feedStatus sends a small employees feed with key, as the payroll system would, over real HTTP.
func feedStatus(t *testing.T, srv *webtest.Server, key string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+strconv.Itoa(srv.Port)+"/api/v1/feeds/employees",
		strings.NewReader("ic_no,name\n"))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "selangor.localhost:" + strconv.Itoa(srv.Port)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
