package account

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/account/lockout"
	"github.com/speks-portal/speks/modules/account/onetime"
	"github.com/speks-portal/speks/modules/account/session"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/tenant"
)

// Identify returns the phrase shown before the password: the account's own, or a decoy in
// the state's language. Both paths read the same row the same way, so the answer takes the
// same time.
func (s *Login) Identify(ctx context.Context, rawID, ip string) (string, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return "", err
	}
	limits, err := lockout.ReadLoginLimits(ctx, sc.DB)
	if err != nil {
		return "", err
	}
	key := identity.ParseLoginID(rawID)
	// Counted once per ID and address, and taken back when that ID then logs in from there.
	if err := lockout.HitIdentify(ctx, sc.DB, limits, lockout.Origin{IP: ip, ID: key.Primary}, s.now()); err != nil {
		return "", err
	}
	u, err := identity.Find(ctx, sc.DB, key)
	if err != nil {
		return "", err
	}
	decoy := s.DecoyPhrase(sc.Tenant.Code, key.Primary, sc.Tenant.DefaultLanguage)
	if u == nil || u.SecretPhrase == "" || u.Status != identity.StatusActive {
		return decoy, nil
	}
	return u.SecretPhrase, nil
}

// LoginInput is one login attempt. Password may also be a one-time code.
type LoginInput struct {
	ID        string
	Password  string
	TOTP      string
	IP        string
	UserAgent string
}

// LoginResult is a new session.
type LoginResult struct {
	Token     string // the cookie value
	CSRFToken string
	Next      string
	User      *identity.User
}

// Login checks an ID and password (or one-time code) and opens a session. Every wrong case
// (unknown ID, wrong password, used or expired code, unverified account) is the same
// ErrInvalidCredentials after the same argon2id work; a locked ID is ErrLocked whether or not
// the password was right.
//
// Before its verification an attempt reads once (the account, the tenant's limits, the
// throttle counts and the lockout row, in one transaction). A correct login then commits
// once: code used, failures cleared, throttle refund (each only when there is something to
// do), session and audit entry in one transaction. A wrong one also commits once (its counts
// and audit entry).
func (s *Login) Login(ctx context.Context, in LoginInput) (*LoginResult, error) {
	var at loginAttempt
	res, err := s.login(ctx, in, &at)
	s.logLogin(ctx, res, err)
	if !at.audited {
		s.auditLogin(ctx, in, &at, res, err)
	}
	return res, err
}

// logLogin records the outcome for operations (ASVS 7.2.1): the account number on success,
// the reason on refusal; never the login ID, which is an IC number.
func (s *Login) logLogin(ctx context.Context, res *LoginResult, err error) {
	switch {
	case err == nil:
		s.Log.InfoContext(ctx, "login", "outcome", "ok", "user_id", res.User.ID, "next", res.Next)
	case errors.Is(err, ErrInvalidCredentials), errors.Is(err, ErrLocked), errors.Is(err, lockout.ErrThrottled), errors.Is(err, ErrTOTPRequired):
		s.Log.InfoContext(ctx, "login", "outcome", err.Error())
	default:
		s.Log.ErrorContext(ctx, "login failed", "err", err)
	}
}

func (s *Login) login(ctx context.Context, in LoginInput, at *loginAttempt) (*LoginResult, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	key := identity.ParseLoginID(in.ID)
	at.subject = loginSubject(key)
	o := lockout.Origin{IP: in.IP, ID: key.Primary}
	// From reading the throttle until a wrong attempt is counted, the attempt holds one of
	// LoginsInFlight places, so a burst of concurrent wrong attempts passes a limit (or the
	// lockout) by at most that many. The argon2id slot is held only for the verification:
	// a core is not left idle while an attempt waits on the database.
	leave, err := s.places().Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if leave != nil {
			leave()
		}
	}()
	u, st, err := readAttempt(ctx, sc, key, o, now)
	if err != nil {
		return nil, err
	}
	at.user = u
	if err := st.Check(); err != nil {
		return nil, err
	}
	purpose, codeID, ok, err := s.checkSecret(ctx, sc, u, in.Password, now)
	if err != nil {
		return nil, err
	}
	rec := outcome{state: st, origin: o, lockKey: lockKey(u, key), in: in, at: at, now: now}
	if st.Lock.Locked(now) || (u != nil && u.Status == identity.StatusLocked) {
		return nil, s.fail(ctx, sc, rec, ErrLocked)
	}
	if !ok {
		return nil, s.fail(ctx, sc, rec, ErrInvalidCredentials)
	}
	if u.HasAdminRole() && u.TOTPEnabled && purpose == PurposeFull {
		if in.TOTP == "" {
			return nil, ErrTOTPRequired
		}
		ok, err := s.checkTOTP(ctx, sc.DB, u.ID, in.TOTP)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, s.fail(ctx, sc, rec, ErrInvalidCredentials)
		}
	}
	// A correct login counts nothing, so it leaves the bound before its commit.
	leave()
	leave = nil
	return s.open(ctx, sc, u, purpose, codeID, rec, now)
}

