package feed

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/speks-portal/speks/tenant"
)

// importStaged imports through the staged path alone, as the payslips feed did before it had
// a direct path: the reference the direct path must agree with. Not for parallel tests.
func importStaged(t *testing.T, s *tenant.Scope, kind Kind, body string) (*Result, error) {
	t.Helper()
	direct := specs[kind].direct
	specs[kind].direct = nil
	defer func() { specs[kind].direct = direct }()
	return importString(t, s, kind, body)
}

// payslipTables reads every payslip and line of s as text, batch ids and times aside.
func payslipTables(t *testing.T, s *tenant.Scope) []string {
	t.Helper()
	var rows []string
	if err := s.DB.Select(&rows, `
		SELECT format('%s %s-%s %s gross %s deductions %s net %s lines %s digest %s',
			ic_no, year, month, pay_date, gross, total_deductions, net, line_count, lines_digest)
		FROM payslips ORDER BY ic_no, year, month`); err != nil {
		t.Fatal(err)
	}
	var lines []string
	if err := s.DB.Select(&lines, `
		SELECT format('%s %s-%s line %s %s %s %s %s', ic_no, year, month, seq, kind, code, description, amount)
		FROM payslip_lines ORDER BY ic_no, year, month, seq`); err != nil {
		t.Fatal(err)
	}
	return append(rows, lines...)
}

// TestDirectAndStagedPathsAgree: the payslips feed's direct path writes what the staged path
// writes and answers what it answers, and leaves to the staged path what is not a new month;
// the log shows which path ran. It runs with the usual chunks of runs and with every run a
// chunk of its own, so that runs are copied between lines and a payslip's runs meet only in
// the database.
func TestDirectAndStagedPathsAgree(t *testing.T) {
	withChunkSizes(t, directAndStagedAgree)
}

// withChunkSizes runs test with the usual chunks of runs and with every run a chunk of its own.
func withChunkSizes(t *testing.T, test func(t *testing.T)) {
	for _, chunk := range []int{runsPerChunk, 1} {
		t.Run(fmt.Sprintf("%d runs a chunk", chunk), func(t *testing.T) {
			defer func(usual int) { runsPerChunk = usual }(runsPerChunk)
			runsPerChunk = chunk
			test(t)
		})
	}
}

func directAndStagedAgree(t *testing.T) {
	f := newFixture(t)
	direct, staged := f.scope(t, "selangor"), f.scope(t, "johor")
	for _, s := range []*tenant.Scope{direct, staged} {
		mustImport(t, s, Employees, employeesCSV)
	}
	files := []struct {
		name string
		body string
		// direct: the direct path writes it; otherwise it hands it to the staged path.
		direct bool
	}{
		{"a new month, one payslip's lines apart, a kind in lower case", payslipCSV(
			icAminah+",2026,10,2026-10-23,E,0001,Gaji Pokok,5120.00",
			icBadrul+",2026,10,2026-10-23,E,0001,Gaji Pokok,2890.50",
			icAminah+",2026,10,2026-10-23,d,4001,Cukai Pendapatan (PCB),212.40",
			icBadrul+",2026,10,2026-10-23,D,4101,KWSP,317.96",
		), true},
		{"a correction, an unchanged payslip and a new month", payslipCSV(
			icBadrul+",2026,10,2026-10-23,D,4101,KWSP,317.96",
			icBadrul+",2026,10,2026-10-23,E,0001,Gaji Pokok,2890.50",
			icAminah+",2026,10,2026-10-23,E,0001,Gaji Pokok,5120.00",
			icAminah+",2026,10,2026-10-23,D,4001,Cukai Pendapatan (PCB),198.00",
			icAminah+",2026,11,2026-11-24,E,0001,Gaji Pokok,5120.00",
		), false},
		{"a correction whose codes are new", payslipCSV(
			icAminah + ",2026,11,2026-11-24,E,0002,Gaji Pokok (pelarasan),5200.00",
		), false},
		{"a month sent again, unchanged", payslipCSV(
			icBadrul+",2026,10,2026-10-23,E,0001,Gaji Pokok,2890.50",
			icBadrul+",2026,10,2026-10-23,D,4101,KWSP,317.96",
		), false},
		{"the next month, with a line of November's", payslipCSV(
			icChong+",2026,12,2026-12-23,E,0001,Gaji Pokok,4100.00",
			icAminah+",2026,12,2026-12-23,E,0001,Gaji Pokok,5120.00",
			icChong+",2026,12,2026-12-23,D,4001,Cukai Pendapatan (PCB),150.00",
			icAminah+",2026,11,2026-11-24,E,0101,Elaun Perumahan,300.00",
		), false},
		{"the next month", payslipCSV(
			icChong+",2027,1,2027-01-22,E,0001,Gaji Pokok,4100.00",
			icAminah+",2027,1,2027-01-22,E,0001,Gaji Pokok,5120.00",
			icChong+",2027,1,2027-01-22,D,4001,Cukai Pendapatan (PCB),150.00",
		), true},
	}
	logs := captureFeedLogs(t)
	for _, file := range files {
		got, err := importString(t, direct, Payslips, file.body)
		if err != nil {
			t.Fatalf("%s, direct: %v %+v", file.name, err, got)
		}
		l := logs.last(t)
		if ran := l["stage"] == nil; ran != file.direct || (!ran && l["direct refused"] == nil) {
			t.Errorf("%s: want the direct path to write it %v: %v", file.name, file.direct, l)
		}
		want, err := importStaged(t, staged, Payslips, file.body)
		if err != nil {
			t.Fatalf("%s, staged: %v %+v", file.name, err, want)
		}
		if got.Rows != want.Rows || got.Inserted != want.Inserted || got.Updated != want.Updated || got.Unchanged != want.Unchanged {
			t.Errorf("%s: direct answered %+v, staged %+v", file.name, got, want)
		}
		if g, w := payslipTables(t, direct), payslipTables(t, staged); !reflect.DeepEqual(g, w) {
			t.Errorf("%s: the tables differ\ndirect: %q\nstaged: %q", file.name, g, w)
		}
	}
}

