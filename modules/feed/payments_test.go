package feed

import (
	"errors"
	"strings"
	"testing"
)

const suppliersHeader = "reg_no,name,email,phone,bank_name,bank_account,status"

// TestSupplierFoundByEveryForm: a supplier registered as "201901000005 (1312525-A)" is the
// payee of payments sent with either form of its number.
func TestSupplierFoundByEveryForm(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "pahang")
	mustImport(t, s, Employees, employeesCSV)
	res := mustImport(t, s, Suppliers, csvLines(suppliersHeader,
		"201901000005 (1312525-A),Syarikat Contoh Sdn Bhd,akaun@contoh.example,03-12345678,Maybank,512345678901,active",
		"199501012345,Perniagaan Dua Enterprise,,,CIMB,8001234567,",
	))
	if res.Inserted != 2 {
		t.Fatalf("suppliers: %+v", res)
	}
	var supplierID int64
	if err := s.DB.Get(&supplierID, `SELECT id FROM suppliers WHERE reg_no_new = '201901000005' AND reg_no_old = '1312525A'`); err != nil {
		t.Fatal(err)
	}
	res = mustImport(t, s, Payments, paymentCSV(
		"supplier,1312525-A,Syarikat Contoh Sdn Bhd,PV-0001,V0001,EFT0001,2026-10-05,1500.00,sent_to_bank,PKN01,Bahagian Akaun,Bekalan alat tulis,512345678901,INV-1,1000.00",
		"supplier,1312525-A,Syarikat Contoh Sdn Bhd,PV-0001,V0001,EFT0001,2026-10-05,1500.00,sent_to_bank,PKN01,Bahagian Akaun,Bekalan alat tulis,512345678901,INV-2,500.00",
		"supplier,1312525A,Syarikat Contoh Sdn Bhd,PV-0002,V0002,EFT0002,2026-10-06,200.00,received_by_bank,PKN01,Bahagian Akaun,Servis,512345678901,INV-3,200.00",
		"supplier,201901000005,Syarikat Contoh Sdn Bhd,PV-0003,V0003,,2026-10-07,300.00,issued,PKN01,Bahagian Akaun,Servis,512345678901,INV-4,300.00",
		"staff,"+icAminah+",Aminah binti Ahmad,PV-0004,V0004,EFT0004,2026-10-08,150.00,sent_to_bank,JKR01,JKR Ibu Pejabat,Tuntutan lebih masa,12010012345678,,",
	))
	if res.Rows != 5 || res.Inserted != 4 {
		t.Fatalf("payments: %+v", res)
	}
	var refs []string
	if err := s.DB.Select(&refs, `SELECT ref FROM payments WHERE supplier_id = $1 ORDER BY ref`, supplierID); err != nil {
		t.Fatal(err)
	}
	if len(refs) != 3 || refs[0] != "PV-0001" || refs[2] != "PV-0003" {
		t.Errorf("payments of the supplier: %v", refs)
	}
	if n := count(t, s, "payment_invoices"); n != 4 {
		t.Errorf("invoices = %d, want 4", n)
	}
	var staffRef string
	if err := s.DB.Get(&staffRef, `SELECT ref FROM payments WHERE employee_ic = $1`, icAminah); err != nil || staffRef != "PV-0004" {
		t.Errorf("staff payment: %q, %v", staffRef, err)
	}

	// A supplier row with the old form only updates the same supplier.
	res = mustImport(t, s, Suppliers, csvLines(suppliersHeader,
		"1312525-A,Syarikat Contoh Sdn Bhd,bayaran@contoh.example,03-12345678,Maybank,512345678901,active"))
	if res.Updated != 1 || res.Inserted != 0 || count(t, s, "suppliers") != 2 {
		t.Errorf("update by old form: %+v", res)
	}
}

