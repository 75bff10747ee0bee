package admin_test

import (
	"strconv"
	"testing"

	"github.com/speks-portal/speks/modules/foundation/web/webtest"
)

// The IT officer keeps the working calendar in Chromium: Selangor's 2026 holidays listed in
// Malay, a state holiday added with the form and confirmed, the page in English, axe-clean in
// both, and on a phone the holiday table scrolls in its own box.
func TestCalendarInBrowser(t *testing.T) {
	srv := consoleServer(t)
	db := srv.Env.DB(t, srv.Tenants["selangor"])
	token := signedInOfficer(t, db, "browser-session-calendar")
	base := "http://selangor.localhost:" + strconv.Itoa(srv.Port)

	tab := webtest.NewBrowser(t).NewTab(t)
	tab.Open(base + "/?lang=ms")
	webtest.Eval[string](tab, `document.cookie = "speks_session=`+token+`; path=/"`)
	if code := tab.Open(base + "/admin/calendar?year=2026"); code != 200 {
		t.Fatalf("calendar page: %d", code)
	}
	if got := tab.Text(`tr[data-holiday="2026-12-11"] td:nth-child(2)`); got != "Hari Keputeraan Sultan Selangor" {
		t.Errorf("Selangor's own holiday: %q", got)
	}
	if !webtest.Eval[bool](tab, `document.querySelector("#weekend-7").checked && !document.querySelector("#weekend-5").checked`) {
		t.Error("Selangor's weekend is not Saturday and Sunday")
	}
	tab.ExpectAccessible()
	tab.Fill(map[string]string{"#holiday-date": "2026-11-16", "#holiday-name-ms": "Cuti Peristiwa", "#holiday-name-en": "Special holiday"})
	tab.Click("#add-holiday-submit")
	if got := tab.Text("#done"); got != "Cuti telah ditambah." {
		t.Errorf("confirmation %q", got)
	}
	if got := tab.Text(`tr[data-holiday="2026-11-16"] td:first-child`); got != "16/11/2026" {
		t.Errorf("the added holiday's date: %q", got)
	}
	tab.Open(base + "/admin/calendar?year=2026&lang=en")
	if got := tab.Text("#holidays-heading"); got != "Public holidays 2026" {
		t.Errorf("English heading %q", got)
	}
	tab.ExpectAccessible()
	tab.ExpectNoConsoleErrors()

	phone := webtest.NewBrowser(t).NewTab(t)
	phone.Phone()
	phone.Open(base + "/")
	webtest.Eval[string](phone, `document.cookie = "speks_session=`+token+`; path=/"`)
	phone.Open(base + "/admin/calendar?year=2026")
	phone.ExpectTableInItsBox("#holidays")
	phone.ExpectAccessible()
	phone.ScreenshotIfAsked("admin-phone-calendar")
	phone.ExpectNoConsoleErrors()
}
