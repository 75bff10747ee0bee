package records

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
)

// defaultRangeMonths is eMaklum's default search window: the last 3 months.
const defaultRangeMonths = 3

// dateRange reads ?from= and ?to= (YYYY-MM-DD). Missing ends default to the last three
// months; a start before the tenant's retention window is refused, since that data is gone
// and an empty answer would look like "no payments".
func (m *Module) dateRange(c *fiber.Ctx, w who) (time.Time, time.Time, error) {
	today := m.today()
	to, from := today, today.AddDate(0, -defaultRangeMonths, 0)
	var err error
	if s := c.Query("to"); s != "" {
		if to, err = myt.ParseDay(s); err != nil {
			return from, to, coded(fault.Invalid, "invalid_date", "records_error_invalid_date", nil, err)
		}
		if c.Query("from") == "" {
			from = to.AddDate(0, -defaultRangeMonths, 0)
		}
	}
	if s := c.Query("from"); s != "" {
		if from, err = myt.ParseDay(s); err != nil {
			return from, to, coded(fault.Invalid, "invalid_date", "records_error_invalid_date", nil, err)
		}
	}
	if from.After(to) {
		return from, to, coded(fault.Invalid, "invalid_range", "records_error_invalid_range", nil, nil)
	}
	months := m.retentionMonths(w)
	if earliest := today.AddDate(0, -months, 0); from.Before(earliest) {
		return from, to, coded(fault.Invalid, "out_of_retention", "records_error_out_of_retention",
			map[string]any{"Months": months, "Earliest": myt.Date(earliest)}, nil)
	}
	return from, to, nil
}

func (m *Module) listPayments(c *fiber.Ctx) error {
	w := whoOf(c)
	from, to, err := m.dateRange(c, w)
	if err != nil {
		return err
	}
	list, err := ListPayments(c.UserContext(), w.scope.DB, w.payee(), from, to)
	if err != nil {
		return err
	}
	return c.JSON(list)
}

// helpdesk is the tenant's helpdesk contact (e-mail and phone as configured), "" without one.
func helpdesk(t *tenant.Tenant) string {
	return strings.TrimSpace(t.HelpdeskEmail + " " + t.HelpdeskPhone)
}

// treasuryContact names whom a payee asks about a payment they cannot open: the SPEKS unit of
// the state treasury (the FAQs send suppliers to its "Unit Perunding SPEKS"), with the
// tenant's helpdesk contact when it has one.
func treasuryContact(c *fiber.Ctx, t *tenant.Tenant) string {
	if help := helpdesk(t); help != "" {
		return web.T(c, "records_contact_treasury_helpdesk", map[string]any{"Name": t.Name, "Helpdesk": help})
	}
	return web.T(c, "records_contact_treasury", map[string]any{"Name": t.Name})
}

func paymentNotFound(c *fiber.Ctx, w who) error {
	help := helpdesk(w.scope.Tenant)
	if help == "" {
		return coded(fault.NotFound, "not_found", "records_payment_not_found_generic", nil, ErrNotFound)
	}
	return coded(fault.NotFound, "not_found", "records_payment_not_found", map[string]any{"Helpdesk": help}, ErrNotFound)
}

// accountInput is what the payee types to open a payment's detail: the account number an
// EFT went to, or the number of a cheque.
type accountInput struct {
	AccountNo string `json:"account_no" form:"account_no"`
	ChequeNo  string `json:"cheque_no" form:"cheque_no"`
}

// proof is the part of in that row asks for.
func (in accountInput) proof(row *paymentRow) string {
	if row.IsCheque() {
		return in.ChequeNo
	}
	return in.AccountNo
}