// TestPaymentStatusHistory: a payment is upserted by ref; a changed status is appended to
// its history, an unchanged payment is left alone.
func TestPaymentStatusHistory(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "terengganu")
	mustImport(t, s, Employees, employeesCSV)
	line := func(status string) string {
		return "staff," + icBadrul + ",Badrul bin Hashim,PV-9,V9,EFT9,2026-10-08,80.00," + status + ",JKR02,JKR Daerah Klang,Tuntutan perjalanan,514012345678,TNT-1,80.00"
	}
	mustImport(t, s, Payments, paymentCSV(line("sent_to_bank")))
	chong := "staff," + icChong + ",Chong Mei Ling,PV-10,V10,,2026-10-09,45.50,issued,PKN01,Bahagian Akaun,Tuntutan,7001234567,,"
	res := mustImport(t, s, Payments, paymentCSV(line("failed"), chong))
	if res.Inserted != 1 || res.Updated != 1 {
		t.Fatalf("second feed: %+v", res)
	}
	res = mustImport(t, s, Payments, paymentCSV(line("failed"), chong,
		"staff,"+icAminah+",Aminah binti Ahmad,PV-11,,,2026-10-10,10.00,cancelled,,,,,,"))
	if res.Inserted != 1 || res.Updated != 0 || res.Unchanged != 2 {
		t.Fatalf("third feed: %+v", res)
	}
	var history []string
	if err := s.DB.Select(&history, `SELECT h.status FROM payment_status_history h JOIN payments p ON p.id = h.payment_id
		WHERE p.ref = 'PV-9' ORDER BY h.id`); err != nil {
		t.Fatal(err)
	}
	if len(history) != 2 || history[0] != "sent_to_bank" || history[1] != "failed" {
		t.Errorf("history = %v", history)
	}
}

// TestPaymentRules: rows of one payment must agree, payees must be known, and a company
// number whose two forms name two suppliers is refused.
func TestPaymentRules(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "sabah")
	mustImport(t, s, Employees, employeesCSV)
	mustImport(t, s, Suppliers, csvLines(suppliersHeader, "201901000005,Syarikat Satu Sdn Bhd,,,,,", "1312525-A,Syarikat Dua Sdn Bhd,,,,,"))
	cases := []struct {
		name, body, column, code string
		line                     int
	}{
		{"rows disagree", paymentCSV(
			"staff,"+icAminah+",Aminah binti Ahmad,PV-1,V1,,2026-10-05,100.00,issued,,,,,A,60.00",
			"staff,"+icAminah+",Aminah binti Ahmad,PV-1,V1,,2026-10-06,100.00,issued,,,,,B,40.00"), "payment_date", CodeInconsistent, 3},
		{"duplicate invoice", paymentCSV(
			"staff,"+icAminah+",Aminah binti Ahmad,PV-1,V1,,2026-10-05,100.00,issued,,,,,A,60.00",
			"staff,"+icAminah+",Aminah binti Ahmad,PV-1,V1,,2026-10-05,100.00,issued,,,,,A,40.00"), "", CodeDuplicateRow, 3},
		{"unknown supplier", paymentCSV("supplier,202001099999,Tiada Sdn Bhd,PV-2,,,2026-10-05,5.00,issued,,,,,,"), "payee_id", CodeUnknownPayee, 2},
		{"unknown staff", paymentCSV("staff,800202-10-1234,Tiada,PV-3,,,2026-10-05,5.00,issued,,,,,,"), "payee_id", CodeUnknownPayee, 2},
		{"two suppliers", paymentCSV("supplier,201901000005 (1312525-A),Syarikat,PV-4,,,2026-10-05,5.00,issued,,,,,,"), "payee_id", CodeRegNoConflict, 2},
		{"invoice amount without number", paymentCSV("staff," + icAminah + ",Aminah,PV-5,,,2026-10-05,5.00,issued,,,,,,5.00"), "invoice_no", CodeRequired, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, s)
			res, err := importString(t, s, Payments, c.body)
			if !errors.Is(err, ErrInvalidFile) {
				t.Fatalf("err = %v", err)
			}
			if len(res.Errors) != 1 || res.Errors[0].Line != c.line || res.Errors[0].Column != c.column || res.Errors[0].Code != c.code {
				t.Errorf("errors = %+v, want line %d %q %s", res.Errors, c.line, c.column, c.code)
			}
			assertUnchanged(t, before, snapshot(t, s))
		})
	}
	// A supplier row whose two numbers belong to the two registered suppliers is refused too.
	res, err := importString(t, s, Suppliers, csvLines(suppliersHeader, "201901000005 (1312525-A),Syarikat,,,,,"))
	if !errors.Is(err, ErrInvalidFile) || len(res.Errors) != 1 || res.Errors[0].Code != CodeRegNoConflict {
		t.Errorf("supplier conflict: %v %+v", err, res)
	}
}

