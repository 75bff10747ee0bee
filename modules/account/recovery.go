package account

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/account/lockout"
	"github.com/speks-portal/speks/modules/account/onetime"
	"github.com/speks-portal/speks/modules/account/session"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
)

// PasswordChange is a change-password form. SecretPhrase is needed (and only used) when the
// account has no phrase yet: self-registered and officer-created accounts set theirs here.
type PasswordChange struct {
	Current, New, SecretPhrase string
}

// NeedsPhrase reports whether the change-password form must ask for a secret phrase.
func (s *Session) NeedsPhrase() bool { return s.User.SecretPhrase == "" }

// ChangePassword sets a new password. A full session must give the current password (PK 0105;
// wrong guesses are throttled per account, so a stolen session cannot try many); a
// change_password session (opened with a one-time code) already proved possession of the
// e-mail and needs none. Either way every other session of the user ends, the session itself
// becomes a full one, and a notice is mailed.
func (s *Recovery) ChangePassword(ctx context.Context, sess *Session, in PasswordChange, lang string) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	u := sess.User
	now := s.now()
	switch sess.Purpose {
	case PurposeFull:
		if err := lockout.Hit(ctx, sc.DB, "change-password:"+u.LoginID, s.Limits.RecoveryPerAccount, now); err != nil {
			return err
		}
		ok, err := credentials.Verify(ctx, in.Current, u.PasswordHash)
		if err != nil || !ok {
			return ErrWrongCurrentPassword
		}
	case PurposeChangePassword:
	default:
		return ErrNotRestricted
	}
	phrase := strings.TrimSpace(in.SecretPhrase)
	if sess.NeedsPhrase() && !validPhrase(phrase) {
		return &InvalidInputError{Fields: []string{"secret_phrase"}}
	}
	if reasons := credentials.CheckPassword(in.New, u.LoginID, u.Name, sc.Tenant.Code, sc.Tenant.Name); reasons != nil {
		return &WeakPasswordError{Reasons: reasons}
	}
	if in.Current != "" && in.Current == in.New {
		return &WeakPasswordError{Reasons: []string{"same_as_current"}}
	}
	hash, err := credentials.Hash(ctx, in.New, s.Argon)
	if err != nil {
		return err
	}
	if !sess.NeedsPhrase() {
		phrase = u.SecretPhrase
	}
	return inTx(ctx, sc, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, must_change_password = false, secret_phrase = $4,
			password_changed_at = $3, updated_at = $3 WHERE id = $1`, u.ID, hash, now, phrase); err != nil {
			return fmt.Errorf("store password: %w", err)
		}
		if err := session.EndAllOf(ctx, tx, u.ID, sess.IDHash); err != nil {
			return err
		}
		if err := session.Lift(ctx, tx, sess.IDHash, sess.Purpose); err != nil {
			return err
		}
		if err := audit(ctx, tx, u.ID, ids.Mask(u.LoginID), "password.change", u.ID, nil); err != nil {
			return err
		}
		if u.Email == "" {
			return nil
		}
		return notify.Enqueue(ctx, tx, notify.Message{To: u.Email, Template: notify.TemplatePasswordChanged, Lang: lang,
			Data: map[string]any{"name": u.Name, "changed_at": myt.DateTime(now)}})
	})
}

// ForgotInput is a forgot-password request (PK 0106).
type ForgotInput struct {
	ID, Email, SecurityAnswer string
	QuestionID                int
	IP, Lang, LoginURL        string
}

// ForgotPassword mails a one-time code when the ID and registered e-mail match an active
// account (and, where the account has security questions and an answer is given, the answer
// too). The caller answers 202 whatever happens: only the mail box owner learns anything.
func (s *Recovery) ForgotPassword(ctx context.Context, in ForgotInput) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	key := identity.ParseLoginID(in.ID)
	if err := s.throttleRecovery(ctx, sc, "forgot", key, in.IP, now); err != nil {
		return err
	}
	u, err := identity.Find(ctx, sc.DB, key)
	if err != nil {
		return err
	}
	match := u != nil && u.Status == identity.StatusActive && sameEmail(u.Email, in.Email)
	required, err := s.answerRequired(ctx, sc, u)
	if err != nil {
		return err
	}
	answerOK, err := s.checkAnswer(ctx, sc, u, in.QuestionID, in.SecurityAnswer)
	if err != nil || !match || !answerOK || (required && in.SecurityAnswer == "") {
		return err
	}
	return inTx(ctx, sc, func(tx *sqlx.Tx) error {
		code, err := onetime.IssueCode(ctx, tx, s.Keys.Newest(), u.ID, onetime.CodePasswordReset, now)
		if err != nil {
			return err
		}
		return enqueueCode(ctx, tx, u, code, notify.PurposePasswordReset, in.Lang, in.LoginURL)
	})
}

// SecurityAnswerRequired reports the tenant's policy: forgot-password asks for an answer.
func (s *Recovery) SecurityAnswerRequired(ctx context.Context) (bool, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return false, err
	}
	var required bool
	if err := sc.DB.GetContext(ctx, &required, `SELECT require_security_answer FROM account_settings`); err != nil {
		return false, fmt.Errorf("read account settings: %w", err)
	}
	return required, nil
}

// answerRequired: the policy applies to users who have security answers (docs/API.md "Getting an account").
func (s *Recovery) answerRequired(ctx context.Context, sc *tenant.Scope, u *identity.User) (bool, error) {
	required, err := s.SecurityAnswerRequired(ctx)
	if err != nil || !required || u == nil {
		return false, err
	}
	var has bool
	if err := sc.DB.GetContext(ctx, &has, `SELECT EXISTS (SELECT 1 FROM user_security_answers WHERE user_id = $1)`, u.ID); err != nil {
		return false, fmt.Errorf("read security answers: %w", err)
	}
	return has, nil
}

// checkAnswer verifies a security answer when one is given; always one argon2id run, so a
// request with an answer takes as long whether the ID exists or not.
func (s *Recovery) checkAnswer(ctx context.Context, sc *tenant.Scope, u *identity.User, questionID int, answer string) (bool, error) {
	if answer == "" {
		return true, nil
	}
	hash := s.dummy()
	if u != nil {
		var stored string
		err := sc.DB.GetContext(ctx, &stored, `SELECT answer_hash FROM user_security_answers WHERE user_id = $1 AND question_id = $2`, u.ID, questionID)
		if err == nil {
			hash = stored
		}
	}
	ok, err := credentials.Verify(ctx, foldAnswer(answer), hash)
	if err != nil {
		return false, fmt.Errorf("verify security answer: %w", err)
	}
	return ok && hash != s.dummy(), nil
}

func (s *Config) throttleRecovery(ctx context.Context, sc *tenant.Scope, flow string, key identity.LoginKey, ip string, now time.Time) error {
	if err := lockout.Hit(ctx, sc.DB, flow+":ip:"+ip, s.Limits.RecoveryPerIP, now); err != nil {
		return err
	}
	return lockout.Hit(ctx, sc.DB, flow+":id:"+key.Primary, s.Limits.RecoveryPerAccount, now)
}

func sameEmail(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	return a != "" && strings.EqualFold(a, b)
}

func enqueueCode(ctx context.Context, tx *sqlx.Tx, u *identity.User, code, purpose, lang, link string) error {
	data := map[string]any{"name": u.Name, "code": code, "purpose": purpose, "expires_minutes": int(onetime.CodeLifetime / time.Minute)}
	if link != "" {
		data["link"] = link
	}
	return notify.Enqueue(ctx, tx, notify.Message{To: u.Email, Template: notify.TemplateOneTimeCode, Lang: lang, Data: data})
}

// FirstLoginInput is a "Login Kali Pertama" request (payroll_match tenants).
type FirstLoginInput struct {
	ID, Email          string
	IP, Lang, LoginURL string
}

// FirstLogin creates (or refreshes) a pending account from the payroll or supplier master and
// mails a one-time code — only when the ID is in the master, no active account exists, the
// e-mail equals the master's and lies in the tenant's e-mail domains. The caller answers 202
// whatever happens.
func (s *Recovery) FirstLogin(ctx context.Context, in FirstLoginInput) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	if sc.Tenant.RegistrationMode != tenant.PayrollMatch {
		return ErrWrongMode
	}
	now := s.now()
	key := identity.ParseLoginID(in.ID)
	if err := s.throttleRecovery(ctx, sc, "first-login", key, in.IP, now); err != nil {
		return err
	}
	rec, err := masterRecord(ctx, sc.DB, key)
	if err != nil || rec == nil || !sameEmail(rec.Email, in.Email) || !tenant.EmailInDomains(strings.TrimSpace(rec.Email), sc.Tenant.EmailDomains) {
		return err
	}
	if _, err := mail.ParseAddress(rec.Email); err != nil {
		return nil // the master's address is unusable: only the payroll unit can fix it
	}
	err = inTx(ctx, sc, func(tx *sqlx.Tx) error {
		userID, ok, err := pendingAccount(ctx, tx, rec, now)
		if err != nil || !ok {
			return err
		}
		code, err := onetime.IssueCode(ctx, tx, s.Keys.Newest(), userID, onetime.CodeFirstLogin, now)
		if err != nil {
			return err
		}
		u := &identity.User{ID: userID, Name: rec.Name, Email: strings.TrimSpace(rec.Email)}
		return enqueueCode(ctx, tx, u, code, notify.PurposeFirstLogin, in.Lang, in.LoginURL)
	})
	if errors.Is(err, errAlreadyRegistered) {
		return nil
	}
	return err
}

// master is a person's record in the payroll or supplier master.
type master struct {
	Category       string
	LoginID        string
	AltLoginID     string
	Name           string
	Email          string
	Phone          string
	DepartmentCode string
	PTJCode        string
}

func masterRecord(ctx context.Context, db sqlx.QueryerContext, key identity.LoginKey) (*master, error) {
	switch key.Category {
	case identity.CategoryStaff:
		m := master{Category: identity.CategoryStaff}
		err := db.QueryRowxContext(ctx, `SELECT ic_no, name, email, phone, department_code, ptj_code
			FROM employees WHERE ic_no = $1 AND status = 'active'`, key.Primary).
			Scan(&m.LoginID, &m.Name, &m.Email, &m.Phone, &m.DepartmentCode, &m.PTJCode)
		return nilIfNoRows(&m, err)
	case identity.CategorySupplier:
		var m master
		var newNo, oldNo *string
		err := db.QueryRowxContext(ctx, `SELECT reg_no_new, reg_no_old, name, email, phone FROM suppliers
			WHERE (reg_no_new = ANY($1) OR reg_no_old = ANY($1)) AND status = 'active' LIMIT 1`, stringArray(key.Keys)).
			Scan(&newNo, &oldNo, &m.Name, &m.Email, &m.Phone)
		m.Category = identity.CategorySupplier
		if newNo != nil {
			m.LoginID = *newNo
			if oldNo != nil {
				m.AltLoginID = *oldNo
			}
		} else if oldNo != nil {
			m.LoginID = *oldNo
		}
		return nilIfNoRows(&m, err)
	}
	return nil, nil
}

// pendingAccount finds or creates the pending account of a master record. false when an
// account exists that is already active (or locked, deactivated): first login is for people
// without an account, and says so to nobody.
func pendingAccount(ctx context.Context, tx *sqlx.Tx, m *master, now time.Time) (int64, bool, error) {
	var existing struct {
		ID     int64  `db:"id"`
		Status string `db:"status"`
	}
	err := tx.GetContext(ctx, &existing, `SELECT id, status FROM users WHERE login_id = $1 OR alt_login_id = $1`, m.LoginID)
	if err == nil {
		return existing.ID, existing.Status == identity.StatusPendingActivation, nil
	}
	if !isNoRows(err) {
		return 0, false, fmt.Errorf("find account: %w", err)
	}
	var id int64
	// The database links the account to m's master record (migration 00046_account_links.sql).
	err = tx.GetContext(ctx, &id, `INSERT INTO users (category, login_id, alt_login_id, name, email, phone, status,
		department_code, ptj_code, created_at, updated_at)
		VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, 'pending_activation', NULLIF($7, ''), NULLIF($8, ''), $9, $9)
		RETURNING id`, m.Category, m.LoginID, m.AltLoginID, m.Name, strings.TrimSpace(m.Email), m.Phone,
		m.DepartmentCode, m.PTJCode, now)
	if isUniqueViolation(err) {
		return 0, false, errAlreadyRegistered // a concurrent request created it and mails the code
	}
	if err != nil {
		return 0, false, fmt.Errorf("create pending account: %w", err)
	}
	return id, true, nil
}

// SecurityAnswer is one answer of the activation form.
type SecurityAnswer struct {
	QuestionID int    `json:"question_id"`
	Answer     string `json:"answer"`
}

// ActivateInput is the "Maklumat Pendaftaran Baru" form.
type ActivateInput struct {
	NewPassword  string
	Answers      []SecurityAnswer
	SecretPhrase string
}

// Activate completes a first login: password, three security answers, secret phrase. The
// account becomes active and the session ends: the user logs in again with the new password.
func (s *Recovery) Activate(ctx context.Context, sess *Session, in ActivateInput) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	if sess.Purpose != PurposeCompleteActivation {
		return ErrNotRestricted
	}
	u := sess.User
	if err := s.validateActivation(ctx, sc, in); err != nil {
		return err
	}
	if reasons := credentials.CheckPassword(in.NewPassword, u.LoginID, u.Name, sc.Tenant.Code, sc.Tenant.Name); reasons != nil {
		return &WeakPasswordError{Reasons: reasons}
	}
	hash, err := credentials.Hash(ctx, in.NewPassword, s.Argon)
	if err != nil {
		return err
	}
	answers := make([]string, len(in.Answers))
	for i, a := range in.Answers {
		if answers[i], err = s.hashAnswer(ctx, a.Answer); err != nil {
			return err
		}
	}
	now := s.now()
	return inTx(ctx, sc, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, secret_phrase = $3, status = 'active',
			must_change_password = false, activated_at = $4, password_changed_at = $4, email_verified_at = coalesce(email_verified_at, $4),
			updated_at = $4 WHERE id = $1`, u.ID, hash, strings.TrimSpace(in.SecretPhrase), now); err != nil {
			return fmt.Errorf("activate account: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_security_answers WHERE user_id = $1`, u.ID); err != nil {
			return fmt.Errorf("replace security answers: %w", err)
		}
		for i, a := range in.Answers {
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_security_answers (user_id, question_id, answer_hash) VALUES ($1, $2, $3)`,
				u.ID, a.QuestionID, answers[i]); err != nil {
				return fmt.Errorf("store security answer: %w", err)
			}
		}
		if err := session.EndAllOf(ctx, tx, u.ID, nil); err != nil {
			return err
		}
		return audit(ctx, tx, u.ID, ids.Mask(u.LoginID), "account.activate", u.ID, nil)
	})
}

func (s *Recovery) validateActivation(ctx context.Context, sc *tenant.Scope, in ActivateInput) error {
	var bad []string
	if !validPhrase(strings.TrimSpace(in.SecretPhrase)) {
		bad = append(bad, "secret_phrase")
	}
	seen := map[int]bool{}
	for _, a := range in.Answers {
		if seen[a.QuestionID] || len([]rune(foldAnswer(a.Answer))) < 2 || len(a.Answer) > 200 {
			bad = append(bad, "security_answers")
			break
		}
		seen[a.QuestionID] = true
	}
	if len(in.Answers) != 3 {
		bad = append(bad, "security_answers")
	} else {
		var known int
		ids := []int{in.Answers[0].QuestionID, in.Answers[1].QuestionID, in.Answers[2].QuestionID}
		if err := sc.DB.GetContext(ctx, &known, `SELECT count(*) FROM security_questions WHERE active AND id = ANY($1)`, intArray(ids)); err != nil {
			return fmt.Errorf("check security questions: %w", err)
		}
		if known != 3 {
			bad = append(bad, "security_answers")
		}
	}
	if bad != nil {
		return &InvalidInputError{Fields: slices.Compact(bad)}
	}
	return nil
}

// Question is one security question in the request's language.
type Question struct {
	ID   int    `json:"id" db:"id"`
	Text string `json:"text" db:"text"`
}

// SecurityQuestions lists the tenant's active questions in lang.
func (s *Recovery) SecurityQuestions(ctx context.Context, lang string) ([]Question, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	col := "text_ms"
	if lang == "en" {
		col = "text_en"
	}
	qs := []Question{}
	if err := sc.DB.SelectContext(ctx, &qs, `SELECT id, `+col+` AS text FROM security_questions WHERE active ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list security questions: %w", err)
	}
	return qs, nil
}

// validPhrase: 3 to 60 characters, so it is recognisable and fits the login page.
func validPhrase(p string) bool {
	n := len([]rune(p))
	return n >= 3 && n <= 60
}
