package calendar

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/foundation/fault"
)

// The writers of working_calendar and public_holidays. Each takes the caller's transaction,
// so the console writes the change and its audit record together.

// SetWeekendIn sets the weekend days (ISO 1 Monday … 7 Sunday; one to three of them).
func SetWeekendIn(ctx context.Context, tx sqlx.ExtContext, isoDays []int, actor string) error {
	days := slices.Clone(isoDays)
	slices.Sort(days)
	days = slices.Compact(days)
	if len(days) < 1 || len(days) > 3 || days[0] < 1 || days[len(days)-1] > 7 {
		return fault.New(fault.Invalid, "invalid_weekend", nil)
	}
	arr := make(pq.Int64Array, len(days))
	for i, d := range days {
		arr[i] = int64(d)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO working_calendar (weekend_days, updated_at, updated_by) VALUES ($1, now(), $2)
		ON CONFLICT (only_row) DO UPDATE SET weekend_days = EXCLUDED.weekend_days, updated_at = now(), updated_by = EXCLUDED.updated_by`,
		arr, actor); err != nil {
		return fmt.Errorf("set weekend: %w", err)
	}
	return nil
}

// AddHolidayIn adds a holiday; a date that already has one is a conflict.
func AddHolidayIn(ctx context.Context, tx sqlx.ExtContext, h Holiday, actor string) error {
	if code, _ := h.check(); code != "" {
		return fault.New(fault.Invalid, code, nil)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO public_holidays (day, name_ms, name_en, scope, created_by)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (day) DO NOTHING`, h.Date, h.NameMS, h.NameEN, h.Scope, actor)
	if err != nil {
		return fmt.Errorf("add holiday: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fault.New(fault.Conflict, "holiday_exists", nil)
	}
	return nil
}

// RemoveHolidayIn removes the holiday on date (YYYY-MM-DD); none there is not found.
func RemoveHolidayIn(ctx context.Context, tx sqlx.ExtContext, date string) (*Holiday, error) {
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return nil, fault.New(fault.NotFound, "not_found", err)
	}
	var h Holiday
	err := sqlx.GetContext(ctx, tx, &h, `DELETE FROM public_holidays WHERE day = $1 RETURNING day, name_ms, name_en, scope`, date)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fault.New(fault.NotFound, "not_found", err)
		}
		return nil, fmt.Errorf("remove holiday: %w", err)
	}
	h.Date = h.Day.Format(time.DateOnly)
	return &h, nil
}

// check normalises h and names the first problem: a field and an error code, or "" when fine.
func (h *Holiday) check() (code, field string) {
	h.Date, h.NameMS, h.NameEN = strings.TrimSpace(h.Date), strings.TrimSpace(h.NameMS), strings.TrimSpace(h.NameEN)
	h.Scope = strings.ToLower(strings.TrimSpace(h.Scope))
	if h.Scope == "" {
		h.Scope = ScopeState
	}
	day, err := time.Parse(time.DateOnly, h.Date)
	switch {
	case err != nil:
		return "invalid_date", "date"
	case day.Year() < 2000 || day.Year() > 2100:
		return "invalid_date", "date"
	case h.NameMS == "" || utf8.RuneCountInString(h.NameMS) > 200:
		return "invalid_name", "name_ms"
	case h.NameEN == "" || utf8.RuneCountInString(h.NameEN) > 200:
		return "invalid_name", "name_en"
	case h.Scope != ScopeFederal && h.Scope != ScopeState:
		return "invalid_scope", "scope"
	}
	h.Day = day
	return "", ""
}

// LineError is one problem of an imported file: its line (the header is line 1), the column
// and an error code the console and docs/API.md explain.
type LineError struct {
	Line   int    `json:"line"`
	Column string `json:"column,omitempty"`
	Code   string `json:"code"`
}

// CSVHeader is the header line of the yearly import file.
var CSVHeader = []string{"date", "name_ms", "name_en", "scope"}

// maxImportLines bounds a file: a year has a few dozen holidays.
const maxImportLines = 200

// ParseYear reads a yearly holiday file for year: the header, then one holiday per line.
// It reports every problem with its line, or the holidays when there is none.
func ParseYear(r io.Reader, year int) ([]Holiday, []LineError) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var out []Holiday
	var errs []LineError
	seen := map[string]int{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			if line == 1 {
				errs = append(errs, LineError{Line: 1, Code: "missing_header"})
			}
			break
		}
		if err != nil {
			errs = append(errs, LineError{Line: line, Code: "malformed_csv"})
			break
		}
		if line == 1 {
			if len(rec) > 0 {
				rec[0] = strings.TrimPrefix(rec[0], "\ufeff") // a spreadsheet's byte-order mark
			}
			for i := range rec {
				rec[i] = strings.ToLower(strings.TrimSpace(rec[i]))
			}
			if !slices.Equal(rec, CSVHeader) {
				errs = append(errs, LineError{Line: 1, Code: "missing_header"})
				break
			}
			continue
		}
		if line > maxImportLines+1 {
			errs = append(errs, LineError{Line: line, Code: "too_many_lines"})
			break
		}
		if len(rec) != len(CSVHeader) {
			errs = append(errs, LineError{Line: line, Code: "wrong_column_count"})
			continue
		}
		h := Holiday{Date: rec[0], NameMS: rec[1], NameEN: rec[2], Scope: rec[3]}
		if code, field := h.check(); code != "" {
			errs = append(errs, LineError{Line: line, Column: field, Code: code})
			continue
		}
		if h.Day.Year() != year {
			errs = append(errs, LineError{Line: line, Column: "date", Code: "wrong_year"})
			continue
		}
		if _, dup := seen[h.Date]; dup {
			errs = append(errs, LineError{Line: line, Column: "date", Code: "duplicate_date"})
			continue
		}
		seen[h.Date] = line
		out = append(out, h)
	}
	return out, errs
}

// ImportError is a refused import: every problem, by line. Nothing was changed.
func ImportError(errs []LineError) *fault.Error {
	return fault.New(fault.Invalid, "invalid_calendar_file", nil).With("errors", errs)
}

// ReplaceYearIn makes holidays the whole set of year's holidays (the yearly import): the
// year's earlier holidays go, in the caller's transaction, so the import is all or nothing.
func ReplaceYearIn(ctx context.Context, tx sqlx.ExtContext, year int, holidays []Holiday, actor string) (removed int64, err error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM public_holidays WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1)`, year)
	if err != nil {
		return 0, fmt.Errorf("clear holidays of %d: %w", year, err)
	}
	removed, _ = res.RowsAffected()
	for _, h := range holidays {
		if _, err := tx.ExecContext(ctx, `INSERT INTO public_holidays (day, name_ms, name_en, scope, created_by)
			VALUES ($1, $2, $3, $4, $5)`, h.Date, h.NameMS, h.NameEN, h.Scope, actor); err != nil {
			return 0, fmt.Errorf("import holiday %s: %w", h.Date, err)
		}
	}
	return removed, nil
}