// TestStatements: EC items replace the statement's earlier set.
func TestStatements(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "perlis")
	mustImport(t, s, Employees, employeesCSV)
	header := "ic_no,year,employer_no,tax_no,section,code,description,amount"
	res := mustImport(t, s, Statements, csvLines(header,
		icAminah+",2025,E1234567,SG1001,B,B1a,Gaji kasar,61440.00",
		icAminah+",2025,E1234567,SG1001,B,B1b,Elaun,3600.00",
		icAminah+",2025,E1234567,SG1001,D,D1,PCB,2548.80",
		icBadrul+",2025,E1234567,,B,B1a,Gaji kasar,34686.00",
	))
	if res.Inserted != 2 || res.Rows != 4 {
		t.Fatalf("statements: %+v", res)
	}
	res = mustImport(t, s, Statements, csvLines(header,
		icAminah+",2025,E1234567,SG1001,B,B1a,Gaji kasar,61440.00",
		icAminah+",2025,E1234567,SG1001,D,D1,PCB,2548.80",
	))
	if res.Updated != 1 || count(t, s, "statement_items") != 3 {
		t.Errorf("replaced: %+v, items %d", res, count(t, s, "statement_items"))
	}
	_, err := importString(t, s, Statements, csvLines(header,
		icChong+",2025,E1234567,,B,B1a,Gaji kasar,1.00",
		icChong+",2025,E7654321,,B,B1b,Elaun,1.00",
		icChong+",2027,E1234567,,B,B1a,Gaji kasar,1.00",
	))
	if !errors.Is(err, ErrInvalidFile) {
		t.Errorf("inconsistent employer / future year: %v", err)
	}
}

// TestPaymentStatusDates: status_date is when the status happened. A feed without the column
// means the payment date; a new status appends its own date; the same status on another day
// corrects the latest entry instead of adding one; rows of a payment must agree on it and it
// cannot come before the payment.
func TestPaymentStatusDates(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "johor")
	mustImport(t, s, Employees, employeesCSV)
	withDate := func(lines ...string) string {
		return csvLines(append([]string{paymentsHeader + ",status_date"}, lines...)...)
	}
	line := func(status, date string) string {
		return "staff," + icBadrul + ",Badrul bin Hashim,PV-20,V20,EFT20,2025-12-16,80.00," + status +
			",JKR02,JKR Daerah Klang,Tuntutan perjalanan,514012345678,TNT-1,80.00," + date
	}
	history := func() string {
		t.Helper()
		var got []string
		if err := s.DB.Select(&got, `SELECT h.status || ' ' || to_char(h.status_date, 'YYYY-MM-DD')
			FROM payment_status_history h JOIN payments p ON p.id = h.payment_id WHERE p.ref = 'PV-20' ORDER BY h.id`); err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, ", ")
	}

	// The old format, without the column: the status is dated on the payment date.
	mustImport(t, s, Payments, paymentCSV(strings.TrimSuffix(line("sent_to_bank", ""), ",")))
	if got := history(); got != "sent_to_bank 2025-12-16" {
		t.Fatalf("without status_date: %s", got)
	}
	// The bank credited it two working days later.
	if res := mustImport(t, s, Payments, withDate(line("received_by_bank", "2025-12-18"))); res.Updated != 1 {
		t.Fatalf("new status: %+v", res)
	}
	// The accounting system corrects the day: same status, no second entry.
	if res := mustImport(t, s, Payments, withDate(line("received_by_bank", "2025-12-17"))); res.Updated != 1 {
		t.Fatalf("corrected date: %+v", res)
	}
	if got := history(); got != "sent_to_bank 2025-12-16, received_by_bank 2025-12-17" {
		t.Errorf("history: %s", got)
	}
	// The same payment in the next file changes nothing; an empty status_date means the
	// payment date.
	chong := "staff," + icChong + ",Chong Mei Ling,PV-21,V21,,2025-12-19,45.50,issued,PKN01,Bahagian Akaun,Tuntutan,7001234567,,,"
	if res := mustImport(t, s, Payments, withDate(line("received_by_bank", "2025-12-17"), chong)); res.Unchanged != 1 || res.Inserted != 1 {
		t.Errorf("next file: %+v", res)
	}
	mustImport(t, s, Payments, withDate(line("received_by_bank", "")))
	if got := history(); got != "sent_to_bank 2025-12-16, received_by_bank 2025-12-16" {
		t.Errorf("empty status_date: %s", got)
	}

	for _, c := range []struct {
		name, body, code string
		line             int
	}{
		{"not a date", withDate(line("failed", "17/12/2025")), CodeInvalidDate, 2},
		{"before the payment", withDate(line("failed", "2025-12-15")), CodeInvalidDate, 2},
		{"rows disagree", withDate(line("failed", "2025-12-17"),
			strings.Replace(line("failed", "2025-12-18"), "TNT-1", "TNT-2", 1)), CodeInconsistent, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, s)
			res, err := importString(t, s, Payments, c.body)
			if !errors.Is(err, ErrInvalidFile) {
				t.Fatalf("err = %v", err)
			}
			if len(res.Errors) != 1 || res.Errors[0].Column != "status_date" || res.Errors[0].Code != c.code || res.Errors[0].Line != c.line {
				t.Errorf("errors = %+v, want line %d status_date %s", res.Errors, c.line, c.code)
			}
			assertUnchanged(t, before, snapshot(t, s))
		})
	}
}