// places is the LoginsInFlight gate, made at the first login from the configured size.
func (s *Login) places() *credentials.Gate {
	s.attemptsOnce.Do(func() {
		n := s.LoginsInFlight
		if n <= 0 {
			// Two per core: while one attempt verifies, the next reads or commits, so the
			// cores stay busy with argon2id and the bound stays small.
			n = 2 * credentials.VerifySlots()
		}
		s.attempts = credentials.NewGate(n, "a login place")
	})
	return s.attempts
}

// readAttempt reads, in one transaction, the account the ID names (nil when none) and the
// attempt's limits, throttle counts and lockout row.
func readAttempt(ctx context.Context, sc *tenant.Scope, key identity.LoginKey, o lockout.Origin, now time.Time) (*identity.User, lockout.LoginState, error) {
	var u *identity.User
	var st lockout.LoginState
	err := inTx(ctx, sc, func(tx *sqlx.Tx) error {
		var err error
		if u, err = identity.Find(ctx, tx, key); err != nil {
			return err
		}
		st, err = lockout.ReadLogin(ctx, tx, o, lockKey(u, key), now)
		return err
	})
	return u, st, err
}

// lockKey names the lockout row of an attempt: the account's login ID, whichever form of it
// was typed, or the typed ID's own key when it has no account.
func lockKey(u *identity.User, key identity.LoginKey) string {
	if u != nil {
		return u.LoginID
	}
	return key.Primary
}

// checkSecret verifies the password, or else the user's open one-time code. It always runs
// exactly one argon2id verification (against a dummy hash when there is no account or no
// password), so timing does not tell the cases apart. It returns the session purpose.
func (s *Login) checkSecret(ctx context.Context, sc *tenant.Scope, u *identity.User, secret string, now time.Time) (string, int64, bool, error) {
	hash := s.dummy()
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	passwordOK, err := credentials.Verify(ctx, secret, hash)
	if err != nil {
		return "", 0, false, fmt.Errorf("verify password of account %d: %w", idOf(u), err)
	}
	if u == nil {
		return "", 0, false, nil
	}
	if passwordOK && u.PasswordHash != "" && u.Status == identity.StatusActive {
		if u.MustChangePassword {
			return PurposeChangePassword, 0, true, nil
		}
		if u.HasAdminRole() && !u.TOTPEnabled {
			return PurposeEnrolTOTP, 0, true, nil
		}
		if credentials.NeedsRehash(u.PasswordHash, s.Argon) {
			s.rehash(ctx, sc, u.ID, secret)
		}
		return PurposeFull, 0, true, nil
	}
	code, err := onetime.CurrentCode(ctx, sc.DB, u.ID, now)
	if err != nil || code == nil {
		return "", 0, false, err
	}
	if !onetime.MatchCode(s.Keys, code.CodeHash, secret) {
		return "", 0, false, nil
	}
	purpose := codeSessionPurpose(code.Purpose)
	switch {
	case purpose == PurposeCompleteActivation && u.Status == identity.StatusPendingActivation:
	case purpose == PurposeChangePassword && u.Status == identity.StatusActive:
	default:
		return "", 0, false, nil
	}
	return purpose, code.ID, true, nil
}

func idOf(u *identity.User) int64 {
	if u == nil {
		return 0
	}
	return u.ID
}

// rehash upgrades a hash made with weaker parameters; a failure only leaves the old hash.
func (s *Login) rehash(ctx context.Context, sc *tenant.Scope, userID int64, secret string) {
	hash, err := credentials.Hash(ctx, secret, s.Argon)
	if err == nil {
		_, err = sc.DB.ExecContext(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, hash)
	}
	if err != nil {
		s.Log.WarnContext(ctx, "password rehash failed", "user_id", userID, "err", err)
	}
}

// outcome is what recording an attempt's outcome needs (a wrong one in fail, a correct one in
// open): among it what the attempt read before its verification.
type outcome struct {
	state   lockout.LoginState
	origin  lockout.Origin
	lockKey string
	in      LoginInput
	at      *loginAttempt
	now     time.Time
}

