package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/mail"
)

// Errors of Login and CheckTOTP. Their messages are safe to show.
var (
	ErrBadCredentials = errors.New("the email or password is not right")
	ErrLocked         = errors.New("too many failed sign-in attempts from your address: try again in 15 minutes")
	ErrBadCode        = errors.New("the code is not right")
)

// Login checks an email and password from a client address (see
// ratelimit.ClientAddr). It returns ErrLocked while that account is
// throttled for that client (see throttle.go; even if this password is
// right), ErrBadCredentials otherwise on failure. Unknown accounts, and
// accounts that have no password yet, answer exactly as a wrong password
// does, after the same argon2 work. A successful password check is not
// yet a sign-in when the user has TOTP: the caller then asks for a code
// and calls CheckTOTP.
func (s *Service) Login(ctx context.Context, email, password, client string) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	attempt, locked, err := s.reserve(ctx, email, client)
	if err != nil {
		return User{}, err
	}
	var hash string
	u, err := scanUser(s.db.R().QueryRowContext(ctx, `SELECT `+userCols+`, u.password_hash`+userFrom+` WHERE u.email = $1`, email), &hash)
	if err != nil && !errors.Is(err, authz.ErrNotFound) {
		return User{}, err
	}
	usable := err == nil && hash != "" && !u.Disabled
	if hash == "" {
		hash = dummyHash
	}
	ok := CheckPassword(hash, password) && usable
	if locked {
		s.refuseLocked(ctx, email, client, u)
		return User{}, ErrLocked
	}
	if !ok {
		s.recordFailure(ctx, email, client, u)
		return User{}, ErrBadCredentials
	}
	if err := s.release(ctx, attempt); err != nil {
		return User{}, err
	}
	if !s.passwordAllowed(u) {
		return User{}, ErrUseSSO // said only to whoever knows the password
	}
	return u, nil
}

// LoginNotice tells a person who just signed in about failed attempts on
// their account since their previous sign-in.
type LoginNotice struct {
	Failures int
	Last     time.Time
}

// Message is the notice as a sentence ("" when there is nothing to tell).
func (n LoginNotice) Message() string {
	if n.Failures == 0 {
		return ""
	}
	attempts := "attempt"
	if n.Failures != 1 {
		attempts = "attempts"
	}
	return fmt.Sprintf("Since you last signed in there were %d failed sign-in %s on your account, the last at %s UTC. "+
		"If they were not yours, your password held; change it if you think someone knows it.",
		n.Failures, attempts, n.Last.UTC().Format("2006-01-02 15:04"))
}

// CompleteLogin records a successful sign-in from client: it clears that
// client's failures for the account (not other clients'), remembers the
// client as one the account signs in from, and returns what the person
// should be told about failed attempts since their last sign-in.
func (s *Service) CompleteLogin(ctx context.Context, u User, method, client string) (LoginNotice, error) {
	var notice LoginNotice
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		var n int
		var last sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT failed_logins, last_failed_login_at FROM users WHERE id = $1`+s.db.Dialect.ForUpdate, u.ID).
			Scan(&n, &last); err != nil {
			return err
		}
		if n > 0 && last.Valid {
			notice = LoginNotice{Failures: n, Last: time.UnixMilli(last.Int64).UTC()}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = $1, failed_logins = 0 WHERE id = $2`, now.UnixMilli(), u.ID); err != nil {
			return err
		}
		ak, ck := accountKey(u.Email), clientKey(client)
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE account_key = $1 AND client_key = $2`, ak, ck); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_clients (account_key, client_key, last_at) VALUES ($1,$2,$3)
			ON CONFLICT (account_key, client_key) DO UPDATE SET last_at = excluded.last_at`, ak, ck, now.UnixMilli()); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserLogin, Actor: u.Actor().AuditActor(), AgencyID: u.AgencyID,
			TargetType: "user", TargetID: u.ID, After: map[string]string{"method": method, "client": client}})
		return err
	})
	return notice, err
}

// ActiveUser returns the account behind a session or token, or
// ErrNotFound when it no longer exists or is disabled.
func (s *Service) ActiveUser(ctx context.Context, userID string) (User, error) {
	u, err := scanUser(s.db.R().QueryRowContext(ctx, `SELECT `+userCols+userFrom+` WHERE u.id = $1`, userID))
	if err != nil {
		return User{}, err
	}
	if u.Disabled {
		return User{}, authz.ErrNotFound
	}
	return u, nil
}

// warnOwner emails the owner of u that sign-in from client is throttled.
func (s *Service) warnOwner(u User, client string, at time.Time, scope string) {
	why := "after " + fmt.Sprint(s.limits.PerAccountAddress) + " wrong passwords from that address"
	if scope == scopeAccount {
		why = "after many wrong passwords from addresses you have not signed in from before"
	}
	s.send(mail.Message{To: []string{u.Email}, Subject: "Sign-in attempts on your kubu account were blocked",
		Body: "At " + at.UTC().Format("2006-01-02 15:04") + " UTC kubu stopped accepting passwords for your account from " + client +
			" for " + FailureWindow.String() + ", " + why + ".\n\n" +
			"You can still sign in from the addresses you usually use. If these attempts were yours, wait and try again, " +
			"or choose a new password at " + s.link(ForgotPath) + ".\n" +
			"If they were not yours, your password held. Change it if you think someone knows it.\n"})
}