// checkAccount is PK 0102 step 10: the payee types the account number the payment went to,
// or for a cheque its number. Wrong numbers are counted per user (all payments together)
// and audited; past the limit every try is refused, right or wrong, until the window has
// passed. The messages say whom to ask and that the lock covers every payment.
func (m *Module) checkAccount(c *fiber.Ctx, w who, ref string, in accountInput) (*paymentRow, error) {
	ctx, db := c.UserContext(), w.scope.DB
	row, err := findPayment(ctx, db, w.payee(), ref)
	if errors.Is(err, ErrNotFound) {
		return nil, paymentNotFound(c, w)
	}
	if err != nil {
		return nil, err
	}
	bucket := "account:" + itoa64(w.p.UserID)
	if over, err := wrongAccountLimit.exceeded(ctx, db, bucket); err != nil || over {
		if err == nil {
			err = w.audit(ctx, ActionPaymentThrottled, "payment "+ref, map[string]any{"ip": clientIP(c)})
		}
		if err != nil {
			return nil, err
		}
		return nil, coded(fault.Throttled, "too_many_attempts", "records_error_too_many_attempts",
			map[string]any{"Minutes": int(wrongAccountLimit.Window.Minutes()), "Contact": treasuryContact(c, w.scope.Tenant)}, nil)
	}
	if !row.proofMatches(in.proof(row)) {
		if err := wrongAccountLimit.record(ctx, db, bucket); err != nil {
			return nil, err
		}
		if err := w.audit(ctx, ActionPaymentMismatch, "payment "+ref, map[string]any{"ip": clientIP(c), "method": row.PaymentMethod}); err != nil {
			return nil, err
		}
		key := "records_error_account_mismatch"
		if row.IsCheque() {
			key = "records_error_cheque_mismatch"
		}
		return nil, coded(fault.Forbidden, "account_mismatch", key, map[string]any{"Contact": treasuryContact(c, w.scope.Tenant)}, nil)
	}
	if err := unlockPayment(ctx, db, w.p.UserID, row.ID); err != nil {
		return nil, err
	}
	return row, w.audit(ctx, ActionPaymentVerified, "payment "+ref, map[string]any{"ip": clientIP(c)})
}

func (m *Module) verifyPayment(c *fiber.Ctx) error {
	w := whoOf(c)
	var in accountInput
	if err := c.BodyParser(&in); err != nil {
		return coded(fault.BadRequest, "bad_request", "error_bad_request", nil, err)
	}
	row, err := m.checkAccount(c, w, c.Params("ref"), in)
	if err != nil {
		return err
	}
	p, err := paymentWithToken(c.UserContext(), w.scope.DB, row, baseURL(c))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// unlockedPayment is the payment's detail when its payee matched the account number in the
// last unlockWindow; otherwise 403 account_verification_required.
func (m *Module) unlockedPayment(c *fiber.Ctx, w who, ref string) (*Payment, error) {
	ctx, db := c.UserContext(), w.scope.DB
	row, err := findPayment(ctx, db, w.payee(), ref)
	if errors.Is(err, ErrNotFound) {
		return nil, paymentNotFound(c, w)
	}
	if err != nil {
		return nil, err
	}
	ok, err := isUnlocked(ctx, db, w.p.UserID, row.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, coded(fault.Forbidden, "account_verification_required", "records_error_account_verification_required", nil, nil)
	}
	return paymentWithToken(ctx, db, row, baseURL(c))
}

func (m *Module) paymentPDF(c *fiber.Ctx) error {
	w := whoOf(c)
	p, err := m.unlockedPayment(c, w, c.Params("ref"))
	if err != nil {
		return err
	}
	buf, err := m.renderFor(c.UserContext(), w.scope, paymentDoc(p, issuer(c, w.scope.Tenant), labeller(c)))
	if err != nil {
		return err
	}
	if err := w.audit(c.UserContext(), ActionPaymentPDF, "payment "+p.Ref, map[string]any{"ip": clientIP(c)}); err != nil {
		return err
	}
	return sendPDF(c, "payment-"+safeName(p.Ref)+".pdf", buf)
}

// safeName keeps a reference usable in a file name.
func safeName(s string) string {
	out := []byte(s)
	for i, b := range out {
		if !(b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b == '-' || b == '_') {
			out[i] = '_'
		}
	}
	return string(out)
}
