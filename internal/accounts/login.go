package accounts

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
)

// Login rate limit (IM8 as-4): at most MaxFailures failed attempts per
// account in FailureWindow; after that every attempt is refused until the
// window has passed. Unknown emails are counted the same way, so the answer
// never reveals whether an account exists.
const (
	MaxFailures   = 3
	FailureWindow = 15 * time.Minute
)

// Errors of Login and CheckTOTP. Their messages are safe to show.
var (
	ErrBadCredentials = errors.New("the email or password is not right")
	ErrLocked         = errors.New("too many failed sign-in attempts: try again in 15 minutes")
	ErrBadCode        = errors.New("the code is not right")
)

// accountKey identifies an account for rate limiting without storing the
// email of accounts that do not exist.
func accountKey(email string) string {
	h := sha256.Sum256([]byte("login:" + strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(h[:])
}

// Locked reports whether the account has used up its failed attempts.
func (s *Service) Locked(ctx context.Context, email string) (bool, error) {
	var n int
	err := s.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM login_failures WHERE account_key = $1 AND at > $2`,
		accountKey(email), s.now().Add(-FailureWindow).UnixMilli()).Scan(&n)
	return n >= MaxFailures, err
}

// Login checks an email and password. It returns ErrLocked once the account
// has had MaxFailures failures in the window (even if this password is
// right), ErrBadCredentials otherwise on failure. A successful password
// check is not yet a sign-in when the user has TOTP: the caller then asks
// for a code and calls CheckTOTP.
func (s *Service) Login(ctx context.Context, email, password string) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	locked, err := s.Locked(ctx, email)
	if err != nil {
		return User{}, err
	}
	var hash string
	u, err := scanUser(s.db.R().QueryRowContext(ctx, `SELECT `+userCols+`, u.password_hash`+userFrom+` WHERE u.email = $1`, email), &hash)
	if err != nil && !errors.Is(err, authz.ErrNotFound) {
		return User{}, err
	}
	if errors.Is(err, authz.ErrNotFound) {
		hash = dummyHash
	}
	ok := CheckPassword(hash, password) && err == nil && !u.Disabled
	if locked {
		s.recordFailure(ctx, email, u, audit.UserLoginLocked)
		return User{}, ErrLocked
	}
	if !ok {
		s.recordFailure(ctx, email, u, audit.UserLoginFailed)
		return User{}, ErrBadCredentials
	}
	return u, nil
}

// recordFailure counts a failed attempt and audits it (against the account
// when it exists).
func (s *Service) recordFailure(ctx context.Context, email string, u User, code audit.Code) {
	s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (account_key, at) VALUES ($1, $2)`, accountKey(email), now.UnixMilli()); err != nil {
			return err
		}
		// Keep the table small: forget failures older than the window.
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE account_key = $1 AND at <= $2`, accountKey(email), now.Add(-FailureWindow).UnixMilli()); err != nil {
			return err
		}
		target := u.ID
		if target == "" {
			target = "unknown:" + accountKey(email)[:16]
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: code, Actor: audit.Actor{ID: "anonymous", Label: "anonymous"},
			AgencyID: u.AgencyID, TargetType: "user", TargetID: target})
		return err
	})
}

// CompleteLogin records a successful sign-in.
func (s *Service) CompleteLogin(ctx context.Context, u User, method string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixMilli()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = $1 WHERE id = $2`, now, u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE account_key = $1`, accountKey(u.Email)); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserLogin, Actor: u.Actor().AuditActor(), AgencyID: u.AgencyID,
			TargetType: "user", TargetID: u.ID, After: map[string]string{"method": method}})
		return err
	})
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
