package feed

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/speks-portal/speks/tenant"
)

func TestImportEmployeesAndPayslips(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "selangor")

	res := mustImport(t, s, Employees, employeesCSV)
	if res.Rows != 3 || res.Inserted != 3 || res.Updated != 0 || res.Unchanged != 0 || res.BatchID == 0 {
		t.Fatalf("employees: %+v", res)
	}
	if got := count(t, s, "departments"); got != 2 {
		t.Errorf("departments = %d, want 2", got)
	}
	if got := count(t, s, "ptjs"); got != 3 {
		t.Errorf("ptjs = %d, want 3", got)
	}

	october := payslipCSV(
		icAminah+",2026,10,2026-10-23,E,0001,Gaji Pokok,5120.00",
		icAminah+",2026,10,2026-10-23,E,0101,Elaun Perumahan,300.00",
		icAminah+",2026,10,2026-10-23,D,4001,Cukai Pendapatan (PCB),212.40",
		icBadrul+",2026,10,2026-10-23,E,0001,Gaji Pokok,2890.50",
	)
	res = mustImport(t, s, Payslips, october)
	if res.Rows != 4 || res.Inserted != 2 || res.Updated != 0 || res.Unchanged != 0 {
		t.Fatalf("payslips: %+v", res)
	}
	var net string
	if err := s.DB.Get(&net, `SELECT net::text FROM payslips WHERE ic_no = $1 AND year = 2026 AND month = 10`, icAminah); err != nil {
		t.Fatal(err)
	}
	if net != "5207.60" {
		t.Errorf("net = %s, want 5207.60", net)
	}

	// Re-sending the same file is a no-op that answers as the first time.
	before := snapshot(t, s)
	again := mustImport(t, s, Payslips, october)
	if !again.Replayed || again.BatchID != res.BatchID || again.Inserted != res.Inserted {
		t.Errorf("re-send: %+v, first %+v", again, res)
	}
	assertUnchanged(t, before, snapshot(t, s))

	// A corrected file replaces Aminah's lines and leaves Badrul's payslip as it was.
	corrected := payslipCSV(
		icAminah+",2026,10,2026-10-23,E,0001,Gaji Pokok,5120.00",
		icAminah+",2026,10,2026-10-23,D,4001,Cukai Pendapatan (PCB),198.00",
		icBadrul+",2026,10,2026-10-23,E,0001,Gaji Pokok,2890.50",
	)
	res = mustImport(t, s, Payslips, corrected)
	if res.Inserted != 0 || res.Updated != 1 || res.Unchanged != 1 {
		t.Fatalf("corrected: %+v", res)
	}
	var lines []struct {
		Code   string `db:"code"`
		Amount string `db:"amount"`
	}
	if err := s.DB.Select(&lines, `SELECT code, amount::text AS amount FROM payslip_lines
		WHERE ic_no = $1 AND year = 2026 AND month = 10 ORDER BY seq`, icAminah); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0].Code != "0001" || lines[1].Code != "4001" || lines[1].Amount != "198.00" {
		t.Errorf("lines after correction: %+v", lines)
	}
	if err := s.DB.Get(&net, `SELECT net::text FROM payslips WHERE ic_no = $1 AND year = 2026 AND month = 10`, icAminah); err != nil {
		t.Fatal(err)
	}
	if net != "4922.00" {
		t.Errorf("net after correction = %s, want 4922.00", net)
	}
}

func TestImportRefusesUnknownEmployee(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "pahang")
	mustImport(t, s, Employees, employeesCSV)
	res, err := importString(t, s, Payslips, payslipCSV(
		icAminah+",2026,10,2026-10-23,E,0001,Gaji Pokok,5120.00",
		"800202-10-1234,2026,10,2026-10-23,E,0001,Gaji Pokok,100.00",
	))
	if !errors.Is(err, ErrInvalidFile) {
		t.Fatalf("err = %v", err)
	}
	if len(res.Errors) != 1 || res.Errors[0].Code != CodeUnknownEmployee || res.Errors[0].Line != 3 {
		t.Errorf("errors = %+v", res.Errors)
	}
	if n := count(t, s, "payslips"); n != 0 {
		t.Errorf("payslips = %d, want 0", n)
	}
}

