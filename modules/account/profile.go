package account

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account/onetime"
	"github.com/speks-portal/speks/modules/calendar"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
)

// Profile is what a user sees and may change of their account (PK 0107).
type Profile struct {
	ID             string `json:"id" db:"login_id"`
	Name           string `json:"name" db:"name"`
	Category       string `json:"category" db:"category"`
	Email          string `json:"email" db:"email"`
	Phone          string `json:"phone" db:"phone"`
	DepartmentCode string `json:"department_code" db:"department_code"`
	DepartmentName string `json:"department_name" db:"department_name"`
	PTJCode        string `json:"ptj_code" db:"ptj_code"`
	PTJName        string `json:"ptj_name" db:"ptj_name"`
	// PendingEmail is an address waiting for its confirmation link.
	PendingEmail string `json:"pending_email,omitempty" db:"pending_email"`
}

// Profile reads the user's profile.
func (s *Service) Profile(ctx context.Context, userID int64) (*Profile, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	var p Profile
	err = sc.DB.GetContext(ctx, &p, `SELECT u.login_id, u.name, u.category, u.email, u.phone,
		coalesce(u.department_code, '') AS department_code, coalesce(d.name, '') AS department_name,
		coalesce(u.ptj_code, '') AS ptj_code, coalesce(p.name, '') AS ptj_name,
		coalesce((SELECT new_email FROM email_tokens t WHERE t.user_id = u.id AND t.purpose = 'email_change'
			AND t.used_at IS NULL AND t.expires_at > $2 ORDER BY t.created_at DESC LIMIT 1), '') AS pending_email
		FROM users u LEFT JOIN departments d ON d.code = u.department_code LEFT JOIN ptjs p ON p.code = u.ptj_code
		WHERE u.id = $1`, userID, s.now())
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	return &p, nil
}

// ProfileChange is a PATCH of the profile; nil fields stay as they are.
type ProfileChange struct {
	Email          *string `json:"email"`
	Phone          *string `json:"phone"`
	DepartmentCode *string `json:"department_code"`
	PTJCode        *string `json:"ptj_code"`
	// SecretPhrase replaces the phrase shown at login (3–60 characters).
	SecretPhrase *string `json:"secret_phrase"`
}

// UpdateProfile changes phone, department and PTJ at once (audited with before and after) and
// starts an e-mail change, which only takes effect through the link sent to the new address.
func (s *Service) UpdateProfile(ctx context.Context, sess *Session, ch ProfileChange, lang, baseURL string) (*Profile, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	before, err := s.Profile(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	after := *before
	if err := s.applyChange(ctx, sc.DB, &after, ch); err != nil {
		return nil, err
	}
	now := s.now()
	err = inTx(ctx, sc, func(tx *sqlx.Tx) error {
		if err := saveProfile(ctx, tx, sess, before, &after, now); err != nil {
			return err
		}
		if err := savePhrase(ctx, tx, sess, ch.SecretPhrase, now); err != nil {
			return err
		}
		if ch.Email == nil || strings.EqualFold(strings.TrimSpace(*ch.Email), before.Email) {
			return nil
		}
		link, err := onetime.IssueLink(ctx, tx, sess.UserID, "email_change", after.Email, baseURL+"/account/email/confirm", now)
		if err != nil {
			return err
		}
		if err := audit(ctx, tx, sess.UserID, ids.Mask(sess.User.LoginID), "profile.email_change_requested", sess.UserID,
			map[string]any{"before": before.Email, "requested": after.Email}); err != nil {
			return err
		}
		return notify.Enqueue(ctx, tx, notify.Message{To: after.Email, Template: notify.TemplateEmailChange, Lang: lang,
			Data: map[string]any{"name": sess.User.Name, "link": link, "expires_hours": int(onetime.LinkLifetime / time.Hour)}})
	})
	if err != nil {
		return nil, err
	}
	return s.Profile(ctx, sess.UserID)
}

func (s *Service) applyChange(ctx context.Context, db *tenant.DB, p *Profile, ch ProfileChange) error {
	var bad []string
	if ch.Phone != nil {
		p.Phone = strings.TrimSpace(*ch.Phone)
		if utf8.RuneCountInString(p.Phone) > 30 {
			bad = append(bad, "phone")
		}
	}
	if ch.Email != nil {
		p.Email = strings.TrimSpace(*ch.Email)
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email {
			bad = append(bad, "email")
		}
	}
	if ch.DepartmentCode != nil || ch.PTJCode != nil {
		if ch.DepartmentCode != nil {
			p.DepartmentCode = strings.TrimSpace(*ch.DepartmentCode)
		}
		if ch.PTJCode != nil {
			p.PTJCode = strings.TrimSpace(*ch.PTJCode)
		}
		var ok bool
		if err := db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM ptjs WHERE code = $1 AND department_code = $2)`,
			p.PTJCode, p.DepartmentCode); err != nil {
			return fmt.Errorf("check department: %w", err)
		}
		if !ok {
			bad = append(bad, "department_code", "ptj_code")
		}
	}
	if ch.SecretPhrase != nil && !validPhrase(strings.TrimSpace(*ch.SecretPhrase)) {
		bad = append(bad, "secret_phrase")
	}
	if bad != nil {
		return &InvalidInputError{Fields: bad}
	}
	return nil
}

// savePhrase replaces the login phrase; the audit records that it changed, not the phrase.
func savePhrase(ctx context.Context, tx *sqlx.Tx, sess *Session, phrase *string, now time.Time) error {
	if phrase == nil || strings.TrimSpace(*phrase) == sess.User.SecretPhrase {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET secret_phrase = $2, updated_at = $3 WHERE id = $1`,
		sess.UserID, strings.TrimSpace(*phrase), now); err != nil {
		return fmt.Errorf("save secret phrase: %w", err)
	}
	return audit(ctx, tx, sess.UserID, ids.Mask(sess.User.LoginID), "profile.secret_phrase", sess.UserID, nil)
}

