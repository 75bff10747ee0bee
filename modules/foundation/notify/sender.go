package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/speks-portal/speks/modules/foundation/jobs"
	"github.com/speks-portal/speks/tenant"
)

// TaskSend is the Asynq task kind of one outbox row; its payload is sendPayload.
const TaskSend = "mail:send"

type sendPayload struct {
	OutboxID int64 `json:"outbox_id"`
}

// sendTimeout bounds one attempt (the task's Asynq timeout); the lease outlasts it so a slow
// but live attempt is never taken over.
const (
	sendTimeout = 2 * time.Minute
	sendLease   = sendTimeout + time.Minute
)

// Sender is the Asynq handler of TaskSend. It runs behind jobs.TenantScope, so the row it
// loads is always in the schema of the tenant the task names: a task naming tenant B can only
// ever read B's outbox.
//
// Delivery is at least once, guarded: a row already sent is never sent again, and a row being
// sent by a live worker is left to it. The one gap is a worker that dies after the SMTP server
// accepted the mail and before the row is marked sent: the lease runs out, the redelivered task
// sends it once more. Closing that gap would need the SMTP server to take part in our
// transaction, which no SMTP server does.
type Sender struct {
	Transport Transport
	From      string // mail.from
	Log       *slog.Logger
}

// ProcessTask sends one outbox row.
func (s *Sender) ProcessTask(ctx context.Context, t *asynq.Task) error {
	scope, ok := tenant.FromContext(ctx)
	if !ok {
		return fmt.Errorf("%s without a tenant scope: %w", TaskSend, asynq.SkipRetry)
	}
	var p sendPayload
	if err := jobs.Decode(t, &p); err != nil || p.OutboxID <= 0 {
		return fmt.Errorf("%s: bad payload: %w", TaskSend, asynq.SkipRetry)
	}
	log := s.logger().With("tenant", scope.Tenant.Code, "outbox_id", p.OutboxID)

	row, outcome, err := claim(ctx, scope.DB, p.OutboxID, sendLease)
	switch {
	case err != nil:
		return err
	case outcome == claimGone:
		log.WarnContext(ctx, "mail task names no outbox row of its tenant; dropped")
		return fmt.Errorf("outbox row %d not found in tenant %s: %w", p.OutboxID, scope.Tenant.Code, asynq.SkipRetry)
	case outcome == claimDone:
		return nil
	case outcome == claimBusy:
		return fmt.Errorf("outbox row %d is being sent by another worker", p.OutboxID)
	}
	return s.deliver(ctx, scope, row, log)
}

func (s *Sender) deliver(ctx context.Context, scope *tenant.Scope, row outboxRow, log *slog.Logger) error {
	log = log.With("template", row.Template, "attempt", row.Attempts)
	// Bookkeeping after the SMTP conversation must happen even when the task's context ends
	// (shutdown, timeout): a mail that went out has to be recorded as sent.
	record, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()

	email, err := s.compose(scope.Tenant, row)
	if err != nil {
		return s.fail(record, scope, row.ID, err, log)
	}
	sendErr := s.Transport.Send(ctx, email)
	if sendErr == nil {
		if err := markSent(record, scope.DB, row.ID); err != nil {
			// Returning the error would send the mail again on retry; the row keeps its lease
			// and an IT officer sees it stuck in 'sending' instead.
			log.ErrorContext(ctx, "mail sent but not recorded", "err", err)
			return nil
		}
		log.InfoContext(ctx, "mail sent")
		return nil
	}
	if errors.Is(sendErr, ErrPermanent) || lastAttempt(ctx) {
		return s.fail(record, scope, row.ID, sendErr, log)
	}
	log.WarnContext(ctx, "mail not sent; will retry", "err", sendErr)
	if err := markRetry(record, scope.DB, row.ID, errorText(sendErr)); err != nil {
		return errors.Join(sendErr, err)
	}
	return sendErr
}

// fail marks the row failed and ends the task (Asynq archives it) without further retries.
func (s *Sender) fail(ctx context.Context, scope *tenant.Scope, id int64, cause error, log *slog.Logger) error {
	log.ErrorContext(ctx, "mail failed; no more retries", "err", cause)
	if err := markFailed(ctx, scope.DB, id, errorText(cause)); err != nil {
		return errors.Join(cause, err)
	}
	return fmt.Errorf("%w: %w", cause, asynq.SkipRetry)
}

// compose renders the row in its language for its tenant.
func (s *Sender) compose(t *tenant.Tenant, row outboxRow) (Email, error) {
	var data map[string]any
	if err := json.Unmarshal(row.Data, &data); err != nil {
		return Email{}, fmt.Errorf("decode data of outbox row %d: %w", row.ID, err)
	}
	rendered, err := Render(row.Template, row.Lang, t, data)
	if err != nil {
		return Email{}, err
	}
	return Email{Tenant: t.Code, From: s.From, To: row.To, ReplyTo: t.HelpdeskEmail, Lang: row.Lang, Rendered: rendered}, nil
}

func (s *Sender) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// lastAttempt reports whether Asynq will not retry this task after a failure.
func lastAttempt(ctx context.Context) bool {
	retried, ok1 := asynq.GetRetryCount(ctx)
	maxRetry, ok2 := asynq.GetMaxRetry(ctx)
	return !ok1 || !ok2 || retried >= maxRetry
}

// errorText is an error as stored for IT officers: one line, bounded. Transport errors are
// already free of credentials, and no error here carries a template value.
func errorText(err error) string {
	text := strings.Join(strings.Fields(err.Error()), " ")
	if len(text) > 1000 {
		text = text[:1000]
	}
	return text
}

// Retry delays of a mail: 10 s doubling to 30 min, with up to 20% jitter so a relay outage
// does not end in a thundering herd. The first retries are quick because people wait for
// one-time codes that expire in 30 minutes.
const (
	retryBase = 10 * time.Second
	retryCap  = 30 * time.Minute
)

// RetryDelay is the worker's asynq.Config.RetryDelayFunc: exponential backoff for mail, Asynq's
// default for every other task kind.
func RetryDelay(n int, err error, t *asynq.Task) time.Duration {
	if t.Type() != TaskSend {
		return asynq.DefaultRetryDelayFunc(n, err, t)
	}
	return mailRetryDelay(n)
}

func mailRetryDelay(n int) time.Duration {
	d := retryCap
	if n < 20 && retryBase<<n < retryCap {
		d = retryBase << n
	}
	return d + time.Duration(rand.Int64N(int64(d/5)+1))
}
