package admin

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/calendar"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/guard"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
)

// The state's working calendar on the console: the holidays of a year, one added or removed
// at a time or a year's file imported at once, and the weekend days. modules/calendar owns
// the tables; each change and its audit record are one transaction.

// calendarFileMax bounds an imported holiday file (a year has a few dozen lines).
const calendarFileMax = 64 << 10

// weekdays are the ISO days of the week, Monday first, as the page lists them.
var weekdays = []int{1, 2, 3, 4, 5, 6, 7}

type calendarPage struct {
	Year     int
	Years    []int
	Weekend  map[int]bool
	Weekdays []int
	Holidays []calendar.Holiday
	Done     string
	Error    string
	Lines    []calendar.LineError
}

// calendarYear reads ?year= (or the form's year), this year when absent or not a year.
func calendarYear(c *fiber.Ctx, s string) int {
	if y, err := strconv.Atoi(s); err == nil && y >= 2000 && y <= 2100 {
		return y
	}
	return myt.Today(time.Now()).Year()
}

func (m *Module) pageCalendar(c *fiber.Ctx) error {
	d := calendarPage{Year: calendarYear(c, c.Query("year"))}
	switch c.Query("done") {
	case "weekend", "added", "removed", "imported":
		d.Done = c.Query("done")
	}
	return m.renderCalendar(c, d)
}

func (m *Module) renderCalendar(c *fiber.Ctx, d calendarPage) error {
	_, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	cal, err := calendar.Load(ctx, sc.DB)
	if err != nil {
		return err
	}
	if d.Holidays, err = calendar.Holidays(ctx, sc.DB, d.Year); err != nil {
		return err
	}
	if d.Years, err = calendar.Years(ctx, sc.DB, time.Now()); err != nil {
		return err
	}
	d.Weekdays, d.Weekend = weekdays, map[int]bool{}
	for _, w := range cal.Weekend() {
		d.Weekend[w] = true
	}
	return web.Render(c, "admin/calendar", d)
}

// calendarChange runs one change of the calendar and its audit record in a transaction.
func calendarChange(ctx context.Context, sc *tenant.Scope, p *account.Principal, action, subject string, detail map[string]any,
	change func(tx *sqlx.Tx) error) error {
	return tenant.InTx(ctx, sc.DB, func(tx *sqlx.Tx) error {
		if err := change(tx); err != nil {
			return err
		}
		return Record(ctx, tx, p, action, subject, 0, detail)
	})
}

// refuse shows the page again with the refusal in place; anything but a person's mistake
// goes to the error edge.
func (m *Module) refuseCalendar(c *fiber.Ctx, year int, err error) error {
	e, ok := fault.As(err)
	if !ok || e.Kind == fault.Internal {
		return err
	}
	c.Status(web.StatusOf(err))
	d := calendarPage{Year: year, Error: e.Code}
	if lines, ok := e.Fields["errors"].([]calendar.LineError); ok {
		d.Lines = lines
	}
	return m.renderCalendar(c, d)
}

func (m *Module) submitWeekend(c *fiber.Ctx) error {
	p, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	year := calendarYear(c, c.FormValue("year"))
	args := c.Request().PostArgs()
	var days []int
	for _, v := range args.PeekMulti("weekend") {
		if n, err := strconv.Atoi(string(v)); err == nil {
			days = append(days, n)
		}
	}
	err = calendarChange(c.UserContext(), sc, p, "calendar.weekend", "calendar", map[string]any{"weekend_days": days},
		func(tx *sqlx.Tx) error { return calendar.SetWeekendIn(c.UserContext(), tx, days, actorLabel(p)) })
	if err != nil {
		return m.refuseCalendar(c, year, err)
	}
	return c.Redirect(fmt.Sprintf("/admin/calendar?year=%d&done=weekend", year), fiber.StatusSeeOther)
}

