package calendar_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/calendar"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

func day(s string) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, s, myt.Zone)
	if err != nil {
		panic(err)
	}
	return d
}

func TestAddWorkingDaysFollowsTheWeekendAndHolidays(t *testing.T) {
	kelantan := calendar.New([]int{5, 6})
	selangor := calendar.New([]int{6, 7})
	friday := day("2026-11-13").Add(15 * time.Hour)
	for _, tc := range []struct {
		name string
		cal  *calendar.Calendar
		from time.Time
		n    int
		want string
	}{
		{"Kelantan: Friday + 3 = Sun, Mon, Tue", kelantan, friday, 3, "2026-11-17"},
		{"Selangor: Friday + 3 = Mon, Tue, Wed", selangor, friday, 3, "2026-11-18"},
		{"Kelantan: Thursday + 1 skips Friday and Saturday", kelantan, day("2026-11-12"), 1, "2026-11-15"},
		{"Selangor: Saturday + 1 is Monday", selangor, day("2026-11-14"), 1, "2026-11-16"},
		{"a state holiday in the window moves it one day on", calendar.New([]int{5, 6}, day("2026-11-16")), friday, 3, "2026-11-18"},
		{"two holidays in a row", calendar.New([]int{6, 7}, day("2026-11-16"), day("2026-11-17")), friday, 3, "2026-11-20"},
		{"a holiday on the weekend changes nothing", calendar.New([]int{6, 7}, day("2026-11-15")), friday, 3, "2026-11-18"},
		{"zero days is the same day", selangor, friday, 0, "2026-11-13"},
	} {
		if got := tc.cal.AddWorkingDays(tc.from, tc.n).Format(time.DateOnly); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
	if got := kelantan.Weekend(); len(got) != 2 || got[0] != 5 || got[1] != 6 {
		t.Errorf("Kelantan's weekend = %v", got)
	}
	if got := calendar.New([]int{7, 6}).Weekend(); len(got) != 2 || got[0] != 6 || got[1] != 7 {
		t.Errorf("Sunday is ISO 7: %v", got)
	}
}

func TestParseYearReportsEveryProblemByLine(t *testing.T) {
	file := "\ufeffdate,name_ms,name_en,scope\n" +
		"2027-12-11,Hari Keputeraan Sultan Selangor,Birthday of the Sultan of Selangor,state\n" +
		"2027-02-30,Tarikh salah,Wrong date,federal\n" +
		"2026-05-01,Hari Pekerja,Labour Day,federal\n" +
		"2027-05-01,,Labour Day,federal\n" +
		"2027-05-20,Hari Wesak,Wesak Day,national\n" +
		"2027-12-11,Dua kali,Twice,state\n" +
		"2027-08-31,Hari Kebangsaan\n"
	got, errs := calendar.ParseYear(strings.NewReader(file), 2027)
	want := []calendar.LineError{
		{Line: 3, Column: "date", Code: "invalid_date"},
		{Line: 4, Column: "date", Code: "wrong_year"},
		{Line: 5, Column: "name_ms", Code: "invalid_name"},
		{Line: 6, Column: "scope", Code: "invalid_scope"},
		{Line: 7, Column: "date", Code: "duplicate_date"},
		{Line: 8, Code: "wrong_column_count"},
	}
	if len(errs) != len(want) {
		t.Fatalf("errors = %+v", errs)
	}
	for i := range want {
		if errs[i] != want[i] {
			t.Errorf("error %d = %+v, want %+v", i, errs[i], want[i])
		}
	}
	if len(got) != 1 || got[0].Date != "2027-12-11" || got[0].Scope != "state" {
		t.Errorf("holidays = %+v", got)
	}
	if _, errs := calendar.ParseYear(strings.NewReader("tarikh,nama\n2027-01-01,x\n"), 2027); len(errs) != 1 || errs[0].Code != "missing_header" || errs[0].Line != 1 {
		t.Errorf("bad header: %+v", errs)
	}
	if _, errs := calendar.ParseYear(strings.NewReader(""), 2027); len(errs) != 1 || errs[0].Code != "missing_header" {
		t.Errorf("empty file: %+v", errs)
	}
}

// TestTenantCalendar reads and writes the real tables: the migration's defaults by state, the
// writers, and an import that replaces one year and only that year.
func TestTenantCalendar(t *testing.T) {
	env := tenanttest.New(t, 2)
	ctx := context.Background()
	load := func(db sqlx.QueryerContext) *calendar.Calendar {
		t.Helper()
		c, err := calendar.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	kelantan := env.DB(t, env.Tenant(t, "kelantan", tenant.PayrollMatch))
	other := env.DB(t, env.Tenant(t, "sabah", tenant.PayrollMatch))
	if w := load(kelantan).Weekend(); len(w) != 2 || w[0] != 5 {
		t.Errorf("Kelantan's default weekend: %v", w)
	}
	if w := load(other).Weekend(); len(w) != 2 || w[0] != 6 || w[1] != 7 {
		t.Errorf("a new state's default weekend: %v", w)
	}
	hol, err := calendar.Holidays(ctx, kelantan, 2026)
	if err != nil {
		t.Fatal(err)
	}
	var federal, state int
	for _, h := range hol {
		if h.Scope == calendar.ScopeFederal {
			federal++
		} else {
			state++
		}
	}
	if federal < 10 || state < 3 {
		t.Errorf("Kelantan 2026 defaults: %d federal, %d state", federal, state)
	}
	if hol, _ := calendar.Holidays(ctx, other, 2026); len(hol) != federal {
		t.Errorf("a new state gets the federal set only: %d", len(hol))
	}

	err = tenant.InTx(ctx, kelantan, func(tx *sqlx.Tx) error {
		if err := calendar.SetWeekendIn(ctx, tx, []int{6, 7}, "test"); err != nil {
			return err
		}
		return calendar.AddHolidayIn(ctx, tx, calendar.Holiday{Date: "2026-11-16", NameMS: "Cuti Peristiwa", NameEN: "Special holiday"}, "test")
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := load(kelantan).AddWorkingDays(day("2026-11-13"), 3).Format(time.DateOnly); got != "2026-11-19" {
		t.Errorf("after the changes: %s", got)
	}
	err = tenant.InTx(ctx, kelantan, func(tx *sqlx.Tx) error {
		return calendar.AddHolidayIn(ctx, tx, calendar.Holiday{Date: "2026-11-16", NameMS: "Lagi", NameEN: "Again"}, "test")
	})
	if e, ok := fault.As(err); !ok || e.Code != "holiday_exists" {
		t.Errorf("the same date twice: %v", err)
	}
	if err := tenant.InTx(ctx, kelantan, func(tx *sqlx.Tx) error { return calendar.SetWeekendIn(ctx, tx, []int{}, "test") }); err == nil {
		t.Error("an empty weekend was accepted")
	}

	holidays, errs := calendar.ParseYear(strings.NewReader("date,name_ms,name_en,scope\n2027-01-01,Tahun Baru,New Year's Day,state\n"), 2027)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	err = tenant.InTx(ctx, kelantan, func(tx *sqlx.Tx) error {
		_, err := calendar.ReplaceYearIn(ctx, tx, 2027, holidays, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := calendar.Holidays(ctx, kelantan, 2027); len(h) != 1 || h[0].NameEN != "New Year's Day" {
		t.Errorf("2027 after the import: %+v", h)
	}
	if h, _ := calendar.Holidays(ctx, kelantan, 2026); len(h) != len(hol)+1 {
		t.Errorf("the import touched 2026: %d holidays, want %d", len(h), len(hol)+1)
	}
	err = tenant.InTx(ctx, kelantan, func(tx *sqlx.Tx) error {
		_, err := calendar.RemoveHolidayIn(ctx, tx, "2026-11-16")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := load(kelantan).AddWorkingDays(day("2026-11-13"), 3).Format(time.DateOnly); got != "2026-11-18" {
		t.Errorf("after removing the holiday: %s", got)
	}
}