// TestDirectPathRefusalsAnswerAsStaged: a file the direct path finds wrong — at a row, in
// the payslips' check, or at the lines' key — gets the staged path's full answer, and
// nothing of the direct path's work is left behind; with every run a chunk of its own too, so
// that the key refuses a line at a chunk's end.
func TestDirectPathRefusalsAnswerAsStaged(t *testing.T) {
	withChunkSizes(t, directRefusalsAnswerAsStaged)
}

func directRefusalsAnswerAsStaged(t *testing.T) {
	s, good := refusalTenant(t)
	badrul := icBadrul + ",2026,10,2026-10-23,E,0001,Gaji Pokok,2890.50"
	for _, tc := range []struct {
		name string
		body string
	}{
		{"a bad amount", payslipCSV(good, badrul, icAminah+",2026,10,2026-10-23,E,0101,Elaun,1,5")},
		{"a line twice, apart", payslipCSV(good, badrul, icAminah+",2026,10,2026-10-23,E,0001,Gaji Pokok,5120.00")},
		{"a line twice, together", payslipCSV(good, good, badrul)},
		{"two pay dates, apart", payslipCSV(good, badrul, icAminah+",2026,10,2026-10-24,E,0101,Elaun,100.00")},
		{"two pay dates, together", payslipCSV(good, icAminah+",2026,10,2026-10-24,E,0101,Elaun,100.00")},
		{"an unknown employee", payslipCSV(good, "010101010101,2026,10,2026-10-23,E,0001,Gaji Pokok,1.00")},
		{"a bad header", "ic_no,year\n" + good + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, s)
			logs := captureFeedLogs(t)
			got, gotErr := importString(t, s, Payslips, tc.body)
			if l := logs.last(t); l["direct refused"] == nil || l["stage"] == nil {
				t.Errorf("want the direct path refused, then the staged path: %v", l)
			}
			want, wantErr := importStaged(t, s, Payslips, tc.body)
			if gotErr == nil || gotErr.Error() != wantErr.Error() {
				t.Fatalf("direct: %v, staged: %v", gotErr, wantErr)
			}
			if !reflect.DeepEqual(got.Errors, want.Errors) || len(got.Errors) == 0 {
				t.Errorf("direct listed %+v\nstaged listed %+v", got.Errors, want.Errors)
			}
			assertUnchanged(t, before, snapshot(t, s))
		})
	}
}
