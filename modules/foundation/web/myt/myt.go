// Package myt is Malaysia time for the whole portal: the one definition of the zone every
// state's dates are in, and the one way a person is shown a date or a time (dd/mm/yyyy,
// 24-hour HH:MM). Machine formats (the JSON API, CSV exports, feed files) keep ISO 8601 and
// UTC; only what a person reads goes through here.
//
// The zone is a fixed UTC+8 rather than time.LoadLocation("Asia/Kuala_Lumpur"): Malaysia
// has kept UTC+8 without daylight saving since 1982, and a fixed zone needs no tzdata in the
// container image.
package myt

import (
	"fmt"
	"time"
)

// Zone is Malaysia time (Asia/Kuala_Lumpur), UTC+8, no daylight saving.
var Zone = time.FixedZone("MYT", 8*60*60)

// Layouts a person reads: the Malaysian day-month-year order, a 24-hour clock.
const (
	DateLayout     = "02/01/2006"
	DateTimeLayout = "02/01/2006 15:04"
)

// In is t in Malaysia time.
func In(t time.Time) time.Time { return t.In(Zone) }

// Today is the start of the Malaysian calendar day now falls in.
func Today(now time.Time) time.Time {
	t := now.In(Zone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Zone)
}

// ParseDay reads a YYYY-MM-DD date (a form field, a query parameter) as that Malaysian day.
func ParseDay(s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, Zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse day %q: %w", s, err)
	}
	return t, nil
}

// Date is t's Malaysian calendar day as dd/mm/yyyy; "" for the zero time.
func Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(Zone).Format(DateLayout)
}

// DateTime is t in Malaysia time as dd/mm/yyyy HH:MM; "" for the zero time.
func DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(Zone).Format(DateTimeLayout)
}

// Funcs are the template functions "date" and "datetime". They take what pages and mails
// hold: a time.Time, a *time.Time (nil shows nothing), or the ISO text the records carry
// ("2026-10-05", or an RFC 3339 time). A calendar date without a time is a day already, so
// it is not moved between zones. Text that is not a date is shown as it is rather than
// failing the page.
func Funcs() map[string]any {
	return map[string]any{
		"date":     func(v any) string { return format(v, Date) },
		"datetime": func(v any) string { return format(v, DateTime) },
	}
}

func format(v any, f func(time.Time) string) string {
	switch x := v.(type) {
	case time.Time:
		return f(x)
	case *time.Time:
		if x == nil {
			return ""
		}
		return f(*x)
	case string:
		if d, err := time.ParseInLocation(time.DateOnly, x, Zone); err == nil {
			return f(d)
		}
		if t, err := time.Parse(time.RFC3339, x); err == nil {
			return f(t)
		}
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
