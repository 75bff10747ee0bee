package records

import (
	"context"
	"embed"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/guard"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
)

//go:embed static
var staticFiles embed.FS

// mountPages adds the HTML pages: the home summary, ePayslip, eEC and eMaklum (PK 0102–0104).
// They use the same loaders as the API, so what a page shows is what the JSON says.
func (m *Module) mountPages(app *fiber.App) {
	app.Get("/records/:file", serveStatic)
	app.Get("/home", guard.Page, m.homePage)
	app.Get("/payslips", guard.Page, m.payslipsPage)
	app.Get("/payslips/:year/:month", guard.Page, m.payslipPage)
	app.Get("/statements", guard.Page, m.statementsPage)
	app.Get("/statements/:year", guard.Page, m.statementPage)
	app.Get("/payments", guard.Page, m.paymentsPage)
	app.Get("/payments/:ref", guard.Page, m.paymentPage)
	app.Post("/payments/:ref", guard.Page, m.paymentAccountPage)
}

// serveStatic serves the module's stylesheet and print script; the CSP allows them because
// they come from this origin.
func serveStatic(c *fiber.Ctx) error {
	name := c.Params("file")
	types := map[string]string{"records.css": "text/css; charset=utf-8", "print.js": "text/javascript; charset=utf-8"}
	ct, ok := types[name]
	if !ok {
		return fault.New(fault.NotFound, "not_found", nil)
	}
	buf, err := staticFiles.ReadFile("static/" + name)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(buf)
}

// loanKinds are the deductions the home page sums up as "Maklumat Pinjaman": housing loans
// (LPPSA), cooperatives and ANGKASA's collections, found by their description.
var loanKinds = []string{"LPPSA", "KOPERASI", "ANGKASA"}

func isLoan(l Line) bool {
	d := strings.ToUpper(l.Description)
	for _, k := range loanKinds {
		if strings.Contains(d, k) {
			return true
		}
	}
	return false
}

type homeData struct {
	Supplier bool
	Latest   *PayslipSummary
	Loans    []Line
	Years    []StatementYear
	Payments []PaymentSummary
	Month    string
}

// homePage is the summary after login: latest payslip, EC years, recent payments and the
// loans and deductions of the latest payslip. Suppliers see their payments only.
func (m *Module) homePage(c *fiber.Ctx) error {
	w := whoOf(c)
	if roles := w.p.ActsAs(); !slices.Contains(roles, "staff") && !slices.Contains(roles, "supplier") {
		// An officer with no records of their own starts where their roles lead (their console).
		return c.Redirect(web.HomeURL(c), fiber.StatusSeeOther)
	}
	d := homeData{Supplier: w.p.Category == "supplier"}
	// The home page's half a dozen reads share one transaction: each read alone would pay the
	// tenant handle's BEGIN + SET LOCAL and COMMIT round trips (tenant/pooldriver.go).
	err := tenant.InTx(c.UserContext(), w.scope.DB, func(tx *sqlx.Tx) error {
		return m.homeReads(c, w, tx, &d)
	})
	if err != nil {
		return err
	}
	return web.Render(c, "records/home", d)
}

func (m *Module) homeReads(c *fiber.Ctx, w who, db sqlx.QueryerContext, d *homeData) error {
	today := m.today()
	pays, err := ListPayments(c.UserContext(), db, w.payee(), today.AddDate(0, -defaultRangeMonths, 0), today)
	if err != nil {
		return err
	}
	d.Payments = pays[:min(len(pays), 5)]
	if d.Supplier {
		return nil
	}
	return m.homeStaff(c, w, db, d)
}

