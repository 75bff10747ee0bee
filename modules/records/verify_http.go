package records

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
)

// verifyData is everything the public verification page shows: issuer, type, period,
// holder's name, net amount and the short code — nothing else of the record.
type verifyData struct {
	Status     string
	StatusText string
	Issuer     string
	TypeText   string
	PeriodText string
	Holder     string
	Amount     string
	Code       string
	ChecksText string
}

// verifyPage is GET /verify/{token}, open to anyone holding the printed document (a bank,
// a cooperative). Checks are throttled per client address and counted per token; each is
// written to the audit trail without an actor.
func (m *Module) verifyPage(c *fiber.Ctx) error {
	scope, ok := tenant.FromContext(c.UserContext())
	if !ok {
		return fault.New(fault.NotFound, "not_found", nil)
	}
	ctx, db := c.UserContext(), scope.DB
	bucket := "verify:" + clientIP(c)
	over, err := verifyLimit.exceeded(ctx, db, bucket)
	if err != nil {
		return err
	}
	if over {
		return coded(fault.Throttled, "too_many_requests", "records_error_verify_throttled", nil, nil)
	}
	if err := verifyLimit.record(ctx, db, bucket); err != nil {
		return err
	}
	v, err := Verify(ctx, db, c.Params("token"))
	if errors.Is(err, ErrNotFound) {
		return coded(fault.NotFound, "not_found", "records_verify_not_found", nil, err)
	}
	if err != nil {
		return err
	}
	if err := audit(ctx, db, 0, ActionDocumentVerified, v.DocType+" "+v.Period,
		map[string]any{"status": v.Status, "ip": clientIP(c)}); err != nil {
		return err
	}
	return web.Render(c, "records/verify", verifyDataOf(c, scope.Tenant, v))
}

func verifyDataOf(c *fiber.Ctx, t *tenant.Tenant, v *Verdict) verifyData {
	L := labeller(c)
	d := verifyData{Status: v.Status, StatusText: L("records_verify_" + v.Status), Issuer: issuer(c, t),
		TypeText: L("records_verify_type_" + v.DocType), PeriodText: v.Period, Holder: v.HolderName,
		Amount: v.Amount.Ringgit(), Code: v.Code,
		ChecksText: web.T(c, "records_verify_checks", map[string]any{"Count": v.Checks})}
	if v.DocType == "payslip" && len(v.Period) == 7 {
		year, _ := strconv.Atoi(v.Period[:4])
		month, _ := strconv.Atoi(v.Period[5:])
		d.PeriodText = period(L, year, month)
	}
	return d
}
