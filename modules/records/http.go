package records

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/guard"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

//go:embed templates
var templateFiles embed.FS

// Module serves the records API, the records pages and /verify.
type Module struct {
	// Now is the clock (Malaysian dates are derived from it); nil means time.Now.
	Now func() time.Time
	// Logos gives the state's uploaded logo, printed as the crest on every PDF; nil prints
	// text-only headers.
	Logos LogoSource
}

// NewModule returns the records module.
func NewModule() *Module { return &Module{} }

// Locales are the module's messages.
func (m *Module) Locales() fs.FS { sub, _ := fs.Sub(localeFiles, "locales"); return sub }

// Templates are the module's pages.
func (m *Module) Templates() fs.FS { sub, _ := fs.Sub(templateFiles, "templates"); return sub }

// Mount adds the routes. A ".pdf" route is registered before the route it extends, so that
// "/payslips/2026/10.pdf" is never read as month "10.pdf".
func (m *Module) Mount(app *fiber.App) {
	api := app.Group("/api/v1")
	api.Get("/payslips", guard.API, m.listPayslips)
	api.Get("/payslips/:year/:month.pdf", guard.API, m.payslipPDF)
	api.Get("/payslips/:year/:month", guard.API, m.payslip)
	api.Get("/statements", guard.API, m.listStatements)
	api.Get("/statements/:year.pdf", guard.API, m.statementPDF)
	api.Get("/statements/:year", guard.API, m.statement)
	api.Get("/payments", guard.API, m.listPayments)
	api.Get("/payments/:ref.pdf", guard.API, m.paymentPDF)
	api.Post("/payments/:ref/verify", guard.API, m.verifyPayment)
	api.Get("/account/export", guard.API, m.export)
	app.Get("/verify/:token", m.verifyPage)
	m.mountPages(app)
}

func (m *Module) today() time.Time {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	return myt.Today(now())
}

// who is the request's person and tenant. The principal is the only source of identity.
type who struct {
	p     *account.Principal
	scope *tenant.Scope
}

func (w who) payee() Payee {
	if w.p.Category == "supplier" {
		return Payee{SupplierID: w.p.SupplierID}
	}
	return Payee{EmployeeIC: w.p.EmployeeIC}
}

// whoOf is the caller the guard (guard.API, guard.Page) checked for this route.
func whoOf(c *fiber.Ctx) who {
	p, sc := guard.Caller(c)
	return who{p: p, scope: sc}
}

// coded is a failure with the module's own message.
func coded(kind fault.Kind, code, messageKey string, params map[string]any, err error) *fault.Error {
	return fault.New(kind, code, err).Message(messageKey, params)
}

// labeller binds web.T to the request.
func labeller(c *fiber.Ctx) Labeller {
	return func(id string) string { return web.T(c, id, nil) }
}

// issuer is the state's name as printed on documents.
func issuer(c *fiber.Ctx, t *tenant.Tenant) string {
	return web.T(c, "records_issuer", map[string]any{"Name": t.Name})
}

// baseURL is the origin the QR code points to: the tenant host the request came in on
// (the scope resolved it, so it belongs to this tenant), over HTTPS outside dev set-ups.
func baseURL(c *fiber.Ctx) string { return c.BaseURL() }

func clientIP(c *fiber.Ctx) string { return c.IP() }

// yearMonth reads :year and :month; anything that is not a real period is simply not found.
func yearMonth(c *fiber.Ctx) (int, int, bool) {
	year, err1 := strconv.Atoi(c.Params("year"))
	month, err2 := strconv.Atoi(c.Params("month"))
	return year, month, err1 == nil && err2 == nil && year >= 1990 && year <= 2200 && month >= 1 && month <= 12
}

func (m *Module) listPayslips(c *fiber.Ctx) error {
	w := whoOf(c)
	year := m.today().Year()
	if q := c.Query("year"); q != "" {
		y, err := strconv.Atoi(q)
		if err != nil || y < 1990 || y > 2200 {
			return coded(fault.Invalid, "invalid_year", "records_error_invalid_date", nil, err)
		}
		year = y
	}
	list, err := ListPayslips(c.UserContext(), w.scope.DB, w.p.EmployeeIC, year)
	if err != nil {
		return err
	}
	return c.JSON(list)
}

// payslipNotFound tells the person whom to contact: the payroll unit of their department;
// or, for a month older than the state's retention period, that it is no longer kept.
func (m *Module) payslipNotFound(c *fiber.Ctx, w who, year, month int) error {
	if cutoff, _ := m.retentionCutoffs(w); time.Date(year, time.Month(month), 1, 0, 0, 0, 0, myt.Zone).Before(cutoff) {
		return coded(fault.NotFound, "out_of_retention", "records_payslip_out_of_retention",
			map[string]any{"Period": period(labeller(c), year, month), "Months": m.retentionMonths(w)}, ErrNotFound)
	}
	dept := departmentOf(c.UserContext(), w.scope.DB, w.p.EmployeeIC)
	params := map[string]any{"Period": period(labeller(c), year, month), "Department": dept}
	key := "records_payslip_not_found"
	if dept == "" {
		key = "records_payslip_not_found_generic"
	}
	return coded(fault.NotFound, "not_found", key, params, ErrNotFound)
}

