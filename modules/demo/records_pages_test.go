package demo

import (
	"context"
	"testing"

	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// TestRecordsPagesCoverEveryone: fed seven people and seven suppliers at a time, the records
// reach everyone; fed again in one page, the files differ but no record is written.
func TestRecordsPagesCoverEveryone(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t, 2)
	ctx := context.Background()
	state := &States()[2]
	tn := env.Tenant(t, state.Spec.Code, state.Spec.RegistrationMode)
	scope := &tenant.Scope{Tenant: tn, DB: env.DB(t, tn)}
	if _, err := seed(ctx, scope.DB, state, 30, 11); err != nil {
		t.Fatal(err)
	}
	paged := newRecordsFeeder(scope, state, ReferenceDate)
	paged.page = 7
	if err := paged.run(ctx); err != nil {
		t.Fatal(err)
	}
	// 5 staff pages × (24 payslip + 2 EC files, and a claims file for each month in which
	// someone of the page claimed), and 2 supplier pages × the months with a payment.
	if paged.files < 5*26+12 || paged.replayed != 0 || paged.updated != 0 || paged.unchanged != 0 {
		t.Errorf("paged run: %d files (%d replayed), %d updated, %d unchanged", paged.files, paged.replayed, paged.updated, paged.unchanged)
	}
	var payslips, statements, suppliersPaid int
	if err := scope.DB.QueryRow(`SELECT (SELECT count(*) FROM payslips), (SELECT count(*) FROM statements),
		(SELECT count(DISTINCT supplier_id) FROM payments)`).Scan(&payslips, &statements, &suppliersPaid); err != nil {
		t.Fatal(err)
	}
	if payslips != 30*24 || statements != 30*2 || suppliersPaid != 11 {
		t.Errorf("%d payslips, %d statements, %d suppliers paid; want %d, %d, 11", payslips, statements, suppliersPaid, 30*24, 30*2)
	}

	// A month's claims file can come out the same in both runs (when only one page's people
	// claimed that month): the feed replays it; every other file is new, its records unchanged.
	written := func() (s string) {
		if err := scope.DB.Get(&s, `SELECT coalesce(greatest((SELECT max(updated_at) FROM payslips),
			(SELECT max(updated_at) FROM statements), (SELECT max(updated_at) FROM payments))::text, '')`); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := written()
	whole := newRecordsFeeder(scope, state, ReferenceDate)
	if err := whole.run(ctx); err != nil {
		t.Fatal(err)
	}
	if whole.inserted != 0 || whole.updated != 0 || whole.unchanged == 0 || whole.unchanged > paged.inserted ||
		whole.files-whole.replayed < 26+12 || written() != before {
		t.Errorf("one page after seven: %d files, %d replayed, %d inserted, %d updated, %d unchanged (of %d)",
			whole.files, whole.replayed, whole.inserted, whole.updated, whole.unchanged, paged.inserted)
	}
}
