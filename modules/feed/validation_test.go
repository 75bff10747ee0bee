package feed

import (
	"errors"
	"strings"
	"testing"
)

const paymentsHeader = "payee_type,payee_id,payee_name,ref,voucher_no,cheque_eft_no,payment_date,amount,status,ptj_code,ptj_name,description,bank_account,invoice_no,invoice_amount"

func paymentCSV(lines ...string) string {
	return csvLines(append([]string{paymentsHeader}, lines...)...)
}

// TestBadFiles: every kind of bad file is refused with its error, at its line and column,
// and the tenant is exactly as before.
func TestBadFiles(t *testing.T) {
	s, good := refusalTenant(t)

	cases := []struct {
		name   string
		kind   Kind
		body   string
		line   int
		column string
		code   string
	}{
		{"bad IC", Payslips, payslipCSV(good, "850314-00-5523,2026,10,2026-10-23,E,0002,Elaun,1.00"), 3, "ic_no", CodeInvalidIC},
		{"bad birth date in IC", Payslips, payslipCSV("851314-10-5523,2026,10,2026-10-23,E,0002,Elaun,1.00"), 2, "ic_no", CodeInvalidIC},
		{"bad date", Payslips, payslipCSV(icAminah + ",2026,10,2026-02-30,E,0001,Gaji Pokok,5120.00"), 2, "pay_date", CodeInvalidDate},
		{"date in another format", Payslips, payslipCSV(icAminah + ",2026,10,23/10/2026,E,0001,Gaji Pokok,5120.00"), 2, "pay_date", CodeInvalidDate},
		{"3-decimal amount", Payslips, payslipCSV(good, icAminah+",2026,10,2026-10-23,E,0002,Elaun,12.345"), 3, "amount", CodeTooManyDecimals},
		{"amount with separators", Payslips, payslipCSV(icAminah + ",2026,10,2026-10-23,E,0001,Gaji Pokok,\"5,120.00\""), 2, "amount", CodeInvalidAmount},
		{"negative payslip line", Payslips, payslipCSV(icAminah + ",2026,10,2026-10-23,E,0001,Gaji Pokok,-1.00"), 2, "amount", CodeAmountSign},
		{"month 13", Payslips, payslipCSV(icAminah + ",2026,13,2026-10-23,E,0001,Gaji Pokok,1.00"), 2, "month", CodeInvalidMonth},
		{"year far ahead", Payslips, payslipCSV(icAminah + ",2031,1,2031-01-23,E,0001,Gaji Pokok,1.00"), 2, "year", CodeInvalidYear},
		{"kind not E or D", Payslips, payslipCSV(icAminah + ",2026,10,2026-10-23,X,0001,Gaji Pokok,1.00"), 2, "kind", CodeInvalidValue},
		{"unknown status", Payments, paymentCSV("staff," + icAminah + ",Aminah binti Ahmad,PV-1,V1,EFT1,2026-10-05,150.00,paid,PKN01,Bahagian Akaun,Tuntutan lebih masa,12010012345678,,"), 2, "status", CodeInvalidStatus},
		{"payment of zero", Payments, paymentCSV("staff," + icAminah + ",Aminah binti Ahmad,PV-1,V1,EFT1,2026-10-05,0.00,issued,PKN01,Bahagian Akaun,Tuntutan,12010012345678,,"), 2, "amount", CodeAmountSign},
		{"unknown column", Payslips, csvLines(payslipsHeader+",bonus", good+",1"), 1, "bonus", CodeUnknownColumn},
		{"missing column", Payslips, csvLines("ic_no,year,month,pay_date,kind,code,amount", icAminah+",2026,10,2026-10-23,E,0001,5120.00"), 1, "description", CodeMissingColumn},
		{"duplicate column", Payslips, csvLines(payslipsHeader+",amount", good+",1.00"), 1, "amount", CodeDuplicateColumn},
		{"empty file", Payslips, "", 1, "", CodeEmptyFile},
		{"duplicate line", Payslips, payslipCSV(good, icAminah+",2026,10,2026-10-23,E,0001,Gaji Pokok (ulang),10.00"), 3, "", CodeDuplicateRow},
		{"two pay dates on one payslip", Payslips, payslipCSV(good, icAminah+",2026,10,2026-10-25,E,0002,Elaun,1.00"), 3, "pay_date", CodeInconsistent},
		{"ragged row", Payslips, payslipCSV(good, icAminah+",2026,10,2026-10-23,E,0002,Elaun"), 3, "", CodeRaggedRow},
		{"bare quote", Payslips, payslipCSV(good, icAminah+",2026,10,2026-10-23,E,0002,Elaun \"Khas\" Negeri,1.00"), 3, "", CodeMalformedCSV},
		{"bad UTF-8", Payslips, payslipCSV(good, icAminah+",2026,10,2026-10-23,E,0002,Elaun \xff\xfe,1.00"), 3, "description", CodeInvalidUTF8},
		{"NUL character", Payslips, payslipCSV(good, icAminah+",2026,10,2026-10-23,E,0002,Elaun\x00,1.00"), 3, "description", CodeInvalidCharacter},
		{"field too long", Payslips, payslipCSV(good, icAminah+",2026,10,2026-10-23,E,0002,"+strings.Repeat("a", 201)+",1.00"), 3, "description", CodeTooLong},
		{"5 MB single field", Payslips, payslipCSV(good, icAminah+",2026,10,2026-10-23,E,0002,\""+strings.Repeat("x", 5<<20)+"\",1.00"), 3, "", CodeRecordTooLarge},
		{"5 MB unquoted field", Payslips, payslipCSV(good, icAminah+",2026,10,2026-10-23,E,0002,"+strings.Repeat("y", 5<<20)+",1.00"), 3, "", CodeRecordTooLarge},
		{"unknown employee", Payslips, payslipCSV(good, "800202-10-1234,2026,10,2026-10-23,E,0001,Gaji Pokok,1.00"), 3, "ic_no", CodeUnknownEmployee},
		{"item not on Borang EC", Statements, csvLines(statementsHeader, icAminah+",2025,E1234567,SG1001,B,B1a,Gaji kasar,61440.00", icAminah+",2025,E1234567,SG1001,B,B9,Elaun,1.00"), 3, "code", CodeUnknownECItem},
		{"EC item in another part", Statements, csvLines(statementsHeader, icAminah+",2025,E1234567,SG1001,D Potongan,E1,Caruman KWSP,1.00"), 2, "section", CodeECPartMismatch},
		{"children not a number", Employees, csvLines(employeesHeader+",kwap_no,perkeso_no,children", icAminah+",S1001,Aminah binti Ahmad,,,JKR,Jabatan Kerja Raya,JKR01,JKR Ibu Pejabat,,,,,,,,12345678,,-1"), 2, "children", CodeInvalidValue},
		{"bad company number", Suppliers, csvLines("reg_no,name,email,phone,bank_name,bank_account,status", "1312525-AB,Syarikat Contoh Sdn Bhd,,,,,"), 2, "reg_no", CodeInvalidRegNo},
		{"bad email", Employees, csvLines(employeesHeader, icAminah+",S1001,Aminah binti Ahmad,aminah@,,JKR,Jabatan Kerja Raya,JKR01,JKR Ibu Pejabat,,,,,,,"), 2, "email", CodeInvalidEmail},
		{"required value missing", Employees, csvLines(employeesHeader, icAminah+",,Aminah binti Ahmad,,,JKR,Jabatan Kerja Raya,JKR01,JKR Ibu Pejabat,,,,,,,"), 2, "salary_no", CodeRequired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, s)
			res, err := importString(t, s, c.kind, c.body)
			if !errors.Is(err, ErrInvalidFile) {
				t.Fatalf("err = %v, want ErrInvalidFile", err)
			}
			found := false
			for _, e := range res.Errors {
				if e.Line == c.line && e.Column == c.column && e.Code == c.code && e.Message != "" {
					found = true
				}
			}
			if !found {
				t.Errorf("want {line %d, column %q, code %s}; got %+v", c.line, c.column, c.code, res.Errors)
			}
			assertUnchanged(t, before, snapshot(t, s))
		})
	}
}

