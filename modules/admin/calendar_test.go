package admin_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

const calendar2027 = "date,name_ms,name_en,scope\n" +
	"2027-01-01,Tahun Baru,New Year's Day,state\n" +
	"2027-08-31,Hari Kebangsaan,National Day,federal\n" +
	"2027-12-11,Hari Keputeraan Sultan Selangor,Birthday of the Sultan of Selangor,state\n"

// The yearly import through the API: a file with mistakes is refused whole with every mistake
// by line and changes nothing; a good one replaces the year's holidays, audited. Only the IT
// officer may.
func TestCalendarAPI(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-1", "it_officer")
	_, treasury := h.officer(t, "selangor", "tr-1", "treasury")
	csv := func(s string) apitest.Raw { return apitest.Raw{ContentType: "text/csv", Data: []byte(s)} }

	r := h.do(t, "selangor", "GET", "/api/v1/admin/calendar?year=2026", it, nil)
	apitest.Expect(t, r, http.StatusOK, "")
	if !strings.Contains(r.Raw, `"weekend_days":[6,7]`) || !strings.Contains(r.Raw, `"date":"2026-12-11"`) || !strings.Contains(r.Raw, `"scope":"federal"`) {
		t.Fatalf("Selangor's 2026 calendar: %s", r.Raw)
	}
	before := strings.Count(h.do(t, "selangor", "GET", "/api/v1/admin/calendar?year=2027", it, nil).Raw, `"date"`)

	bad := h.client(t, "selangor", it).Do("PUT", "/api/v1/admin/calendar/2027", csv(calendar2027+"2026-05-01,Hari Pekerja,Labour Day,federal\n2027-13-01,X,Y,state\n"))
	apitest.Expect(t, bad, http.StatusUnprocessableEntity, "invalid_calendar_file")
	for _, want := range []string{`{"line":5,"column":"date","code":"wrong_year"}`, `{"line":6,"column":"date","code":"invalid_date"}`} {
		if !strings.Contains(bad.Raw, want) {
			t.Errorf("refusal lacks %s: %s", want, bad.Raw)
		}
	}
	if n := strings.Count(h.do(t, "selangor", "GET", "/api/v1/admin/calendar?year=2027", it, nil).Raw, `"date"`); n != before {
		t.Errorf("a refused file changed the year: %d holidays, had %d", n, before)
	}

	ok := h.client(t, "selangor", it).Do("PUT", "/api/v1/admin/calendar/2027", csv(calendar2027))
	apitest.Expect(t, ok, http.StatusOK, "")
	if ok.Body["imported"] != 3.0 || ok.Body["replaced"] != float64(before) {
		t.Errorf("import: %s", ok.Raw)
	}
	r = h.do(t, "selangor", "GET", "/api/v1/admin/calendar?year=2027", it, nil)
	if n := strings.Count(r.Raw, `"date"`); n != 3 || !strings.Contains(r.Raw, "Birthday of the Sultan of Selangor") {
		t.Errorf("2027 after the import: %s", r.Raw)
	}
	if !strings.Contains(h.auditText(t, "selangor"), "calendar.import|calendar:2027") {
		t.Error("the import is not in the audit trail")
	}
	apitest.Expect(t, h.client(t, "selangor", treasury).Do("PUT", "/api/v1/admin/calendar/2027", csv(calendar2027)), http.StatusForbidden, "forbidden")
	apitest.Expect(t, h.do(t, "selangor", "GET", "/api/v1/admin/calendar", treasury, nil), http.StatusForbidden, "forbidden")
	noCSRF := h.client(t, "selangor", it)
	noCSRF.CSRF = ""
	apitest.Expect(t, noCSRF.Do("PUT", "/api/v1/admin/calendar/2027", csv(calendar2027)), http.StatusForbidden, "csrf_failed")
}

