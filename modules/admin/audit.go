package admin

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/foundation/auditlog"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/guard"
	"github.com/speks-portal/speks/modules/foundation/web/myt"
)

// Record writes one audit_log entry for an officer's action. detail must never hold a
// password, code or full IC number: callers pass IDs and masked values only.
func Record(ctx context.Context, db sqlx.ExecerContext, p *account.Principal, action, subject string, userID int64, detail map[string]any) error {
	return auditlog.Write(ctx, db, auditlog.Entry{ActorUserID: p.UserID, Actor: actorLabel(p), Action: action,
		Subject: subject, UserID: userID, Detail: detail})
}

// AuditEntry is one row of the trail.
type AuditEntry struct {
	ID          int64           `db:"id" json:"id"`
	At          time.Time       `db:"at" json:"at"`
	ActorUserID *int64          `db:"actor_user_id" json:"actor_user_id"`
	Actor       string          `db:"actor" json:"actor"`
	Action      string          `db:"action" json:"action"`
	Subject     string          `db:"subject" json:"subject"`
	UserID      *int64          `db:"user_id" json:"user_id"`
	Detail      json.RawMessage `db:"detail" json:"detail"`
}

// AuditQuery filters the trail: from/to are dates (to inclusive, Malaysian time), actor an
// account number or part of the actor's name, action an exact action or a prefix ending in
// "." (e.g. "account."), subject a user ID or a subject text.
type AuditQuery struct {
	From, To               time.Time
	Actor, Action, Subject string
	Limit                  int
}

// MaxAuditRows bounds one answer and one export.
const MaxAuditRows = 10000

// SearchAudit returns matching entries, newest first.
func SearchAudit(ctx context.Context, db sqlx.QueryerContext, q AuditQuery) ([]AuditEntry, error) {
	where, args := []string{"true"}, []any{}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if !q.From.IsZero() {
		where = append(where, "at >= "+arg(q.From))
	}
	if !q.To.IsZero() {
		where = append(where, "at < "+arg(q.To.AddDate(0, 0, 1)))
	}
	if a := strings.TrimSpace(q.Actor); a != "" {
		if id, err := strconv.ParseInt(a, 10, 64); err == nil {
			where = append(where, "(actor_user_id = "+arg(id)+" OR actor LIKE "+arg("% #"+a)+")")
		} else {
			where = append(where, "actor ILIKE "+arg("%"+escapeLike(a)+"%"))
		}
	}
	if a := strings.TrimSpace(q.Action); strings.HasSuffix(a, ".") {
		where = append(where, "action LIKE "+arg(escapeLike(a)+"%"))
	} else if a != "" {
		where = append(where, "action = "+arg(a))
	}
	if s := strings.TrimSpace(q.Subject); s != "" {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			where = append(where, "user_id = "+arg(id))
		} else {
			where = append(where, "subject = "+arg(s))
		}
	}
	limit := q.Limit
	if limit <= 0 || limit > MaxAuditRows {
		limit = MaxAuditRows
	}
	entries := []AuditEntry{}
	err := sqlx.SelectContext(ctx, db, &entries, `SELECT id, at, actor_user_id, actor, action, subject, user_id, detail
		FROM audit_log WHERE `+strings.Join(where, " AND ")+` ORDER BY at DESC, id DESC LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("search audit trail: %w", err)
	}
	return entries, nil
}

func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return myt.ParseDay(s)
}

// apiAudit answers JSON, or CSV with ?format=csv.
func (m *Module) apiAudit(c *fiber.Ctx) error {
	p, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	from, err1 := parseDay(c.Query("from"))
	to, err2 := parseDay(c.Query("to"))
	if err1 != nil || err2 != nil {
		return fault.New(fault.Invalid, "invalid_input", nil)
	}
	q := AuditQuery{From: from, To: to, Actor: c.Query("actor"), Action: c.Query("action"), Subject: c.Query("subject")}
	csvOut := c.Query("format") == "csv"
	if !csvOut {
		q.Limit = 500
	}
	entries, err := SearchAudit(c.UserContext(), sc.DB, q)
	if err != nil {
		return err
	}
	if !csvOut {
		return c.JSON(fiber.Map{"entries": entries})
	}
	// An export leaves the portal with people's names in it: the export itself is audited.
	if err := Record(c.UserContext(), sc.DB, p, "audit.export", "tenant:"+sc.Tenant.Code, 0,
		map[string]any{"rows": len(entries), "from": c.Query("from"), "to": c.Query("to"),
			"actor": q.Actor, "action": q.Action, "subject": q.Subject}); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="audit-`+sc.Tenant.Code+`.csv"`)
	return WriteAuditCSV(c.Response().BodyWriter(), entries)
}

// WriteAuditCSV writes the entries with a header row, every cell made safe for spreadsheets.
func WriteAuditCSV(w interface{ Write([]byte) (int, error) }, entries []AuditEntry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"id", "at", "actor_user_id", "actor", "action", "subject", "user_id", "detail"}); err != nil {
		return fmt.Errorf("audit csv: %w", err)
	}
	for _, e := range entries {
		rec := []string{strconv.FormatInt(e.ID, 10), e.At.In(myt.Zone).Format(time.RFC3339), optInt(e.ActorUserID),
			e.Actor, e.Action, e.Subject, optInt(e.UserID), string(e.Detail)}
		for i := range rec {
			rec[i] = SafeCell(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("audit csv: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

func optInt(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

// SafeCell defuses spreadsheet formula injection (OWASP "CSV Injection"): a cell starting
// with = + - @ tab or carriage return is prefixed with a single quote, so a spreadsheet shows
// it as text instead of evaluating it. Names and subjects come from users, so any may start so.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
