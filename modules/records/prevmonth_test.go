package records

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/tenant"
)

// The page reads only the previous month's lines, inside the payslip's own transaction: what
// it finds must compare exactly as the whole previous payslip would, a first payslip has
// nothing to compare with, and the view is audited once whatever the page read besides.
func TestPayslipPageReadsThePreviousMonthInItsTransaction(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	db := f.scopes["kelantan"].DB

	oct, err := LoadPayslip(ctx, db, icAminah, 2026, 10)
	if err != nil {
		t.Fatal(err)
	}
	sept, err := LoadPayslip(ctx, db, icAminah, 2026, 9)
	if err != nil {
		t.Fatal(err)
	}
	err = tenant.InTx(ctx, db, func(tx *sqlx.Tx) error {
		prev, err := previousLines(ctx, tx, icAminah, 2026, 9)
		if err != nil {
			return err
		}
		if prev.Year != 2026 || prev.Month != 9 || len(prev.Earnings) != 2 || len(prev.Deductions) != 4 ||
			prev.Deductions[0].Code != "4001" || prev.Deductions[3].Code != "5201" {
			t.Errorf("previous month's lines: %+v", prev)
		}
		if got, want := Compare(prev, oct), Compare(sept, oct); !reflect.DeepEqual(got, want) {
			t.Errorf("lines alone compare as %+v, the whole payslip as %+v", got, want)
		}
		if _, err := previousLines(ctx, tx, icAminah, 2026, 8); !errors.Is(err, ErrNotFound) {
			t.Errorf("a month without a payslip: %v", err)
		}
		if _, err := previousLines(ctx, tx, icBadrul, 2026, 9); !errors.Is(err, ErrNotFound) {
			t.Errorf("another person's month: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	before := f.auditCount(t, "kelantan", 1, ActionPayslipView)
	r := f.do(t, http.MethodGet, "kelantan", "aminah", "/payslips/2026/9?lang=en", "")
	if r.Status != http.StatusOK {
		t.Fatalf("first payslip page: %d", r.Status)
	}
	contains(t, "first payslip", r, "There is no payslip of the previous month to compare with.", "Gaji Pokok")
	r = f.do(t, http.MethodGet, "kelantan", "aminah", "/payslips/2026/10?lang=en", "")
	contains(t, "second payslip", r, "Changes since September 2026", `data-change="changed"><td>5201`)
	if got := f.auditCount(t, "kelantan", 1, ActionPayslipView) - before; got != 2 {
		t.Errorf("two page views wrote %d audit rows", got)
	}
}