func (m *Module) homeStaff(c *fiber.Ctx, w who, db sqlx.QueryerContext, d *homeData) error {
	ctx := c.UserContext()
	years, err := PayslipYears(ctx, db, w.p.EmployeeIC)
	if err != nil {
		return err
	}
	if len(years) > 0 {
		list, err := ListPayslips(ctx, db, w.p.EmployeeIC, years[0])
		if err != nil {
			return err
		}
		d.Latest = &list[0]
		d.Month = period(labeller(c), d.Latest.Year, d.Latest.Month)
		ps, err := LoadPayslip(ctx, db, w.p.EmployeeIC, d.Latest.Year, d.Latest.Month)
		if err != nil {
			return err
		}
		for _, l := range ps.Deductions {
			if isLoan(l) {
				d.Loans = append(d.Loans, l)
			}
		}
	}
	d.Years, err = ListStatements(ctx, db, w.p.EmployeeIC)
	return err
}

type payslipsData struct {
	Year   int
	Years  []int
	Months []monthRow
	Kept   int // the state's retention period in months
}

type monthRow struct {
	PayslipSummary
	Name string
	URL  string
}

// payslipsPage is PK 0103 steps 6–9: choose a year → the year's payslips → a payslip.
func (m *Module) payslipsPage(c *fiber.Ctx) error {
	w := whoOf(c)
	ctx, db := c.UserContext(), w.scope.DB
	years, err := PayslipYears(ctx, db, w.p.EmployeeIC)
	if err != nil {
		return err
	}
	d := payslipsData{Year: m.today().Year(), Years: years, Kept: m.retentionMonths(w)}
	if len(years) > 0 {
		d.Year = years[0]
	}
	if y, err := strconv.Atoi(c.Query("year")); err == nil && y >= 1990 && y <= 2200 {
		d.Year = y
	}
	if month, err := strconv.Atoi(c.Query("month")); err == nil && month >= 1 && month <= 12 {
		return c.Redirect("/payslips/"+strconv.Itoa(d.Year)+"/"+strconv.Itoa(month), fiber.StatusSeeOther)
	}
	list, err := ListPayslips(ctx, db, w.p.EmployeeIC, d.Year)
	if err != nil {
		return err
	}
	L := labeller(c)
	for _, s := range list {
		d.Months = append(d.Months, monthRow{PayslipSummary: s, Name: monthName(L, s.Month),
			URL: "/payslips/" + strconv.Itoa(s.Year) + "/" + strconv.Itoa(s.Month)})
	}
	return web.Render(c, "records/payslips", d)
}

type payslipData struct {
	*Payslip
	Period   string
	PrevName string
	Changes  []Change
	HasPrev  bool
	PDFURL   string
}

// payslipPage shows one payslip laid out like the printed one, with what changed since the
// previous month. The previous month's lines are read in the payslip's own transaction.
func (m *Module) payslipPage(c *fiber.Ctx) error {
	var prev *Payslip
	ps, _, err := m.loadPayslip(c, ActionPayslipView, func(ctx context.Context, tx *sqlx.Tx, ps *Payslip) error {
		py, pm := previousMonth(ps.Year, ps.Month)
		var err error
		if prev, err = previousLines(ctx, tx, ps.Employee.ic, py, pm); errors.Is(err, ErrNotFound) {
			return nil // the first payslip: nothing to compare with
		}
		return err
	})
	if err != nil {
		return err
	}
	L := labeller(c)
	d := payslipData{Payslip: ps, Period: period(L, ps.Year, ps.Month),
		PDFURL: "/api/v1/payslips/" + strconv.Itoa(ps.Year) + "/" + strconv.Itoa(ps.Month) + ".pdf"}
	if prev != nil {
		d.HasPrev, d.PrevName, d.Changes = true, period(L, prev.Year, prev.Month), Compare(prev, ps)
	}
	return web.Render(c, "records/payslip", d)
}

func (m *Module) statementsPage(c *fiber.Ctx) error {
	w := whoOf(c)
	years, err := ListStatements(c.UserContext(), w.scope.DB, w.p.EmployeeIC)
	if err != nil {
		return err
	}
	if y := c.Query("year"); y != "" {
		if n, err := strconv.Atoi(y); err == nil {
			return c.Redirect("/statements/"+strconv.Itoa(n), fiber.StatusSeeOther)
		}
	}
	return web.Render(c, "records/statements", years)
}

type statementData struct {
	*Statement
	PDFURL string
}

