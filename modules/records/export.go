package records

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/retention"
	"github.com/speks-portal/speks/tenant"
)

// exportTimeout bounds the whole streamed export (a person has at most a few dozen records
// inside the retention window).
const exportTimeout = 2 * time.Minute

// exportLabels are the messages the export's PDFs print, translated before streaming starts
// because the request is gone by the time the body is written.
func exportLabels(c *fiber.Ctx) Labeller {
	L := labeller(c)
	cache := map[string]string{}
	for _, id := range labelIDs {
		cache[id] = L(id)
	}
	return func(id string) string {
		if s, ok := cache[id]; ok {
			return s
		}
		return id
	}
}

// export is GET /api/v1/account/export: a ZIP of the person's payslips and EC statements
// (JSON and PDF each) and payments (the list as JSON), streamed as it is built. Payment
// details and advices are left out: they open only with the account number (PK 0102).
func (m *Module) export(c *fiber.Ctx) error {
	w := whoOf(c)
	crest, err := m.crest(c.UserContext(), w.scope)
	if err != nil {
		return err
	}
	job := &exporter{db: w.scope.DB, crest: crest, ic: w.p.EmployeeIC, payee: w.payee(), base: baseURL(c),
		issuer: issuer(c, w.scope.Tenant), L: exportLabels(c), from: m.retentionStart(w), to: m.today()}
	if err := w.audit(c.UserContext(), ActionExport, "account export", map[string]any{"ip": clientIP(c)}); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="speks-export-`+m.today().Format("20060102")+`.zip"`)
	c.Context().SetBodyStreamWriter(func(out *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		if err := job.write(ctx, out); err != nil {
			// The status is already sent; a cut-off ZIP fails to open, which tells the user.
			slog.ErrorContext(ctx, "account export failed", "user_id", w.p.UserID, "err", err)
		}
	})
	return nil
}

func (m *Module) retentionStart(w who) time.Time {
	return m.today().AddDate(0, -m.retentionMonths(w), 0)
}

// retentionMonths is the state's retention period (24 months unless it set another).
func (m *Module) retentionMonths(w who) int {
	if months := w.scope.Tenant.RetentionMonths; months > 0 {
		return months
	}
	return 24
}

// retentionCutoffs are the retention job's limits today: payslips of a month before cutoff
// and EC statements of a year before statementsBefore are no longer kept.
func (m *Module) retentionCutoffs(w who) (cutoff time.Time, statementsBefore int) {
	cutoff, statementsBefore, _ = retention.Cutoffs(m.today(), m.retentionMonths(w))
	return cutoff, statementsBefore
}

type exporter struct {
	db       *tenant.DB
	ic       string
	payee    Payee
	base     string
	issuer   string
	crest    *pdfLogo
	L        Labeller
	from, to time.Time
	zw       *zip.Writer
}

func (e *exporter) write(ctx context.Context, out *bufio.Writer) error {
	e.zw = zip.NewWriter(out)
	if err := e.payslips(ctx); err != nil {
		return err
	}
	if err := e.statements(ctx); err != nil {
		return err
	}
	payments, err := ListPayments(ctx, e.db, e.payee, e.from, e.to)
	if err != nil {
		return err
	}
	if err := e.json("payments.json", payments); err != nil {
		return err
	}
	if err := e.zw.Close(); err != nil {
		return fmt.Errorf("export zip: %w", err)
	}
	return out.Flush()
}

func (e *exporter) payslips(ctx context.Context) error {
	years, err := PayslipYears(ctx, e.db, e.ic)
	if err != nil {
		return err
	}
	for _, year := range years {
		list, err := ListPayslips(ctx, e.db, e.ic, year)
		if err != nil {
			return err
		}
		for _, s := range list {
			ps, err := PayslipWithToken(ctx, e.db, e.ic, s.Year, s.Month, e.base)
			if err != nil {
				return err
			}
			name := fmt.Sprintf("payslips/%04d-%02d", s.Year, s.Month)
			if err := e.json(name+".json", ps); err != nil {
				return err
			}
			if err := e.pdf(name+".pdf", payslipDoc(ps, e.issuer, e.L)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *exporter) statements(ctx context.Context) error {
	years, err := ListStatements(ctx, e.db, e.ic)
	if err != nil {
		return err
	}
	for _, y := range years {
		st, err := StatementWithToken(ctx, e.db, e.ic, y.Year, e.issuer, e.base)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("statements/ec-%04d", y.Year)
		if err := e.json(name+".json", st); err != nil {
			return err
		}
		if err := e.pdf(name+".pdf", statementDoc(st, e.issuer, e.L)); err != nil {
			return err
		}
	}
	return nil
}

func (e *exporter) json(name string, v any) error {
	f, err := e.zw.Create(name)
	if err != nil {
		return fmt.Errorf("export %s: %w", name, err)
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("export %s: %w", name, err)
	}
	return nil
}

func (e *exporter) pdf(name string, d *pdfDoc) error {
	d.Logo = e.crest
	buf, err := renderPDF(d)
	if err != nil {
		return err
	}
	// PDFs are compressed already: store them as they are.
	f, err := e.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: time.Now()})
	if err != nil {
		return fmt.Errorf("export %s: %w", name, err)
	}
	if _, err := f.Write(buf); err != nil {
		return fmt.Errorf("export %s: %w", name, err)
	}
	return nil
}

// labelIDs are the messages documents print.
var labelIDs = []string{
	"records_month_1", "records_month_2", "records_month_3", "records_month_4", "records_month_5", "records_month_6",
	"records_month_7", "records_month_8", "records_month_9", "records_month_10", "records_month_11", "records_month_12",
	"records_doc_payslip", "records_doc_statement", "records_doc_payment", "records_name", "records_ic",
	"records_salary_no", "records_position", "records_grade", "records_department", "records_ptj", "records_pay_date",
	"records_bank", "records_account", "records_earnings", "records_deductions", "records_gross",
	"records_total_deductions", "records_net", "records_ytd_gross", "records_ytd_deductions", "records_ytd_net",
	"records_year", "records_employer", "records_employer_no", "records_tax_no", "records_kwsp_no",
	"records_section_total", "records_verify_note", "records_page", "records_page_of",
}
