package account

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/account/onetime"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/tenant"
)

// RegisterInput is the self-registration form (PK 0101).
type RegisterInput struct {
	Category, ID, Name, Email, Phone, DepartmentCode, PTJCode string
	IP, Lang, BaseURL                                         string
}

// Register records a self-registration and mails a verification link (self_register tenants).
// A form with malformed fields is refused (that says nothing about any account); a well-formed
// one is accepted whatever happens next, and an ID that already has an account gets no mail.
func (s *Registration) Register(ctx context.Context, in RegisterInput) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	if sc.Tenant.RegistrationMode != tenant.SelfRegister {
		return ErrWrongMode
	}
	key, err := s.validateRegistration(ctx, sc, &in)
	if err != nil {
		return err
	}
	now := s.now()
	if err := s.throttleRecovery(ctx, sc, "register", key, in.IP, now); err != nil {
		return err
	}
	err = inTx(ctx, sc, func(tx *sqlx.Tx) error {
		u, err := identity.Find(ctx, tx, key)
		if err != nil || u != nil {
			return err
		}
		alt := ""
		if len(key.Keys) > 1 {
			alt = key.Keys[1]
		}
		var id int64
		if err := tx.GetContext(ctx, &id, `INSERT INTO users (category, login_id, alt_login_id, name, email, phone, status,
			department_code, ptj_code, created_at, updated_at)
			VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, 'pending_verification', NULLIF($7, ''), NULLIF($8, ''), $9, $9)
			RETURNING id`, in.Category, key.Primary, alt, in.Name, in.Email, in.Phone, in.DepartmentCode, in.PTJCode, now); err != nil {
			if isUniqueViolation(err) {
				return errAlreadyRegistered // a concurrent registration of the same ID won
			}
			return fmt.Errorf("create registration: %w", err)
		}
		link, err := onetime.IssueLink(ctx, tx, id, "verify_email", "", in.BaseURL+"/verify-email", now)
		if err != nil {
			return err
		}
		return notify.Enqueue(ctx, tx, notify.Message{To: in.Email, Template: notify.TemplateVerifyEmail, Lang: in.Lang,
			Data: map[string]any{"name": in.Name, "link": link, "expires_hours": int(onetime.LinkLifetime / time.Hour)}})
	})
	if errors.Is(err, errAlreadyRegistered) {
		return nil // answered like any other registration
	}
	return err
}

var errAlreadyRegistered = errors.New("already registered")

func (s *Registration) validateRegistration(ctx context.Context, sc *tenant.Scope, in *RegisterInput) (identity.LoginKey, error) {
	in.Name = strings.Join(strings.Fields(in.Name), " ")
	in.Email = strings.TrimSpace(in.Email)
	in.Phone = strings.TrimSpace(in.Phone)
	var bad []string
	key := identity.ParseLoginID(in.ID)
	if in.Category != identity.CategoryStaff && in.Category != identity.CategorySupplier {
		bad = append(bad, "category")
	} else if key.Category != in.Category {
		bad = append(bad, "id")
	}
	if n := utf8.RuneCountInString(in.Name); n < 2 || n > 200 {
		bad = append(bad, "name")
	}
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
		bad = append(bad, "email")
	}
	if len(in.Phone) > 30 {
		bad = append(bad, "phone")
	}
	if in.Category == identity.CategoryStaff {
		var ok bool
		err := sc.DB.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM ptjs WHERE code = $1 AND department_code = $2)`, in.PTJCode, in.DepartmentCode)
		if err != nil {
			return key, fmt.Errorf("check department: %w", err)
		}
		if !ok {
			bad = append(bad, "department_code", "ptj_code")
		}
	} else {
		in.DepartmentCode, in.PTJCode = "", ""
	}
	if bad != nil {
		return key, &InvalidInputError{Fields: bad}
	}
	return key, nil
}

// VerifyEmail confirms a self-registration's address: the account then waits for an IT
// officer (or `speks user activate`).
func (s *Registration) VerifyEmail(ctx context.Context, token string) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	return inTx(ctx, sc, func(tx *sqlx.Tx) error {
		userID, _, err := onetime.TakeLink(ctx, tx, token, "verify_email", now)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET status = 'pending_activation', email_verified_at = $2, updated_at = $2
			WHERE id = $1 AND status = 'pending_verification'`, userID, now); err != nil {
			return fmt.Errorf("verify e-mail: %w", err)
		}
		return audit(ctx, tx, userID, "", "account.verify_email", userID, nil)
	})
}

