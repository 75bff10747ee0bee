package myt_test

import (
	"bytes"
	"html/template"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/foundation/web/myt"
)

// 19:53 UTC on 4 December is 03:53 on 5 December in Malaysia: the day changes too.
var lateEvening = time.Date(2026, 12, 4, 19, 53, 0, 0, time.UTC)

func TestDateAndTimeAreMalaysianAndDayFirst(t *testing.T) {
	if got := myt.Date(lateEvening); got != "05/12/2026" {
		t.Errorf("Date = %q", got)
	}
	if got := myt.DateTime(lateEvening); got != "05/12/2026 03:53" {
		t.Errorf("DateTime = %q", got)
	}
	if got := myt.DateTime(time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC)); got != "02/01/2026 23:04" {
		t.Errorf("24-hour clock: %q", got)
	}
	if myt.Date(time.Time{}) != "" || myt.DateTime(time.Time{}) != "" {
		t.Error("the zero time must show nothing")
	}
}

func TestTodayAndParseDayAreMalaysianDays(t *testing.T) {
	today := myt.Today(lateEvening)
	if want := time.Date(2026, 12, 5, 0, 0, 0, 0, myt.Zone); !today.Equal(want) {
		t.Errorf("Today = %v, want %v", today, want)
	}
	d, err := myt.ParseDay("2026-12-05")
	if err != nil || !d.Equal(today) {
		t.Errorf("ParseDay = %v, %v", d, err)
	}
	if _, err := myt.ParseDay("05/12/2026"); err == nil {
		t.Error("ParseDay reads the ISO form only")
	}
}

func TestTemplateFunctionsTakeWhatPagesHold(t *testing.T) {
	var none *time.Time
	for _, c := range []struct {
		tmpl string
		data any
		want string
	}{
		{`{{date .}}`, lateEvening, "05/12/2026"},
		{`{{datetime .}}`, &lateEvening, "05/12/2026 03:53"},
		{`{{datetime .}}`, none, ""},
		{`{{date .}}`, "2025-12-16", "16/12/2025"}, // a calendar day stays that day
		{`{{datetime .}}`, "2026-12-04T19:53:00Z", "05/12/2026 03:53"},
		{`{{date .}}`, "not a date", "not a date"},
		{`{{date .}}`, nil, ""},
	} {
		tmpl := template.Must(template.New("t").Funcs(myt.Funcs()).Parse(c.tmpl))
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, c.data); err != nil {
			t.Fatalf("%s with %v: %v", c.tmpl, c.data, err)
		}
		if buf.String() != c.want {
			t.Errorf("%s with %#v = %q, want %q", c.tmpl, c.data, buf.String(), c.want)
		}
	}
}
