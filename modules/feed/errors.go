package feed

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Errors Import returns; the HTTP and CLI edges map them to statuses and exit codes.
var (
	// ErrInvalidFile: the file has errors (listed in the Result); nothing was written.
	ErrInvalidFile = errors.New("feed: the file has errors; nothing was written")
	// ErrTooLarge: the body went past Options.MaxBytes; nothing was written.
	ErrTooLarge = errors.New("feed: the file is larger than the configured limit")
	// ErrUnknownKind: the kind is not one of Kinds.
	ErrUnknownKind = errors.New("feed: unknown kind")
	// ErrIdempotencyKey: the Idempotency-Key is longer than 200 characters.
	ErrIdempotencyKey = errors.New("feed: Idempotency-Key longer than 200 characters")
)

// Error codes of RowError, stable for the machines that read them (docs/API.md "Feeds").
const (
	CodeEmptyFile        = "empty_file"
	CodeMissingColumn    = "missing_column"
	CodeUnknownColumn    = "unknown_column"
	CodeDuplicateColumn  = "duplicate_column"
	CodeMalformedCSV     = "malformed_csv"
	CodeRaggedRow        = "ragged_row"
	CodeRecordTooLarge   = "record_too_large"
	CodeInvalidUTF8      = "invalid_utf8"
	CodeInvalidCharacter = "invalid_character"
	CodeRequired         = "required"
	CodeTooLong          = "too_long"
	CodeInvalidIC        = "invalid_ic"
	CodeInvalidRegNo     = "invalid_reg_no"
	CodeInvalidYear      = "invalid_year"
	CodeInvalidMonth     = "invalid_month"
	CodeInvalidDate      = "invalid_date"
	CodeInvalidAmount    = "invalid_amount"
	CodeTooManyDecimals  = "too_many_decimals"
	CodeAmountSign       = "invalid_amount_sign"
	CodeInvalidStatus    = "invalid_status"
	CodeInvalidValue     = "invalid_value"
	CodeInvalidEmail     = "invalid_email"
	CodeInvalidPhone     = "invalid_phone"
	CodeDuplicateRow     = "duplicate_row"
	CodeInconsistent     = "inconsistent_value"
	CodeUnknownEmployee  = "unknown_employee"
	CodeUnknownPayee     = "unknown_payee"
	CodeRegNoConflict    = "reg_no_conflict"
	CodeTooManyErrors    = "too_many_errors"
	CodeUnknownECItem    = "unknown_ec_item"
	CodeECPartMismatch   = "ec_part_mismatch"
)

// maxErrors bounds the error list: a wholly wrong 500 MB file must not become a 500 MB
// answer. Past it, one too_many_errors entry closes the list and reading stops.
const maxErrors = 1000

// RowError is one problem in the file: line is the line the record (or field) starts on,
// counting the header as line 1; column is the header name, or "" for the whole row.
type RowError struct {
	Line    int    `json:"line" db:"line"`
	Column  string `json:"column" db:"column"`
	Code    string `json:"code" db:"code"`
	Message string `json:"message" db:"message"`
}

// errorList collects row errors up to maxErrors.
type errorList struct {
	items []RowError
	full  bool
	// firstOnly makes the first error fill the list: for a reading that only needs to know
	// whether the file has an error (payslips_direct.go), not which ones.
	firstOnly bool
}

func (l *errorList) add(line int, column, code, format string, args ...any) {
	if l.full {
		return
	}
	if len(l.items) >= maxErrors {
		l.items = append(l.items, RowError{Line: line, Code: CodeTooManyErrors,
			Message: fmt.Sprintf("more than %d errors; the rest of the file was not checked", maxErrors)})
		l.full = true
		return
	}
	l.items = append(l.items, RowError{Line: line, Column: column, Code: code, Message: fmt.Sprintf(format, args...)})
	l.full = l.firstOnly
}

func (l *errorList) addAll(errs []RowError) {
	for _, e := range errs {
		l.add(e.Line, e.Column, e.Code, "%s", e.Message)
	}
}

func (l *errorList) empty() bool { return len(l.items) == 0 }

// sorted returns the errors by line, then column; too_many_errors stays last.
func (l *errorList) sorted() []RowError {
	out := slices.Clone(l.items)
	slices.SortStableFunc(out, func(a, b RowError) int {
		if a.Code == CodeTooManyErrors || b.Code == CodeTooManyErrors {
			return cmp.Compare(boolInt(a.Code == CodeTooManyErrors), boolInt(b.Code == CodeTooManyErrors))
		}
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