// loadPayslip reads the caller's payslip of the URL's month and records the access as action,
// in one transaction: the payday hot path pays the tenant handle's BEGIN + SET LOCAL and COMMIT
// round trips once rather than for each statement (tenant.DB), and the view is in the audit
// trail before anything of it is answered. also, when not nil, runs inside the same
// transaction after the payslip is read, for what else the answer needs (the page's previous
// month), so a request costs one transaction.
func (m *Module) loadPayslip(c *fiber.Ctx, action string, also func(ctx context.Context, tx *sqlx.Tx, ps *Payslip) error) (*Payslip, who, error) {
	w := whoOf(c)
	year, month, ok := yearMonth(c)
	if !ok {
		return nil, w, fault.New(fault.NotFound, "not_found", ErrNotFound)
	}
	ctx := c.UserContext()
	var ps *Payslip
	err := tenant.InTx(ctx, w.scope.DB, func(tx *sqlx.Tx) error {
		var err error
		if ps, err = PayslipWithToken(ctx, tx, w.p.EmployeeIC, year, month, baseURL(c)); err != nil {
			return err
		}
		if also != nil {
			if err := also(ctx, tx, ps); err != nil {
				return err
			}
		}
		return w.auditIn(ctx, tx, action, payslipSubject(ps), payslipDetail(c, ps))
	})
	if errors.Is(err, ErrNotFound) {
		return nil, w, m.payslipNotFound(c, w, year, month)
	}
	return ps, w, err
}

func (m *Module) payslip(c *fiber.Ctx) error {
	ps, _, err := m.loadPayslip(c, ActionPayslipView, nil)
	if err != nil {
		return err
	}
	return c.JSON(ps)
}

func payslipSubject(ps *Payslip) string { return fmt.Sprintf("payslip %04d-%02d", ps.Year, ps.Month) }

func payslipDetail(c *fiber.Ctx, ps *Payslip) map[string]any {
	return map[string]any{"year": ps.Year, "month": ps.Month, "ip": clientIP(c)}
}

func (m *Module) payslipPDF(c *fiber.Ctx) error {
	ps, w, err := m.loadPayslip(c, ActionPayslipPDF, nil)
	if err != nil {
		return err
	}
	buf, err := m.renderFor(c.UserContext(), w.scope, payslipDoc(ps, issuer(c, w.scope.Tenant), labeller(c)))
	if err != nil {
		return err
	}
	return sendPDF(c, fmt.Sprintf("payslip-%04d-%02d.pdf", ps.Year, ps.Month), buf)
}

// sendPDF answers with a PDF that no cache may keep: it is a person's payroll record.
func sendPDF(c *fiber.Ctx, name string, buf []byte) error {
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+name+`"`)
	return c.Send(buf)
}

func (m *Module) listStatements(c *fiber.Ctx) error {
	w := whoOf(c)
	list, err := ListStatements(c.UserContext(), w.scope.DB, w.p.EmployeeIC)
	if err != nil {
		return err
	}
	return c.JSON(list)
}

func (m *Module) loadStatement(c *fiber.Ctx) (*Statement, who, error) {
	w := whoOf(c)
	year, err := strconv.Atoi(c.Params("year"))
	if err == nil && (year < 1990 || year > 2200) {
		err = ErrNotFound
	}
	var st *Statement
	if err == nil {
		st, err = StatementWithToken(c.UserContext(), w.scope.DB, w.p.EmployeeIC, year, issuer(c, w.scope.Tenant), baseURL(c))
	}
	if _, before := m.retentionCutoffs(w); errors.Is(err, ErrNotFound) && year >= 1990 && year < before {
		return nil, w, coded(fault.NotFound, "out_of_retention", "records_statement_out_of_retention",
			map[string]any{"Year": year, "Months": m.retentionMonths(w)}, err)
	}
	if err != nil && !isInternal(err) {
		dept := departmentOf(c.UserContext(), w.scope.DB, w.p.EmployeeIC)
		key := "records_statement_not_found"
		if dept == "" {
			key = "records_statement_not_found_generic"
		}
		return nil, w, coded(fault.NotFound, "not_found", key, map[string]any{"Year": c.Params("year"), "Department": dept}, err)
	}
	return st, w, err
}

// isInternal tells a database failure from a record that is not there or a bad number.
func isInternal(err error) bool {
	var ne *strconv.NumError
	return !errors.Is(err, ErrNotFound) && !errors.As(err, &ne)
}

func auditStatement(c *fiber.Ctx, w who, action string, st *Statement) error {
	return w.audit(c.UserContext(), action, fmt.Sprintf("statement %04d", st.Year),
		map[string]any{"year": st.Year, "ip": clientIP(c)})
}

func (m *Module) statement(c *fiber.Ctx) error {
	st, w, err := m.loadStatement(c)
	if err != nil {
		return err
	}
	if err := auditStatement(c, w, ActionStatementView, st); err != nil {
		return err
	}
	return c.JSON(st)
}

func (m *Module) statementPDF(c *fiber.Ctx) error {
	st, w, err := m.loadStatement(c)
	if err != nil {
		return err
	}
	buf, err := m.renderFor(c.UserContext(), w.scope, statementDoc(st, issuer(c, w.scope.Tenant), labeller(c)))
	if err != nil {
		return err
	}
	if err := auditStatement(c, w, ActionStatementPDF, st); err != nil {
		return err
	}
	return sendPDF(c, fmt.Sprintf("ec-%04d.pdf", st.Year), buf)
}
