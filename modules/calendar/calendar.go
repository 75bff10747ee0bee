// Package calendar is the state's working calendar: its weekend days and its public holidays
// (federal and the state's own), kept in the tenant schema (working_calendar, public_holidays;
// this package is their one writer). Every "within N working days" the portal promises is
// counted on it: a cancellation is due three working days after it is raised (the states'
// FAQs). The IT officer maintains it on the console (modules/admin) or with a yearly CSV
// import.
package calendar

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/foundation/web/myt"
)

// Holiday is one public holiday.
type Holiday struct {
	Day    time.Time `db:"day" json:"-"`
	Date   string    `db:"-" json:"date"`
	NameMS string    `db:"name_ms" json:"name_ms"`
	NameEN string    `db:"name_en" json:"name_en"`
	Scope  string    `db:"scope" json:"scope"` // ScopeFederal or ScopeState
}

// The scopes of a holiday.
const (
	ScopeFederal = "federal"
	ScopeState   = "state"
)

// Calendar is a state's working calendar: a day is a working day unless it falls on the
// weekend or is a public holiday.
type Calendar struct {
	weekend  [7]bool // by time.Weekday
	holidays map[string]bool
}

// New builds a calendar from ISO weekday numbers (1 Monday … 7 Sunday) and holiday dates.
func New(weekendISO []int, holidays ...time.Time) *Calendar {
	c := &Calendar{holidays: make(map[string]bool, len(holidays))}
	for _, d := range weekendISO {
		c.weekend[time.Weekday(d%7)] = true
	}
	for _, h := range holidays {
		c.holidays[h.Format(time.DateOnly)] = true
	}
	return c
}

// Weekend is the calendar's weekend as ISO weekday numbers, Monday first.
func (c *Calendar) Weekend() []int {
	var out []int
	for iso := 1; iso <= 7; iso++ {
		if c.weekend[time.Weekday(iso%7)] {
			out = append(out, iso)
		}
	}
	return out
}

// IsWorkingDay tells whether the date of t (in its own location) is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	return !c.weekend[t.Weekday()] && !c.holidays[t.Format(time.DateOnly)]
}

// AddWorkingDays moves n working days forward from t: the day t falls on does not count,
// whether or not it is a working day (a request raised on a holiday is due n working days
// later). A calendar with every day of the week as weekend cannot exist (at most three).
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if c.IsWorkingDay(t) {
			n--
		}
	}
	return t
}

// FirstWorkingDay is the first working day on or after the date of t.
func (c *Calendar) FirstWorkingDay(t time.Time) time.Time {
	for !c.IsWorkingDay(t) {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

// Load reads the tenant's calendar (weekend and every holiday it holds) through db.
func Load(ctx context.Context, db sqlx.QueryerContext) (*Calendar, error) {
	var weekend pq.Int64Array
	if err := sqlx.GetContext(ctx, db, &weekend, `SELECT weekend_days FROM working_calendar`); err != nil {
		return nil, fmt.Errorf("read weekend: %w", err)
	}
	var days []time.Time
	if err := sqlx.SelectContext(ctx, db, &days, `SELECT day FROM public_holidays`); err != nil {
		return nil, fmt.Errorf("read holidays: %w", err)
	}
	iso := make([]int, len(weekend))
	for i, d := range weekend {
		iso[i] = int(d)
	}
	for i, d := range days {
		// A date column scans as midnight UTC; its calendar date is what counts.
		days[i] = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, myt.Zone)
	}
	return New(iso, days...), nil
}

// Holidays lists the holidays of year, in date order.
func Holidays(ctx context.Context, db sqlx.QueryerContext, year int) ([]Holiday, error) {
	out := []Holiday{}
	if err := sqlx.SelectContext(ctx, db, &out, `SELECT day, name_ms, name_en, scope FROM public_holidays
		WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1) ORDER BY day`, year); err != nil {
		return nil, fmt.Errorf("list holidays of %d: %w", year, err)
	}
	for i := range out {
		out[i].Date = out[i].Day.Format(time.DateOnly)
	}
	return out, nil
}

// Years lists the years that have holidays, and always this year and the next, ascending.
func Years(ctx context.Context, db sqlx.QueryerContext, now time.Time) ([]int, error) {
	var years []int
	if err := sqlx.SelectContext(ctx, db, &years, `SELECT DISTINCT extract(year FROM day)::int FROM public_holidays`); err != nil {
		return nil, fmt.Errorf("holiday years: %w", err)
	}
	this := now.In(myt.Zone).Year()
	for _, y := range []int{this, this + 1} {
		if !slices.Contains(years, y) {
			years = append(years, y)
		}
	}
	slices.Sort(years)
	return years, nil
}
