package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
)

// TestKilledImportLeavesTenantAsBefore: the database connection of an import is killed
// half-way, while COPY runs; the tenant is exactly as before, and the retry succeeds. (A
// streamed body is spooled before any connection is taken: TestBrokenUploadLeavesTenantAsBefore.)
func TestKilledImportLeavesTenantAsBefore(t *testing.T) {
	body := payslipCSV(manyLines(icAminah, 2026, 10, 400)...)
	half := len(body) / 2
	for _, tc := range []struct {
		name string
		// send starts the import on a body whose second half waits for release.
		send func(s *tenant.Scope, release <-chan struct{}) <-chan error
		// running is the statement the import's backend shows while it waits.
		running string
	}{
		{"during COPY", func(s *tenant.Scope, release <-chan struct{}) <-chan error {
			// A file: hashed through to its end first, then parsed; the pause is in the parse.
			return importAsync(s, &pausingReader{ReadSeeker: strings.NewReader(body), at: int64(half), release: release})
		}, "COPY payslip_lines%"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			s := f.scope(t, "selangor")
			mustImport(t, s, Employees, employeesCSV)
			mustImport(t, s, Payslips, payslipCSV(icAminah+",2026,9,2026-09-23,E,0001,Gaji Pokok,5000.00"))
			before := snapshot(t, s)

			release := make(chan struct{})
			done := tc.send(s, release)
			killBackend(t, f.env.Databases.Public(), tc.running)
			close(release) // the rest of the file arrives after the backend is gone
			awaitFailure(t, done, "import succeeded although its connection was killed", "import did not notice its connection was killed")
			assertUnchanged(t, before, snapshot(t, s))

			res := mustImport(t, s, Payslips, body)
			if res.Inserted != 1 || res.Rows != 400 {
				t.Errorf("retry: %+v", res)
			}
			if n := count(t, s, "payslip_lines"); n != 401 {
				t.Errorf("payslip_lines = %d, want 401", n)
			}
		})
	}
}

// awaitFailure waits for the import answering on done to fail: succeeding fails the test with
// succeeded, and not answering within 30 s with hung.
func awaitFailure(t *testing.T, done <-chan error, succeeded, hung string) {
	t.Helper()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal(succeeded)
		}
	case <-time.After(30 * time.Second):
		t.Fatal(hung)
	}
}

func importAsync(s *tenant.Scope, body io.Reader) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := Import(tenant.NewContext(context.Background(), s), Payslips, body, Options{Actor: "test", Now: testNow})
		done <- err
	}()
	return done
}

// pausingReader is a seekable body whose second reading (after the rewind) stops at offset
// at until release is closed.
type pausingReader struct {
	io.ReadSeeker
	at      int64
	release <-chan struct{}
	rewound bool
	pos     int64
}

func (r *pausingReader) Seek(offset int64, whence int) (int64, error) {
	n, err := r.ReadSeeker.Seek(offset, whence)
	r.rewound = r.rewound || (n == 0 && r.pos > 0)
	r.pos = n
	return n, err
}

func (r *pausingReader) Read(p []byte) (int, error) {
	if r.rewound && r.pos >= r.at {
		<-r.release
	} else if r.rewound && r.pos+int64(len(p)) > r.at {
		p = p[:r.at-r.pos]
	}
	n, err := r.ReadSeeker.Read(p)
	r.pos += int64(n)
	return n, err
}

// manyLines makes n distinct earning lines of one payslip.
func manyLines(ic string, year, month, n int) []string {
	lines := make([]string, n)
	for i := range n {
		lines[i] = fmt.Sprintf("%s,%d,%d,%d-%02d-23,E,%04d,Elaun %d dengan keterangan yang panjang,%d.%02d",
			ic, year, month, year, month, i+1, i+1, 10+i, i%100)
	}
	return lines
}

// killBackend waits for a backend of the test database (the import's) showing a statement
// like running and terminates it.
func killBackend(t *testing.T, db interface {
	Select(any, string, ...any) error
}, running string) {
	t.Helper()
	apitest.WaitWithin(t, 20*time.Second, "a backend to kill", func() bool {
		var killed []bool
		err := db.Select(&killed, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE $1`, running)
		if err != nil {
			t.Fatalf("terminate: %v", err)
		}
		return len(killed) > 0
	})
}

// waitForStatement waits until a backend of this database runs a statement like running.
func waitForStatement(t *testing.T, db interface {
	Get(any, string, ...any) error
}, running string) {
	t.Helper()
	apitest.WaitWithin(t, 20*time.Second, "a backend running "+running, func() bool {
		var n int
		if err := db.Get(&n, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE $1`, running); err != nil {
			t.Fatalf("pg_stat_activity: %v", err)
		}
		return n > 0
	})
}