// TestHeaderOnlyFile: a file with its header and no rows is a valid, empty batch.
func TestHeaderOnlyFile(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "sarawak")
	for _, kind := range Kinds {
		res, err := importString(t, s, kind, csvLines(specs[kind].columnList()))
		if err != nil || res.Rows != 0 || res.Inserted != 0 || res.BatchID == 0 {
			t.Errorf("%s: %+v, %v", kind, res, err)
		}
	}
}

// countingReader counts the bytes read through it; Seek passes to the file underneath.
type countingReader struct {
	*strings.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.Reader.Read(p)
	c.read += n
	return n, err
}

// A file sent again is recognised by its hash before anything is parsed or staged: a
// seekable body (a file, `speks import`) is read exactly once. A stream that cannot seek
// back (an HTTP body) is copied to a temporary file while hashed, and answered as a replay
// too, with nothing written.
func TestResentFileIsRecognisedBeforeParsing(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "selangor")
	mustImport(t, s, Employees, employeesCSV)
	body := payslipCSV(
		icAminah+",2026,10,2026-10-23,E,0001,Gaji Pokok,5120.00",
		icBadrul+",2026,10,2026-10-23,E,0001,Gaji Pokok,2890.50",
	)
	ctx := tenant.NewContext(context.Background(), s)
	first := &countingReader{Reader: strings.NewReader(body)}
	res, err := Import(ctx, Payslips, first, Options{Actor: "test", Now: testNow})
	if err != nil || res.Replayed || res.Inserted != 2 {
		t.Fatalf("first import: %+v, %v", res, err)
	}
	if first.read != 2*len(body) {
		t.Errorf("first import read %d bytes, want the hash pass and the parse pass, %d", first.read, 2*len(body))
	}

	before := snapshot(t, s)
	again := &countingReader{Reader: strings.NewReader(body)}
	res2, err := Import(ctx, Payslips, again, Options{Actor: "test", Now: testNow})
	if err != nil || !res2.Replayed || res2.BatchID != res.BatchID {
		t.Fatalf("re-send: %+v, %v", res2, err)
	}
	if again.read != len(body) {
		t.Errorf("re-send read %d bytes, want one pass of %d", again.read, len(body))
	}

	stream := io.MultiReader(strings.NewReader(body)) // no Seek, as an HTTP body
	res3, err := Import(ctx, Payslips, stream, Options{Actor: "test", Now: testNow})
	if err != nil || !res3.Replayed || res3.BatchID != res.BatchID {
		t.Fatalf("re-send as a stream: %+v, %v", res3, err)
	}
	assertUnchanged(t, before, snapshot(t, s))
}

// TestStreamSpooledAndRemoved: a stream (a body that cannot seek) is imported from a
// temporary file that is gone afterwards (unlinked as soon as it is open), whether the
// import succeeds or the body is past the size limit.
func TestStreamSpooledAndRemoved(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "selangor")
	mustImport(t, s, Employees, employeesCSV)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // os.CreateTemp's directory
	ctx := tenant.NewContext(context.Background(), s)
	body := payslipCSV(manyLines(icAminah, 2026, 10, 300)...)

	res, err := Import(ctx, Payslips, io.MultiReader(strings.NewReader(body)), Options{Actor: "test", Now: testNow})
	if err != nil || res.Inserted != 1 || res.Rows != 300 {
		t.Fatalf("stream import: %+v, %v", res, err)
	}
	assertEmptyDir(t, tmp)

	before := snapshot(t, s)
	other := payslipCSV(manyLines(icBadrul, 2026, 10, 300)...)
	_, err = Import(ctx, Payslips, io.MultiReader(strings.NewReader(other)),
		Options{Actor: "test", Now: testNow, MaxBytes: int64(len(other) - 1)})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("stream past the limit: %v, want ErrTooLarge", err)
	}
	assertEmptyDir(t, tmp)
	assertUnchanged(t, before, snapshot(t, s))
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("%d file(s) left in the temporary directory, first %s", len(left), left[0].Name())
	}
}