func (m *Module) statementPage(c *fiber.Ctx) error {
	st, w, err := m.loadStatement(c)
	if err != nil {
		return err
	}
	if err := auditStatement(c, w, ActionStatementView, st); err != nil {
		return err
	}
	return web.Render(c, "records/statement", statementData{Statement: st, PDFURL: "/api/v1/statements/" + strconv.Itoa(st.Year) + ".pdf"})
}

type paymentsData struct {
	From, To string
	Payments []PaymentSummary
	Error    string
}

// paymentsPage is PK 0102 steps 6–9: a date range → the payee's payments, each cheque/EFT
// number linking to the account-number form.
func (m *Module) paymentsPage(c *fiber.Ctx) error {
	w := whoOf(c)
	from, to, err := m.dateRange(c, w)
	d := paymentsData{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly)}
	if coded, ok := fault.As(err); ok {
		// A bad range is answered on the form itself, in the reader's language.
		d.Error = web.T(c, coded.MessageKey, coded.Params)
		d.From, d.To = c.Query("from"), c.Query("to")
		c.Status(web.StatusOf(err))
		return web.Render(c, "records/payments", d)
	}
	if err != nil {
		return err
	}
	if d.Payments, err = ListPayments(c.UserContext(), w.scope.DB, w.payee(), from, to); err != nil {
		return err
	}
	return web.Render(c, "records/payments", d)
}

type paymentData struct {
	Ref     string
	Summary *PaymentSummary
	Detail  *Payment
	Error   string
	PDFURL  string
}

// paymentPage shows the account-number form (PK 0102 step 10), or the detail while the
// payment is unlocked.
func (m *Module) paymentPage(c *fiber.Ctx) error {
	w := whoOf(c)
	ref := c.Params("ref")
	row, err := findPayment(c.UserContext(), w.scope.DB, w.payee(), ref)
	if errors.Is(err, ErrNotFound) {
		return paymentNotFound(c, w)
	}
	if err != nil {
		return err
	}
	summary := row.withheld()
	d := paymentData{Ref: ref, Summary: &summary}
	ok, err := isUnlocked(c.UserContext(), w.scope.DB, w.p.UserID, row.ID)
	if err != nil {
		return err
	}
	if ok {
		if d.Detail, err = paymentWithToken(c.UserContext(), w.scope.DB, row, baseURL(c)); err != nil {
			return err
		}
		d.Summary = &row.PaymentSummary
		if err := w.audit(c.UserContext(), ActionPaymentDetailsView, "payment "+ref, map[string]any{"ip": clientIP(c)}); err != nil {
			return err
		}
		d.PDFURL = "/api/v1/payments/" + url.PathEscape(ref) + ".pdf"
	}
	return web.Render(c, "records/payment", d)
}

// paymentAccountPage checks the typed account number and shows the detail on a match; a
// mismatch or the throttle is answered on the form.
func (m *Module) paymentAccountPage(c *fiber.Ctx) error {
	w := whoOf(c)
	ref := c.Params("ref")
	row, err := m.checkAccount(c, w, ref, accountInput{AccountNo: c.FormValue("account_no"), ChequeNo: c.FormValue("cheque_no")})
	if coded, ok := fault.As(err); ok && coded.Kind != fault.NotFound {
		found, ferr := findPayment(c.UserContext(), w.scope.DB, w.payee(), ref)
		if ferr != nil {
			return ferr
		}
		summary := found.withheld()
		c.Status(web.StatusOf(err))
		return web.Render(c, "records/payment", paymentData{Ref: ref, Summary: &summary, Error: web.T(c, coded.MessageKey, coded.Params)})
	}
	if err != nil {
		return err
	}
	p, err := paymentWithToken(c.UserContext(), w.scope.DB, row, baseURL(c))
	if err != nil {
		return err
	}
	return web.Render(c, "records/payment", paymentData{Ref: ref, Summary: &row.PaymentSummary, Detail: p,
		PDFURL: "/api/v1/payments/" + url.PathEscape(ref) + ".pdf"})
}