// TestTwoTenantsImportAtOnce: feeds of two tenants run in parallel and each writes only
// its own data.
func TestTwoTenantsImportAtOnce(t *testing.T) {
	f := newFixture(t)
	a, b := f.scope(t, "selangor"), f.scope(t, "pahang")
	mustImport(t, a, Employees, employeesCSV)
	mustImport(t, b, Employees, employeesCSV)
	bodies := map[*tenant.Scope]string{
		a: payslipCSV(manyLines(icAminah, 2026, 10, 300)...),
		b: payslipCSV(manyLines(icBadrul, 2026, 8, 200)...),
	}
	// Hold tenant A's feed lock: B must not wait for it.
	tx := a.DB.MustBegin()
	if _, err := tx.Exec(`SELECT pg_advisory_xact_lock($1)`, lockKey(a.Tenant.Schema)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := map[*tenant.Scope]error{}
	var mu sync.Mutex
	for scope, body := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := importString(t, scope, Payslips, body)
			mu.Lock()
			results[scope] = err
			mu.Unlock()
		}()
	}
	apitest.WaitWithin(t, 20*time.Second, "tenant B to import while A waits", func() bool { return count(t, b, "payslip_lines") == 200 })
	if n := count(t, a, "payslip_lines"); n != 0 {
		t.Errorf("tenant A imported while its lock was held: %d lines", n)
	}
	_ = tx.Rollback()
	wg.Wait()
	for scope, err := range results {
		if err != nil {
			t.Errorf("%s: %v", scope.Tenant.Code, err)
		}
	}
	var aICs, bICs []string
	if err := a.DB.Select(&aICs, `SELECT DISTINCT ic_no FROM payslip_lines`); err != nil {
		t.Fatal(err)
	}
	if err := b.DB.Select(&bICs, `SELECT DISTINCT ic_no FROM payslip_lines`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(aICs, ",") != icAminah || strings.Join(bICs, ",") != icBadrul {
		t.Errorf("A has %v, B has %v", aICs, bICs)
	}
	if count(t, a, "payslip_lines") != 300 || count(t, b, "payslip_lines") != 200 {
		t.Error("line counts differ from the files")
	}
}

// TestSameTenantFeedsSerialise: a second feed of one tenant waits for the first while the
// first is being parsed and written (it holds the tenant's feed lock).
func TestSameTenantFeedsSerialise(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "johor")
	mustImport(t, s, Employees, employeesCSV)
	body := payslipCSV(manyLines(icAminah, 2026, 10, 50)...)
	release := make(chan struct{})
	first := importAsync(s, &pausingReader{ReadSeeker: strings.NewReader(body), at: int64(len(body) / 2), release: release})
	waitForStatement(t, f.env.Databases.Public(), "COPY payslip_lines%")
	second := make(chan error, 1)
	go func() {
		_, err := importString(t, s, Payslips, payslipCSV(icBadrul+",2026,10,2026-10-23,E,0001,Gaji Pokok,1.00"))
		second <- err
	}()
	select {
	case err := <-second:
		t.Fatalf("second feed finished while the first held the lock: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "payslips"); n != 2 {
		t.Errorf("payslips = %d, want 2", n)
	}
}

// TestIdempotencyKey: the same key returns the first answer even for another body.
func TestIdempotencyKey(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "kedah")
	mustImport(t, s, Employees, employeesCSV)
	opts := Options{Actor: "test", IdempotencyKey: "py-2026-10-run-1"}
	first, err := importString(t, s, Payslips, payslipCSV(icAminah+",2026,10,2026-10-23,E,0001,Gaji Pokok,1.00"), opts)
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, s)
	again, err := importString(t, s, Payslips, payslipCSV(icBadrul+",2026,10,2026-10-23,E,0001,Gaji Pokok,1.00"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.BatchID != first.BatchID {
		t.Errorf("again = %+v, first = %+v", again, first)
	}
	assertUnchanged(t, before, snapshot(t, s))
	if _, err := importString(t, s, Payslips, payslipCSV(), Options{IdempotencyKey: strings.Repeat("k", 201)}); !errors.Is(err, ErrIdempotencyKey) {
		t.Errorf("long key: %v", err)
	}
}

// TestBrokenUploadLeavesTenantAsBefore: a stream still arriving holds neither a connection
// nor the tenant's feed lock (another feed of the same tenant goes through meanwhile), and an
// upload that breaks half-way writes nothing; the retry succeeds.
func TestBrokenUploadLeavesTenantAsBefore(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "perak")
	mustImport(t, s, Employees, employeesCSV)
	body := payslipCSV(manyLines(icAminah, 2026, 10, 400)...)
	pr, pw := io.Pipe()
	done := importAsync(s, pr)
	if _, err := pw.Write([]byte(body[:len(body)/2])); err != nil {
		t.Fatal(err)
	}
	// The upload is half-way: a feed of the same tenant is not kept waiting by it.
	if _, err := importString(t, s, Employees, employeesCSV); err != nil {
		t.Fatalf("a feed waited for an upload still arriving: %v", err)
	}
	before := snapshot(t, s)
	pw.CloseWithError(io.ErrUnexpectedEOF) // the sender's connection drops
	awaitFailure(t, done, "import succeeded on half a file", "import did not notice the upload broke")
	assertUnchanged(t, before, snapshot(t, s))
	res := mustImport(t, s, Payslips, body)
	if res.Inserted != 1 || res.Rows != 400 {
		t.Errorf("retry: %+v", res)
	}
}
