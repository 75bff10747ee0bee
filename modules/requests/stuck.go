package requests

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/tenant"
)

// Page sizes of the request lists.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// Page is one window of a list: Limit rows from Offset.
type Page struct {
	Limit  int
	Offset int
}

// PageFrom reads ?limit= and ?offset=: a missing or malformed limit is the default, a limit
// over MaxPageSize is MaxPageSize, a negative or malformed offset is 0.
func PageFrom(limit, offset string) Page {
	p := Page{Limit: DefaultPageSize}
	if n, err := strconv.Atoi(limit); err == nil && n > 0 {
		p.Limit = min(n, MaxPageSize)
	}
	if n, err := strconv.Atoi(offset); err == nil && n > 0 {
		p.Offset = n
	}
	return p
}

// Paged is one page of requests with the total the whole list has.
type Paged struct {
	Requests []Request `json:"requests"`
	Total    int       `json:"total"`
	Limit    int       `json:"limit"`
	Offset   int       `json:"offset"`
}

// HasPrevious and HasNext tell the page whether to link the neighbouring pages.
func (p *Paged) HasPrevious() bool { return p.Offset > 0 }
func (p *Paged) HasNext() bool     { return p.Offset+len(p.Requests) < p.Total }

// PreviousOffset and NextOffset are the offsets of the neighbouring pages.
func (p *Paged) PreviousOffset() int { return max(p.Offset-p.Limit, 0) }
func (p *Paged) NextOffset() int     { return p.Offset + p.Limit }

// First and Last number the rows shown (1-based), for "21–40 of 57".
func (p *Paged) First() int { return min(p.Offset+1, p.Total) }
func (p *Paged) Last() int  { return p.Offset + len(p.Requests) }

// selectPage reads one page of selectRequest rows matching where (with args) and the total.
func selectPage(ctx context.Context, db sqlx.QueryerContext, where string, page Page, args ...any) (*Paged, error) {
	out := &Paged{Requests: []Request{}, Limit: page.Limit, Offset: page.Offset}
	if err := sqlx.GetContext(ctx, db, &out.Total, `SELECT count(*) FROM admin_requests r WHERE `+where, args...); err != nil {
		return nil, fmt.Errorf("count requests: %w", err)
	}
	n := len(args)
	if err := sqlx.SelectContext(ctx, db, &out.Requests, selectRequest+` WHERE `+where+
		fmt.Sprintf(` ORDER BY r.id DESC LIMIT $%d OFFSET $%d`, n+1, n+2), append(args, page.Limit, page.Offset)...); err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	for i := range out.Requests {
		out.Requests[i].SubjectICMasked = ids.Mask(out.Requests[i].SubjectIC)
	}
	return out, nil
}

// itOfficer is the caller as the actor of a retry, or ErrForbidden: carrying out what the head
// and the treasury approved again is the state IT officer's, who runs the portal's accounts.
func itOfficer(p *account.Principal) (*actor, error) {
	if p == nil || !p.HasRole(authz.ITOfficer) {
		return nil, ErrForbidden
	}
	return &actor{ID: p.UserID, Name: p.Name}, nil
}

// Stuck lists, for the IT officer, the requests of the whole tenant that were approved but not
// carried out: those whose carrying-out failed (status failed, with the reason) and any left
// approved. Today the treasury's approval carries the change out in its own transaction, so
// "approved" never outlives it; the list shows such a row should one ever be left.
func (s *Service) Stuck(ctx context.Context, p *account.Principal, page Page) (*Paged, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := itOfficer(p); err != nil {
		return nil, err
	}
	return selectPage(ctx, sc.DB, `r.status IN ('approved', 'failed')`, page)
}

// Retry carries out a failed (or left approved) request again, with the same unit of work as
// the treasury's approval: the change and its recorded outcome commit together, a failure of
// the change is recorded with its new reason, and the requester is mailed the outcome. The
// retry itself is audited. The IT officer does not retry a request about their own account.
func (s *Service) Retry(ctx context.Context, p *account.Principal, id int64) (*Request, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	a, err := itOfficer(p)
	if err != nil {
		return nil, err
	}
	err = tenant.InTx(ctx, sc.DB, func(tx *sqlx.Tx) error {
		var r Request
		err := tx.GetContext(ctx, &r, selectRequest+` WHERE r.id = $1 FOR UPDATE OF r`, id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read request %d: %w", id, err)
		}
		if r.Status != StatusFailed && r.Status != StatusApproved {
			return ErrWrongStatus
		}
		if r.SubjectUserID.Valid && r.SubjectUserID.Int64 == a.ID {
			return ErrSelfRetry
		}
		if err := audit(ctx, tx, a, "admin_request.retry", requestSubject(id), r.SubjectUserID.Int64,
			map[string]any{"kind": r.Kind, "previous_failure": r.Failure}); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE admin_requests SET status = 'approved', failure = '' WHERE id = $1`, id)
		if isUniqueViolation(err) {
			// A failed request is no longer open, so the same change may have been raised again
			// meanwhile; that one goes its own way.
			return ErrOpenRequest
		}
		if err != nil {
			return fmt.Errorf("retry request %d: %w", id, err)
		}
		r.Status = StatusApproved
		return s.carryOut(ctx, tx, a, &r)
	})
	if err != nil {
		return nil, err
	}
	return s.get(ctx, sc.DB, id)
}
