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
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/mail"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Emailed links. Whoever holds the mailbox proves it by opening a link
// sent there: a verification link (after self-registration) or a password
// reset link. Each link is single-use, expires, and is stored as a hash;
// using one retires the account's other links.
// Using either kind proves the address and sets the password, which ends
// every session of the account.
const (
	PurposeVerify = "verify"
	PurposeReset  = "reset"
	// purposeSSO marks a request for a staff account while staff passwords
	// are off: recorded and answered, but no link is made.
	purposeSSO = "sso"
)

// Link lifetimes.
const (
	VerifyLinkTTL = 48 * time.Hour
	ResetLinkTTL  = time.Hour
)

// Paths of the pages that links lead to and that start them (the UI
// serves them).
const (
	VerifyPath = "/researchers/verify"
	ResetPath  = "/password/reset"
	ForgotPath = "/password/forgot"
	LoginPath  = "/login"
)

// ErrBadLink means an emailed link is unknown, used, expired, or its
// account disabled.
var ErrBadLink = errors.New("this link is not valid or has expired")

func hashLink(tok string) string {
	h := sha256.Sum256([]byte("kubu/email-link\x00" + tok))
	return hex.EncodeToString(h[:])
}

func pathOf(purpose string) string {
	if purpose == PurposeVerify {
		return VerifyPath
	}
	return ResetPath
}

// link makes an absolute link from a path when the public URL is known.
func (s *Service) link(path string) string { return s.publicURL + path }

// issueLinkTx records a new link of purpose for userID and returns its
// URL. Earlier links stay usable until they expire (so nobody can cancel
// the owner's link by asking for another); using any link retires the
// account's others. Expired links of the account are deleted here.
func (s *Service) issueLinkTx(ctx context.Context, tx *sql.Tx, userID, purpose string) (string, error) {
	now := s.now()
	ttl := ResetLinkTTL
	if purpose == PurposeVerify {
		ttl = VerifyLinkTTL
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM email_links WHERE user_id = $1 AND expires_at <= $2`, userID, now.UnixMilli()); err != nil {
		return "", err
	}
	secret := NewSecret("")
	_, err := tx.ExecContext(ctx, `INSERT INTO email_links (id, user_id, purpose, token_hash, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6)`,
		id.New(), userID, purpose, hashLink(secret), now.UnixMilli(), now.Add(ttl).UnixMilli())
	if err != nil {
		return "", err
	}
	return s.link(pathOf(purpose) + "?token=" + secret), nil
}

// send is the one mail-or-log step: the message goes to the mail sender,
// which logs its link when mail is off (mail.Discard).
func (s *Service) send(m mail.Message) {
	if err := s.mail.Send(context.Background(), m); err != nil {
		s.log.Warn("accounts mail", "err", err, "subject", m.Subject)
	}
}

// LinkState is what the page behind a link needs to know before it is
// used.
type LinkState struct {
	Purpose string
	Email   string
	// NeedsPassword is true when the account has no password yet (a new
	// registration): the page must ask for one.
	NeedsPassword bool
}

// CheckLink reports whether token is a usable link of purpose, without
// using it (opening the page must not use the link: mail scanners follow
// links).
func (s *Service) CheckLink(ctx context.Context, purpose, token string) (LinkState, error) {
	if token == "" || len(token) > 100 {
		return LinkState{}, ErrBadLink
	}
	var st LinkState
	var exp int64
	var used sql.NullInt64
	var hash string
	var disabled bool
	err := s.db.R().QueryRowContext(ctx, `SELECT l.expires_at, l.used_at, u.email, u.password_hash, u.disabled
		FROM email_links l JOIN users u ON u.id = l.user_id WHERE l.token_hash = $1 AND l.purpose = $2`, hashLink(token), purpose).
		Scan(&exp, &used, &st.Email, &hash, &disabled)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (used.Valid || exp <= s.now().UnixMilli() || disabled) {
		return LinkState{}, ErrBadLink
	}
	if err != nil {
		return LinkState{}, err
	}
	st.Purpose, st.NeedsPassword = purpose, hash == ""
	return st, nil
}

// LinkUse is the input to UseLink.
type LinkUse struct {
	Purpose  string
	Token    string
	Password string // the new password; may be empty for a verification link of an account that has one
	// RevokeTokens also revokes every API token of the account.
	RevokeTokens bool
}

// UseLink uses an emailed link: it proves the address, sets the password
// when one is given (it must be, unless the account already has one and
// this is a verification link), ends every session of the account and,
// when asked, revokes its API tokens. The link cannot be used again.
func (s *Service) UseLink(ctx context.Context, in LinkUse) (User, error) {
	in.Token = strings.TrimSpace(in.Token)
	if in.Token == "" || len(in.Token) > 100 || (in.Purpose != PurposeVerify && in.Purpose != PurposeReset) {
		return User{}, ErrBadLink
	}
	if in.Password == "" && in.Purpose == PurposeReset {
		return User{}, validate.Errors{{Field: "password", Message: "is required"}}
	}
	var newHash string
	if in.Password != "" {
		if err := checkPasswordRule(in.Password); err != nil {
			return User{}, validate.Errors{{Field: "password", Message: err.Error()}}
		}
		newHash = HashPassword(in.Password)
	}
	var uid string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		var exp int64
		var used sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT user_id, expires_at, used_at FROM email_links WHERE token_hash = $1 AND purpose = $2`+s.db.Dialect.ForUpdate,
			hashLink(in.Token), in.Purpose).Scan(&uid, &exp, &used)
		if errors.Is(err, sql.ErrNoRows) || err == nil && (used.Valid || exp <= now.UnixMilli()) {
			return ErrBadLink
		}
		if err != nil {
			return err
		}
		var hash string
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+`, u.password_hash`+userFrom+` WHERE u.id = $1`, uid), &hash)
		if err != nil {
			return err
		}
		if u.Disabled || !s.passwordAllowed(u) {
			return ErrBadLink
		}
		if newHash == "" && hash == "" {
			return validate.Errors{{Field: "password", Message: "is required"}}
		}
		// This link is used; the account's other links are retired.
		if _, err := tx.ExecContext(ctx, `UPDATE email_links SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL`, now.UnixMilli(), uid); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1), updated_at = $1 WHERE id = $2`,
			now.UnixMilli(), uid); err != nil {
			return err
		}
		self := u.Actor().AuditActor()
		code := audit.UserPasswordReset
		if in.Purpose == PurposeVerify {
			code = audit.UserEmailVerified
		}
		if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: code, Actor: self, AgencyID: u.AgencyID, TargetType: "user", TargetID: uid,
			After: map[string]bool{"password_set": newHash != "", "revoke_tokens": in.RevokeTokens}}); err != nil {
			return err
		}
		if newHash == "" {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, newHash, uid); err != nil {
			return err
		}
		return s.endSessionsTx(ctx, tx, self, u, "password set from an emailed link", in.RevokeTokens)
	})
	if err != nil {
		return User{}, err
	}
	return s.ActiveUser(ctx, uid)
}