// TestEveryErrorIsListed: one answer lists the errors of every row, row checks and set
// checks together.
func TestEveryErrorIsListed(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "melaka")
	mustImport(t, s, Employees, employeesCSV)
	res, err := importString(t, s, Payslips, payslipCSV(
		"850314-00-5523,2026,10,2026-10-23,E,0001,Gaji Pokok,1.00",
		icAminah+",2026,10,2026-10-32,E,0001,Gaji Pokok,1.00",
		icAminah+",2026,10,2026-10-23,E,0002,Elaun,1.005",
		icBadrul+",2026,10,2026-10-23,E,0001,Gaji Pokok,1.00",
		icBadrul+",2026,10,2026-10-23,E,0001,Gaji Pokok,1.00",
		icChong+",2026,10,2026-10-23,E,0001,Gaji Pokok,1.00",
		icChong+",2026,10,2026-10-24,D,4001,PCB,1.00",
		"800202-10-1234,2026,10,2026-10-23,E,0001,Gaji Pokok,1.00",
	))
	if !errors.Is(err, ErrInvalidFile) {
		t.Fatalf("err = %v", err)
	}
	want := []struct {
		line int
		code string
	}{{2, CodeInvalidIC}, {3, CodeInvalidDate}, {4, CodeTooManyDecimals}, {6, CodeDuplicateRow},
		{8, CodeInconsistent}, {9, CodeUnknownEmployee}}
	if len(res.Errors) != len(want) {
		t.Fatalf("errors = %+v, want %d", res.Errors, len(want))
	}
	for i, w := range want {
		if res.Errors[i].Line != w.line || res.Errors[i].Code != w.code {
			t.Errorf("error %d = %+v, want line %d %s", i, res.Errors[i], w.line, w.code)
		}
	}
}