// saveProfile writes phone, department and PTJ and audits each field that changed.
func saveProfile(ctx context.Context, tx *sqlx.Tx, sess *Session, before, after *Profile, now time.Time) error {
	changed := map[string]any{}
	for field, pair := range map[string][2]string{
		"phone":           {before.Phone, after.Phone},
		"department_code": {before.DepartmentCode, after.DepartmentCode},
		"ptj_code":        {before.PTJCode, after.PTJCode},
	} {
		if pair[0] != pair[1] {
			changed[field] = map[string]string{"before": pair[0], "after": pair[1]}
		}
	}
	if len(changed) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET phone = $2, department_code = NULLIF($3, ''), ptj_code = NULLIF($4, ''),
		updated_at = $5 WHERE id = $1`, sess.UserID, after.Phone, after.DepartmentCode, after.PTJCode, now); err != nil {
		return fmt.Errorf("save profile: %w", err)
	}
	return audit(ctx, tx, sess.UserID, ids.Mask(sess.User.LoginID), "profile.update", sess.UserID, changed)
}

// ConfirmEmailChange applies an e-mail change whose link was opened from the new mailbox.
func (s *Service) ConfirmEmailChange(ctx context.Context, token string) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	return inTx(ctx, sc, func(tx *sqlx.Tx) error {
		userID, newEmail, err := onetime.TakeLink(ctx, tx, token, "email_change", now)
		if err != nil {
			return err
		}
		var old string
		if err := tx.GetContext(ctx, &old, `SELECT email FROM users WHERE id = $1`, userID); err != nil {
			return fmt.Errorf("read e-mail: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email = $2, email_verified_at = $3, updated_at = $3 WHERE id = $1`,
			userID, newEmail, now); err != nil {
			return fmt.Errorf("change e-mail: %w", err)
		}
		return audit(ctx, tx, userID, "", "profile.email_change", userID, map[string]any{"email": map[string]string{"before": old, "after": newEmail}})
	})
}

// Cancellation is a user's request to close their account (the states' FAQs: within 3 working days).
type Cancellation struct {
	ID    int64  `json:"id"`
	DueOn string `json:"due_on"`
}

// RequestCancellation records the request for IT officers, due three of the state's working
// days later.
func (s *Service) RequestCancellation(ctx context.Context, sess *Session, reason string) (*Cancellation, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 1 || n > 1000 {
		return nil, &InvalidInputError{Fields: []string{"reason"}}
	}
	now := s.now()
	cal, err := calendar.Load(ctx, sc.DB)
	if err != nil {
		return nil, err
	}
	// Counted on the state's own calendar: its weekend and its public holidays.
	due := cal.AddWorkingDays(now.In(myt.Zone), 3)
	c := &Cancellation{DueOn: due.Format(time.DateOnly)}
	err = inTx(ctx, sc, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &c.ID, `INSERT INTO cancellation_requests (user_id, reason, requested_at, due_on)
			VALUES ($1, $2, $3, $4) RETURNING id`, sess.UserID, reason, now, c.DueOn); err != nil {
			return fmt.Errorf("record cancellation request: %w", err)
		}
		return audit(ctx, tx, sess.UserID, ids.Mask(sess.User.LoginID), "account.cancellation_requested", sess.UserID, map[string]any{"due_on": c.DueOn})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