// The console page: add and remove a holiday, set the weekend, import a file; every change
// audited, a refused file listed by line in the page's language.
func TestCalendarPage(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-1", "it_officer")

	code, body, _ := h.page(t, "GET", "/admin/calendar?year=2026", it, nil)
	if code != http.StatusOK || !strings.Contains(body, "Kalendar hari bekerja") || !strings.Contains(body, `data-holiday="2026-12-11"`) ||
		!strings.Contains(body, `id="weekend-6" checked`) || strings.Contains(body, `id="weekend-5" checked`) {
		t.Fatalf("page: %d", code)
	}
	code, _, loc := h.page(t, "POST", "/admin/calendar/holidays", it, url.Values{"csrf_token": {"csrf"},
		"date": {"2026-11-16"}, "name_ms": {"Cuti Peristiwa"}, "name_en": {"Special holiday"}, "scope": {"state"}})
	if code != http.StatusSeeOther || loc != "/admin/calendar?year=2026&done=added" {
		t.Fatalf("add: %d %s", code, loc)
	}
	code, body, _ = h.page(t, "POST", "/admin/calendar/holidays", it, url.Values{"csrf_token": {"csrf"},
		"date": {"2026-11-16"}, "name_ms": {"Lagi"}, "name_en": {"Again"}, "scope": {"state"}})
	if code != http.StatusConflict || !strings.Contains(body, "Sudah ada cuti pada tarikh itu") {
		t.Errorf("the same date twice: %d", code)
	}
	code, body, _ = h.page(t, "GET", "/admin/calendar?year=2026&done=added&lang=en", it, nil)
	if !strings.Contains(body, `data-holiday="2026-11-16"`) || !strings.Contains(body, "The holiday has been added.") || !strings.Contains(body, "16/11/2026") {
		t.Errorf("the added holiday: %d", code)
	}
	code, _, loc = h.page(t, "POST", "/admin/calendar/holidays/2026-11-16/remove", it, url.Values{"csrf_token": {"csrf"}})
	if code != http.StatusSeeOther || loc != "/admin/calendar?year=2026&done=removed" {
		t.Errorf("remove: %d %s", code, loc)
	}
	code, _, loc = h.page(t, "POST", "/admin/calendar/weekend", it, url.Values{"csrf_token": {"csrf"}, "weekend": {"5", "6"}, "year": {"2026"}})
	if code != http.StatusSeeOther || loc != "/admin/calendar?year=2026&done=weekend" {
		t.Errorf("weekend: %d %s", code, loc)
	}
	if _, body, _ = h.page(t, "GET", "/admin/calendar", it, nil); !strings.Contains(body, `id="weekend-5" checked`) || strings.Contains(body, `id="weekend-7" checked`) {
		t.Error("the weekend did not change")
	}
	code, body, _ = h.page(t, "POST", "/admin/calendar/weekend", it, url.Values{"csrf_token": {"csrf"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Pilih satu hingga tiga hari") {
		t.Errorf("no weekend day: %d", code)
	}

	upload := func(file string) (int, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("csrf_token", "csrf")
		mw.WriteField("year", "2027")
		part, _ := mw.CreateFormFile("file", "cuti-2027.csv")
		part.Write([]byte(file))
		mw.Close()
		r := h.client(t, "selangor", it).Post("/admin/calendar/import?lang=en", apitest.Raw{ContentType: mw.FormDataContentType(), Data: buf.Bytes()})
		return r.Status, r.Raw
	}
	code, body = upload(calendar2027 + "2027-02-29,Tiada,None,state\n")
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `data-line="5"`) || !strings.Contains(body, "Line 5 (date): the date is not a valid YYYY-MM-DD date") {
		t.Errorf("refused upload: %d", code)
	}
	if code, _ = upload(calendar2027); code != http.StatusSeeOther {
		t.Errorf("upload: %d", code)
	}
	trail := h.auditText(t, "selangor")
	for _, want := range []string{"calendar.holiday_add|holiday:2026-11-16", "calendar.holiday_remove|holiday:2026-11-16", "calendar.weekend|calendar", "calendar.import|calendar:2027"} {
		if !strings.Contains(trail, want) {
			t.Errorf("audit trail lacks %s", want)
		}
	}
}