// TestCSVDialect: BOM, CRLF, any column order, quoted commas and newlines, surrounding
// spaces, and formula-looking text kept as text.
func TestCSVDialect(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "selangor")
	mustImport(t, s, Employees, employeesCSV)
	body := "\xef\xbb\xbfamount,description,code,kind,pay_date,month,year,ic_no\r\n" +
		"5120.00,Gaji Pokok,0001,E,2026-10-23,10,2026,850314-10-5523\r\n" +
		"\"300.00\",\"Elaun, Khas\r\nbaris kedua\",0102,e,2026-10-23,10,2026, 850314105523 \r\n" +
		"1.00,\"=HYPERLINK(\"\"http://example.test\"\",\"\"klik\"\")\",0103,E,2026-10-23,10,2026,850314105523\r\n" +
		"2.00,+60123456789,0104,E,2026-10-23,10,2026,850314105523\r\n" +
		"3.00,@SUM(A1:A2),0105,D,2026-10-23,10,2026,850314105523\r\n"
	res := mustImport(t, s, Payslips, body)
	if res.Rows != 5 || res.Inserted != 1 {
		t.Fatalf("result %+v", res)
	}
	var descs []string
	if err := s.DB.Select(&descs, `SELECT description FROM payslip_lines WHERE ic_no = $1 ORDER BY seq`, icAminah); err != nil {
		t.Fatal(err)
	}
	want := []string{"Gaji Pokok", "Elaun, Khas\nbaris kedua", `=HYPERLINK("http://example.test","klik")`, "+60123456789", "@SUM(A1:A2)"}
	if strings.Join(descs, "|") != strings.Join(want, "|") {
		t.Errorf("descriptions = %q, want %q", descs, want)
	}
}

// TestTooManyErrors: a wholly wrong file gives a bounded answer.
func TestTooManyErrors(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "perak")
	lines := make([]string, 0, 3000)
	for range 3000 {
		lines = append(lines, "850314-00-5523,2026,10,2026-10-23,E,0001,Gaji Pokok,1.00")
	}
	res, err := importString(t, s, Payslips, payslipCSV(lines...))
	if !errors.Is(err, ErrInvalidFile) {
		t.Fatalf("err = %v", err)
	}
	if len(res.Errors) != maxErrors+1 || res.Errors[maxErrors].Code != CodeTooManyErrors {
		t.Errorf("errors: %d, last %+v", len(res.Errors), res.Errors[len(res.Errors)-1])
	}
}
