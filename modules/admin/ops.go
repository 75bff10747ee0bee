package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/guard"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
)

// Cancellation is an open or closed cancellation request (the states' FAQs: completed within three
// working days); Overdue flags an open one past its due date.
type Cancellation struct {
	ID          int64      `db:"id" json:"id"`
	UserID      int64      `db:"user_id" json:"user_id"`
	Name        string     `db:"name" json:"name"`
	LoginID     string     `db:"login_id" json:"login_id"`
	Reason      string     `db:"reason" json:"reason"`
	Status      string     `db:"status" json:"status"`
	RequestedAt time.Time  `db:"requested_at" json:"requested_at"`
	DueOn       time.Time  `db:"due_on" json:"-"`
	CompletedAt *time.Time `db:"completed_at" json:"completed_at"`
	Due         string     `db:"-" json:"due_on"`
	Overdue     bool       `db:"-" json:"overdue"`
}

func (m *Module) apiCancellations(c *fiber.Ctx) error {
	_, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	status := c.Query("status", "open")
	if status != "open" && status != "completed" && status != "rejected" {
		return fault.New(fault.Invalid, "invalid_input", nil)
	}
	rows, err := Cancellations(c.UserContext(), sc.DB, status)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"cancellations": rows})
}

// Cancellations lists the requests with a status, earliest due first, IDs masked.
func Cancellations(ctx context.Context, db sqlx.QueryerContext, status string) ([]Cancellation, error) {
	rows := []Cancellation{}
	if err := sqlx.SelectContext(ctx, db, &rows, `SELECT r.id, r.user_id, u.name, u.login_id, r.reason, r.status,
		r.requested_at, r.due_on, r.completed_at FROM cancellation_requests r JOIN users u ON u.id = r.user_id
		WHERE r.status = $1 ORDER BY r.due_on, r.id LIMIT 500`, status); err != nil {
		return nil, fmt.Errorf("list cancellations: %w", err)
	}
	today := time.Now().In(myt.Zone).Format(time.DateOnly)
	for i := range rows {
		r := &rows[i]
		r.LoginID = ids.Mask(r.LoginID)
		r.Due = r.DueOn.Format(time.DateOnly)
		r.Overdue = r.Status == "open" && r.Due < today
	}
	return rows, nil
}

// apiCompleteCancellation carries out an open request: the account is deactivated (its
// sessions end) and the request closed.
func (m *Module) apiCompleteCancellation(c *fiber.Ctx) error {
	if err := m.completeCancellation(c); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": c.Params("id"), "status": "completed"})
}

func (m *Module) completeCancellation(c *fiber.Ctx) error {
	p, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	var r struct {
		UserID int64  `db:"user_id"`
		Status string `db:"status"`
	}
	err = sc.DB.GetContext(ctx, &r, `SELECT user_id, status FROM cancellation_requests WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return fault.New(fault.NotFound, "not_found", nil)
	}
	if err != nil {
		return fmt.Errorf("read cancellation %d: %w", id, err)
	}
	if r.Status != "open" {
		return invalidStatus()
	}
	if r.UserID == p.UserID {
		return fault.New(fault.Forbidden, "self_action", nil)
	}
	// One unit of work: the account closes, the request closes, the trail and the mail are
	// written, or none of it happens (an account deactivated under a request left open would
	// look to the next officer like work still to do).
	return tenant.InTx(ctx, sc.DB, func(tx *sqlx.Tx) error {
		if _, err := identity.DeactivateIn(ctx, tx, r.UserID); err != nil {
			return err
		}
		if err := Record(ctx, tx, p, "account.deactivate", "cancellation:"+strconv.FormatInt(id, 10), r.UserID, nil); err != nil {
			return err
		}
		if err := account.CompleteCancellationIn(ctx, tx, id); err != nil {
			if errors.Is(err, account.ErrCancellationNotOpen) {
				return invalidStatus()
			}
			return err
		}
		if err := Record(ctx, tx, p, "cancellation.complete", "cancellation:"+strconv.FormatInt(id, 10), r.UserID, nil); err != nil {
			return err
		}
		return mailCancelled(ctx, tx, r.UserID)
	})
}

// mailCancelled tells the person that their cancellation is done, in the transaction that
// closes it: someone who asked to leave hears that they have, and someone who did not ask
// learns of it at once. An account without an address is closed without mail.
func mailCancelled(ctx context.Context, tx *sqlx.Tx, userID int64) error {
	var u struct {
		Name  string `db:"name"`
		Email string `db:"email"`
	}
	if err := tx.GetContext(ctx, &u, `SELECT name, trim(email) AS email FROM users WHERE id = $1`, userID); err != nil {
		return fmt.Errorf("read the cancelled account %d: %w", userID, err)
	}
	if u.Email == "" {
		return nil
	}
	err := notify.Enqueue(ctx, tx, notify.Message{To: u.Email, Template: notify.TemplateAccountCancelled,
		Data: map[string]any{"name": u.Name}})
	if err != nil {
		return fmt.Errorf("mail the cancelled account %d: %w", userID, err)
	}
	return nil
}

func (m *Module) apiFailedMail(c *fiber.Ctx) error {
	_, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	mails, err := notify.Failed(c.UserContext(), sc.DB, 200)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"failed": mails})
}

// Batch is one committed feed.
type Batch struct {
	ID         int64     `db:"id" json:"id"`
	Kind       string    `db:"kind" json:"kind"`
	Actor      string    `db:"actor" json:"actor"`
	Rows       int64     `db:"rows" json:"rows"`
	Inserted   int64     `db:"inserted" json:"inserted"`
	Updated    int64     `db:"updated" json:"updated"`
	Unchanged  int64     `db:"unchanged" json:"unchanged"`
	ReceivedAt time.Time `db:"received_at" json:"received_at"`
	DurationMS int64     `db:"duration_ms" json:"duration_ms"`
}

func (m *Module) apiFeedBatches(c *fiber.Ctx) error {
	_, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	rows, err := Batches(c.UserContext(), sc.DB, 100)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"batches": rows})
}

// Batches lists the latest committed feeds, newest first.
func Batches(ctx context.Context, db sqlx.QueryerContext, limit int) ([]Batch, error) {
	rows := []Batch{}
	if err := sqlx.SelectContext(ctx, db, &rows, `SELECT id, kind, actor, rows, inserted, updated, unchanged,
		received_at, duration_ms FROM import_batches ORDER BY received_at DESC, id DESC LIMIT $1`, limit); err != nil {
		return nil, fmt.Errorf("list feed batches: %w", err)
	}
	return rows, nil
}
