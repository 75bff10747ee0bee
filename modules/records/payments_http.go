package records

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// defaultRangeMonths is eMaklum's default search window (issue 5: the last 3 months).
const defaultRangeMonths = 3

// dateRange reads ?from= and ?to= (YYYY-MM-DD). Missing ends default to the last three
// months; a start before the tenant's retention window is refused, since that data is gone
// and an empty answer would look like "no payments".
func (m *Module) dateRange(c *fiber.Ctx, w who) (time.Time, time.Time, error) {
	today := m.today()
	to, from := today, today.AddDate(0, -defaultRangeMonths, 0)
	var err error
	if s := c.Query("to"); s != "" {
		if to, err = time.ParseInLocation(time.DateOnly, s, malaysia); err != nil {
			return from, to, coded(fiber.StatusUnprocessableEntity, "invalid_date", "records_error_invalid_date", nil, err)
		}
		if c.Query("from") == "" {
			from = to.AddDate(0, -defaultRangeMonths, 0)
		}
	}
	if s := c.Query("from"); s != "" {
		if from, err = time.ParseInLocation(time.DateOnly, s, malaysia); err != nil {
			return from, to, coded(fiber.StatusUnprocessableEntity, "invalid_date", "records_error_invalid_date", nil, err)
		}
	}
	if from.After(to) {
		return from, to, coded(fiber.StatusUnprocessableEntity, "invalid_range", "records_error_invalid_range", nil, nil)
	}
	months := w.scope.Tenant.RetentionMonths
	if months <= 0 {
		months = 24
	}
	if earliest := today.AddDate(0, -months, 0); from.Before(earliest) {
		return from, to, coded(fiber.StatusUnprocessableEntity, "out_of_retention", "records_error_out_of_retention",
			map[string]any{"Months": months, "Earliest": earliest.Format(time.DateOnly)}, nil)
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

func paymentNotFound(c *fiber.Ctx, w who) error {
	help := strings.TrimSpace(w.scope.Tenant.HelpdeskEmail + " " + w.scope.Tenant.HelpdeskPhone)
	if help == "" {
		return coded(fiber.StatusNotFound, "not_found", "records_payment_not_found_generic", nil, ErrNotFound)
	}
	return coded(fiber.StatusNotFound, "not_found", "records_payment_not_found", map[string]any{"Helpdesk": help}, ErrNotFound)
}

type accountInput struct {
	AccountNo string `json:"account_no" form:"account_no"`
}

// checkAccount is PK 0102 step 10: the payee types the account number the payment went to.
// Wrong numbers are counted per user (all payments together) and audited; past the limit
// every try is refused, right or wrong, until the window has passed.
func (m *Module) checkAccount(c *fiber.Ctx, w who, ref, typed string) (*paymentRow, error) {
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
			err = audit(ctx, db, w.p.UserID, ActionPaymentThrottled, "payment "+ref, map[string]any{"ip": clientIP(c)})
		}
		if err != nil {
			return nil, err
		}
		return nil, coded(fiber.StatusTooManyRequests, "too_many_attempts", "records_error_too_many_attempts", nil, nil)
	}
	if !row.accountMatches(typed) {
		if err := wrongAccountLimit.record(ctx, db, bucket); err != nil {
			return nil, err
		}
		if err := audit(ctx, db, w.p.UserID, ActionPaymentMismatch, "payment "+ref, map[string]any{"ip": clientIP(c)}); err != nil {
			return nil, err
		}
		return nil, coded(fiber.StatusForbidden, "account_mismatch", "records_error_account_mismatch", nil, nil)
	}
	if err := unlockPayment(ctx, db, w.p.UserID, row.ID); err != nil {
		return nil, err
	}
	return row, audit(ctx, db, w.p.UserID, ActionPaymentVerified, "payment "+ref, map[string]any{"ip": clientIP(c)})
}

func (m *Module) verifyPayment(c *fiber.Ctx) error {
	w := whoOf(c)
	var in accountInput
	if err := c.BodyParser(&in); err != nil {
		return coded(fiber.StatusBadRequest, "bad_request", "error_bad_request", nil, err)
	}
	row, err := m.checkAccount(c, w, c.Params("ref"), in.AccountNo)
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
		return nil, coded(fiber.StatusForbidden, "account_verification_required", "records_error_account_verification_required", nil, nil)
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
	if err := audit(c.UserContext(), w.scope.DB, w.p.UserID, ActionPaymentPDF, "payment "+p.Ref, map[string]any{"ip": clientIP(c)}); err != nil {
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
