package accounts

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"hash/fnv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/store"
)

// Sign-in throttling (IM8 as-4 limits password guessing; it must not let a
// stranger keep the owner out). Failed password and code checks are
// counted per account and client address in FailureWindow:
//
//   - MaxFailures for one account from one client address throttles that
//     pair, even for the right password, until the window passes. The
//     owner signing in from another address is not affected, and the
//     owner's success clears only their own address's failures.
//   - MaxClientFailures from one address over all accounts throttles that
//     address (password spraying), and MaxAccountFailures on one account
//     from every address throttles the account (guessing spread over many
//     addresses) — but both only for addresses the account has not signed
//     in from within KnownClientTTL, so the owner's usual addresses keep
//     working.
//
// Unknown accounts are counted and answered the same way. The owner is
// told by email when a limit is reached, and on their next sign-in.
const (
	MaxFailures        = 3
	MaxClientFailures  = 30
	MaxAccountFailures = 30
	FailureWindow      = 15 * time.Minute
	KnownClientTTL     = 90 * 24 * time.Hour
)

// Throttle sizes the limits: failures in FailureWindow per account and
// client address, per address, and per account from unfamiliar addresses.
type Throttle struct {
	PerAccountAddress, PerAddress, PerAccount int
}

func (t Throttle) withDefaults() Throttle {
	def := func(n, d int) int {
		if n <= 0 {
			return d
		}
		return n
	}
	return Throttle{def(t.PerAccountAddress, MaxFailures), def(t.PerAddress, MaxClientFailures), def(t.PerAccount, MaxAccountFailures)}
}

// What a limit was reached for (audited with user.login_throttled).
const (
	scopePair    = "account+address"
	scopeClient  = "address"
	scopeAccount = "account"
)

// accountKey identifies an account for rate limiting without storing the
// email of accounts that do not exist.
func accountKey(email string) string {
	h := sha256.Sum256([]byte("login:" + strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(h[:])
}

// clientKey identifies a client address without storing it.
func clientKey(client string) string {
	h := sha256.Sum256([]byte("client:" + client))
	return hex.EncodeToString(h[:])
}

// failureCounts are the failures in the window: of the pair, of the
// account from every address, of the address on every account.
type failureCounts struct{ pair, account, client int }

func (s *Service) countFailures(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, ak, ck string) (failureCounts, error) {
	var c failureCounts
	err := q.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN account_key = $1 AND client_key = $2 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN account_key = $1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN client_key = $2 THEN 1 ELSE 0 END), 0)
		FROM login_failures WHERE (account_key = $1 OR client_key = $2) AND at > $3`,
		ak, ck, s.now().Add(-FailureWindow).UnixMilli()).Scan(&c.pair, &c.account, &c.client)
	return c, err
}

// knownClient reports whether the account signed in from the client
// within KnownClientTTL.
func (s *Service) knownClient(ctx context.Context, tx *sql.Tx, ak, ck string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_clients WHERE account_key = $1 AND client_key = $2 AND last_at > $3`,
		ak, ck, s.now().Add(-KnownClientTTL).UnixMilli()).Scan(&n)
	return n > 0, err
}

// reserve decides whether an attempt on the account email from client may
// check a password or code. When it may, the attempt is counted now, as a
// failure until release says otherwise: counting only after the (slow)
// check would let many guesses sent at once all pass the limit. The
// decision and the count are one transaction, serialised per account (the
// single SQLite writer; an advisory lock on PostgreSQL).
func (s *Service) reserve(ctx context.Context, email, client string) (attempt string, throttled bool, err error) {
	ak, ck := accountKey(email), clientKey(client)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if s.db.Engine == store.Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, accountLock(ak)); err != nil {
				return err
			}
		}
		c, err := s.countFailures(ctx, tx, ak, ck)
		if err != nil {
			return err
		}
		switch {
		case c.pair >= s.limits.PerAccountAddress:
			throttled = true
		case c.client >= s.limits.PerAddress || c.account >= s.limits.PerAccount:
			known, err := s.knownClient(ctx, tx, ak, ck)
			if err != nil {
				return err
			}
			throttled = !known
		}
		if throttled {
			return nil
		}
		attempt = id.New()
		_, err = tx.ExecContext(ctx, `INSERT INTO login_failures (id, account_key, client_key, at) VALUES ($1, $2, $3, $4)`,
			attempt, ak, ck, s.now().UnixMilli())
		return err
	})
	return attempt, throttled, err
}

// release uncounts a reserved attempt that succeeded.
func (s *Service) release(ctx context.Context, attempt string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE id = $1`, attempt)
		return err
	})
}

// accountLock is the advisory lock key of an account's sign-in attempts.
func accountLock(ak string) int64 {
	h := fnv.New64a()
	h.Write([]byte("kubu-login\x00" + ak))
	return int64(h.Sum64())
}

// refuseLocked audits an attempt refused because it is throttled. It is
// not counted as a failure: no password was tried.
func (s *Service) refuseLocked(ctx context.Context, email, client string, u User) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserLoginLocked, Actor: anonymous,
			AgencyID: u.AgencyID, TargetType: "user", TargetID: failureTarget(email, u), After: map[string]string{"client": client}})
		return err
	})
	if err != nil {
		s.log.Error("audit refused sign-in", "err", err)
	}
}

func failureTarget(email string, u User) string {
	if u.ID != "" {
		return u.ID
	}
	return "unknown:" + accountKey(email)[:16]
}

// recordFailure completes a failed password or code check from client
// (reserve counted it) and audits it (against the account when it
// exists). When the failure reaches a limit it is audited as such and the
// owner is emailed.
func (s *Service) recordFailure(ctx context.Context, email, client string, u User) {
	ak, ck := accountKey(email), clientKey(client)
	var reached string
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		// Keep the table small: forget failures older than the window.
		old := now.Add(-FailureWindow).UnixMilli()
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE (account_key = $1 OR client_key = $2) AND at <= $3`, ak, ck, old); err != nil {
			return err
		}
		if u.ID != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = failed_logins + 1, last_failed_login_at = $1 WHERE id = $2`,
				now.UnixMilli(), u.ID); err != nil {
				return err
			}
		}
		target := failureTarget(email, u)
		if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserLoginFailed, Actor: anonymous, AgencyID: u.AgencyID,
			TargetType: "user", TargetID: target, After: map[string]string{"client": client}}); err != nil {
			return err
		}
		c, err := s.countFailures(ctx, tx, ak, ck)
		if err != nil {
			return err
		}
		switch {
		case c.pair == s.limits.PerAccountAddress:
			reached = scopePair
		case c.account == s.limits.PerAccount:
			reached = scopeAccount
		case c.client == s.limits.PerAddress:
			reached = scopeClient
		default:
			return nil
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserLoginThrottled, Actor: anonymous, AgencyID: u.AgencyID,
			TargetType: "user", TargetID: target, After: map[string]string{"client": client, "scope": reached}})
		return err
	})
	if err != nil {
		s.log.Error("record failed sign-in", "err", err)
		return
	}
	if reached != "" && reached != scopeClient && u.ID != "" && !u.Disabled {
		s.warnOwner(u, client, now, reached)
	}
}