// Borang EC's part A through the employees feed: the optional kwap_no, perkeso_no and
// children columns are stored when given; a file without them (made before they existed)
// still imports. EC item codes are stored as the form spells them.
func TestEmployeesECParticularsAndECCodes(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "kelantan")
	mustImport(t, s, Employees, employeesCSV)
	mustImport(t, s, Employees, csvLines(employeesHeader+",kwap_no,perkeso_no,children",
		icAminah+",S1001,Aminah binti Ahmad,aminah@selangor.gov.my,03-55447788,JKR,Jabatan Kerja Raya,JKR01,JKR Ibu Pejabat,Jurutera,J41,Bank Islam,12010012345678,,SG1001,active,12345678,,3",
		icChong+",S1003,Chong Mei Ling,chong@selangor.gov.my,,PKN,Perbendaharaan Negeri,PKN01,Bahagian Akaun,Akauntan,WA41,CIMB,7001234567,KW2002,,active,,"+icChong+","))
	var got []struct {
		IC       string `db:"ic_no"`
		KWAP     string `db:"kwap_no"`
		PERKESO  string `db:"perkeso_no"`
		Children *int   `db:"children"`
	}
	if err := s.DB.Select(&got, `SELECT ic_no, kwap_no, perkeso_no, children FROM employees WHERE ic_no IN ($1, $2) ORDER BY ic_no DESC`, icAminah, icChong); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].KWAP != "12345678" || got[0].Children == nil || *got[0].Children != 3 ||
		got[1].PERKESO != icChong || got[1].Children != nil {
		t.Errorf("part A columns: %+v", got)
	}
	mustImport(t, s, Statements, csvLines(statementsHeader,
		icAminah+",2025,E1234567,SG1001,B Pendapatan Penggajian,b1A,Gaji kasar,61440.00",
		icAminah+",2025,E1234567,SG1001,D,d4b,Zakat (TP1),300.00"))
	var codes []string
	if err := s.DB.Select(&codes, `SELECT code FROM statement_items WHERE ic_no = $1 ORDER BY seq`, icAminah); err != nil {
		t.Fatal(err)
	}
	if len(codes) != 2 || codes[0] != "B1a" || codes[1] != "D4b" {
		t.Errorf("stored codes: %v", codes)
	}
}