// ActivateRegistration is the IT officer's activation of a verified self-registration: the
// account becomes active without a password, and a one-time code is mailed so the first login
// ends in setting one (PK 0101: first login must change the password).
func (s *Registration) ActivateRegistration(ctx context.Context, rawID, actor, loginURL string) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	u, err := identity.Find(ctx, sc.DB, identity.ParseLoginID(rawID))
	if err != nil {
		return err
	}
	if u == nil {
		return fmt.Errorf("no account with ID %s in %s", ids.Mask(rawID), sc.Tenant.Code)
	}
	if u.Status != identity.StatusPendingActivation {
		return fmt.Errorf("account %d is %s, not pending_activation", u.ID, u.Status)
	}
	return inTx(ctx, sc, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET status = 'active', must_change_password = true, activated_at = $2,
			updated_at = $2 WHERE id = $1`, u.ID, now); err != nil {
			return fmt.Errorf("activate account: %w", err)
		}
		code, err := onetime.IssueCode(ctx, tx, s.Keys.Newest(), u.ID, onetime.CodeAccountCreated, now)
		if err != nil {
			return err
		}
		if err := enqueueCode(ctx, tx, u, code, notify.PurposeAccountCreated, "", loginURL); err != nil {
			return err
		}
		return audit(ctx, tx, 0, actor, "account.activate", u.ID, nil)
	})
}

// NewAccount is an account an officer (or the CLI) creates directly (admin_only tenants, IT
// officers themselves).
type NewAccount struct {
	Category, ID, Name, Email, Phone string
	Roles                            []string
}

// CreateAccount creates an active account without a password and mails a one-time code, so
// the person's first login ends in setting their own password. It returns the account ID.
func (s *Registration) CreateAccount(ctx context.Context, in NewAccount, actor, loginURL string) (int64, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return 0, err
	}
	var id int64
	err = inTx(ctx, sc, func(tx *sqlx.Tx) error {
		id, err = s.CreateAccountIn(ctx, tx, in, actor, loginURL)
		return err
	})
	return id, err
}

// CreateAccountIn is CreateAccount inside the caller's transaction, for a workflow that
// creates the account together with its own changes (an approved user-administration request).
func (s *Registration) CreateAccountIn(ctx context.Context, tx *sqlx.Tx, in NewAccount, actor, loginURL string) (int64, error) {
	key := identity.ParseLoginID(in.ID)
	if !key.Valid() {
		return 0, &InvalidInputError{Fields: []string{"id"}}
	}
	if _, err := mail.ParseAddress(in.Email); err != nil {
		return 0, &InvalidInputError{Fields: []string{"email"}}
	}
	now := s.now()
	u, err := createActive(ctx, tx, key, in, now)
	if err != nil {
		return 0, err
	}
	code, err := onetime.IssueCode(ctx, tx, s.Keys.Newest(), u.ID, onetime.CodeAccountCreated, now)
	if err != nil {
		return 0, err
	}
	if err := enqueueCode(ctx, tx, u, code, notify.PurposeAccountCreated, "", loginURL); err != nil {
		return 0, err
	}
	return u.ID, audit(ctx, tx, 0, actor, "account.create", u.ID, map[string]any{"roles": in.Roles})
}

func createActive(ctx context.Context, tx *sqlx.Tx, key identity.LoginKey, in NewAccount, now time.Time) (*identity.User, error) {
	alt := ""
	if len(key.Keys) > 1 {
		alt = key.Keys[1]
	}
	roles := in.Roles
	if roles == nil {
		roles = []string{}
	}
	u := &identity.User{Name: in.Name, Email: in.Email, LoginID: key.Primary}
	// The link to the person's payroll or supplier record is set by the database (migration
	// 00046_account_links.sql), as for every other way an account is created.
	err := tx.GetContext(ctx, &u.ID, `INSERT INTO users (category, login_id, alt_login_id, name, email, phone, status, roles,
		must_change_password, activated_at, created_at, updated_at)
		VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, 'active', $7, true, $8, $8, $8) RETURNING id`,
		in.Category, key.Primary, alt, in.Name, in.Email, in.Phone, stringArray(roles), now)
	if err != nil {
		return nil, fmt.Errorf("create account: %w", err)
	}
	return u, nil
}