// fail records a wrong attempt in one transaction: the throttle counts, a failure towards
// the ID's lockout (not while it is locked already: then ErrLocked), and the audit entry.
// It answers ErrLocked when this failure locked the ID.
func (s *Login) fail(ctx context.Context, sc *tenant.Scope, f outcome, answer error) error {
	err := inTx(ctx, sc, func(tx *sqlx.Tx) error {
		if err := lockout.RecordFailedLogin(ctx, tx, f.state.Limits, f.origin, f.now); err != nil {
			return err
		}
		if errors.Is(answer, ErrInvalidCredentials) {
			locked, err := lockout.RecordFailure(ctx, tx, sc.Tenant, f.lockKey, f.now)
			if err != nil {
				return err
			}
			if locked {
				f.at.lockStarted, answer = true, ErrLocked
			}
		}
		return writeAudits(ctx, tx, loginEntries(f.in, f.at, nil, answer))
	})
	if err != nil {
		return err
	}
	f.at.audited = true
	return answer
}

// open uses the code (if any), clears the failures, refunds the throttle, creates the session
// and writes the audit entry in one transaction. What the attempt read before its verification
// says whether there are failures to clear or attempts to refund; a wrong attempt committed
// since then counts as coming after this login.
func (s *Login) open(ctx context.Context, sc *tenant.Scope, u *identity.User, purpose string, codeID int64, f outcome, now time.Time) (*LoginResult, error) {
	var res *LoginResult
	err := inTx(ctx, sc, func(tx *sqlx.Tx) error {
		if codeID != 0 {
			used, err := onetime.UseCode(ctx, tx, codeID, now)
			if err != nil {
				return err
			}
			if !used {
				return ErrInvalidCredentials // a concurrent login took the code
			}
		}
		if !f.state.Lock.Empty() {
			if err := lockout.Clear(ctx, tx, f.lockKey); err != nil {
				return err
			}
		}
		token, csrf, err := session.Create(ctx, tx, u.ID, purpose, f.in.IP, f.in.UserAgent, now)
		if err != nil {
			return err
		}
		next := "home"
		if purpose != PurposeFull {
			next = purpose
		}
		res = &LoginResult{Token: token, CSRFToken: csrf, Next: next, User: u}
		if err := writeAudits(ctx, tx, loginEntries(f.in, f.at, res, nil)); err != nil {
			return err
		}
		if !f.state.Forgives() {
			return nil
		}
		// Last: the address's counters are shared by everyone behind it, so their row locks
		// are held only until the commit.
		return lockout.ForgiveLogin(ctx, tx, f.state.Limits, f.origin, now)
	})
	if err != nil {
		return nil, err
	}
	f.at.audited = true
	return res, nil
}

// Authenticate loads the session of a cookie value; session.ErrNone when there is none.
func (s *Login) Authenticate(ctx context.Context, token string) (*Session, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	idle := time.Duration(sc.Tenant.SessionIdleMinutes) * time.Minute
	return loadSession(ctx, sc.DB, token, idle, s.now())
}

// Logout ends one session, audited with the session's account.
func (s *Login) Logout(ctx context.Context, sess *Session) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	return inTx(ctx, sc, func(tx *sqlx.Tx) error {
		if err := session.End(ctx, tx, sess.IDHash); err != nil {
			return err
		}
		return writeAudit(ctx, tx, logoutEntry(sess, false))
	})
}

// LogoutEverywhere ends every session of the user, this one included.
func (s *Login) LogoutEverywhere(ctx context.Context, sess *Session) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	return inTx(ctx, sc, func(tx *sqlx.Tx) error {
		if err := session.EndAllOf(ctx, tx, sess.UserID, nil); err != nil {
			return err
		}
		return writeAudit(ctx, tx, logoutEntry(sess, true))
	})
}

func logoutEntry(sess *Session, everywhere bool) auditEntry {
	e := auditEntry{ActorID: sess.UserID, Actor: "#" + strconv.FormatInt(sess.UserID, 10), Action: ActionLogout,
		UserID: sess.UserID, Detail: map[string]any{"all_sessions": everywhere}}
	if sess.User != nil {
		e.Actor, e.Subject = actorLabel(sess.User), ids.Mask(sess.User.LoginID)
	}
	return e
}

// Unlock ends the lockout of an account and, when an officer had locked it, makes it active
// again: the IT officer's unlock (admin console) calls this.
func (s *Service) Unlock(ctx context.Context, userID int64, actor string) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	return inTx(ctx, sc, func(tx *sqlx.Tx) error {
		var login string
		if err := tx.GetContext(ctx, &login, `UPDATE users SET status = CASE WHEN status = 'locked' THEN 'active' ELSE status END,
			updated_at = now() WHERE id = $1 RETURNING login_id`, userID); err != nil {
			return fmt.Errorf("unlock account %d: %w", userID, err)
		}
		if err := lockout.Clear(ctx, tx, login); err != nil {
			return err
		}
		return audit(ctx, tx, 0, actor, "account.unlock", userID, nil)
	})
}

// codeSessionPurpose is what a session opened with a code of this purpose may do.
func codeSessionPurpose(codePurpose string) string {
	if codePurpose == onetime.CodeFirstLogin {
		return PurposeCompleteActivation
	}
	return PurposeChangePassword
}