func (m *Module) submitAddHoliday(c *fiber.Ctx) error {
	p, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	h := calendar.Holiday{Date: c.FormValue("date"), NameMS: c.FormValue("name_ms"), NameEN: c.FormValue("name_en"), Scope: c.FormValue("scope")}
	year := calendarYear(c, c.FormValue("year"))
	if d, err := time.Parse(time.DateOnly, strings.TrimSpace(h.Date)); err == nil {
		year = d.Year()
	}
	err = calendarChange(c.UserContext(), sc, p, "calendar.holiday_add", "holiday:"+strings.TrimSpace(h.Date),
		map[string]any{"name_ms": h.NameMS, "name_en": h.NameEN, "scope": h.Scope},
		func(tx *sqlx.Tx) error { return calendar.AddHolidayIn(c.UserContext(), tx, h, actorLabel(p)) })
	if err != nil {
		return m.refuseCalendar(c, year, err)
	}
	return c.Redirect(fmt.Sprintf("/admin/calendar?year=%d&done=added", year), fiber.StatusSeeOther)
}

func (m *Module) submitRemoveHoliday(c *fiber.Ctx) error {
	p, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	date := c.Params("date")
	year := calendarYear(c, c.FormValue("year"))
	err = tenant.InTx(c.UserContext(), sc.DB, func(tx *sqlx.Tx) error {
		h, err := calendar.RemoveHolidayIn(c.UserContext(), tx, date)
		if err != nil {
			return err
		}
		year = h.Day.Year()
		return Record(c.UserContext(), tx, p, "calendar.holiday_remove", "holiday:"+h.Date, 0,
			map[string]any{"name_ms": h.NameMS, "name_en": h.NameEN, "scope": h.Scope})
	})
	if err != nil {
		return m.refuseCalendar(c, year, err)
	}
	return c.Redirect(fmt.Sprintf("/admin/calendar?year=%d&done=removed", year), fiber.StatusSeeOther)
}

// importYear replaces year's holidays with those of the file, all or nothing, audited.
func importYear(ctx context.Context, sc *tenant.Scope, p *account.Principal, year int, r io.Reader) (imported int, removed int64, err error) {
	data, err := io.ReadAll(io.LimitReader(r, calendarFileMax+1))
	if err != nil {
		return 0, 0, fmt.Errorf("read holiday file: %w", err)
	}
	if len(data) > calendarFileMax {
		return 0, 0, fault.New(fault.TooLarge, "payload_too_large", nil)
	}
	holidays, lines := calendar.ParseYear(strings.NewReader(string(data)), year)
	if len(lines) > 0 {
		return 0, 0, calendar.ImportError(lines)
	}
	err = calendarChange(ctx, sc, p, "calendar.import", "calendar:"+strconv.Itoa(year), nil, func(tx *sqlx.Tx) error {
		removed, err = calendar.ReplaceYearIn(ctx, tx, year, holidays, actorLabel(p))
		return err
	})
	return len(holidays), removed, err
}

func (m *Module) submitImportCalendar(c *fiber.Ctx) error {
	p, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	year := calendarYear(c, c.FormValue("year"))
	fh, err := c.FormFile("file")
	if err != nil {
		return m.refuseCalendar(c, year, fault.New(fault.Invalid, "file_missing", err))
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("open holiday file: %w", err)
	}
	defer f.Close()
	if _, _, err := importYear(c.UserContext(), sc, p, year, f); err != nil {
		return m.refuseCalendar(c, year, err)
	}
	return c.Redirect(fmt.Sprintf("/admin/calendar?year=%d&done=imported", year), fiber.StatusSeeOther)
}

// apiCalendar is GET /api/v1/admin/calendar?year=: the weekend and the year's holidays.
func (m *Module) apiCalendar(c *fiber.Ctx) error {
	_, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	year := calendarYear(c, c.Query("year"))
	cal, err := calendar.Load(c.UserContext(), sc.DB)
	if err != nil {
		return err
	}
	holidays, err := calendar.Holidays(c.UserContext(), sc.DB, year)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"year": year, "weekend_days": cal.Weekend(), "holidays": holidays})
}

// apiImportCalendar is PUT /api/v1/admin/calendar/{year}: the body (text/csv) becomes the
// year's whole set of holidays.
func (m *Module) apiImportCalendar(c *fiber.Ctx) error {
	p, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	year, err := strconv.Atoi(c.Params("year"))
	if err != nil || year < 2000 || year > 2100 {
		return fault.New(fault.NotFound, "not_found", err)
	}
	imported, removed, err := importYear(c.UserContext(), sc, p, year, strings.NewReader(string(c.Body())))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"year": year, "imported": imported, "replaced": removed})
}
