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
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/store"
)

// Errors of SignInExternal. Their messages are safe to show.
var (
	ErrNoExternalAccount = errors.New("there is no kubu account for you yet, and your organisation's sign-in does not say which role you have: ask a kubu administrator")
	ErrUnverifiedEmail   = errors.New("your identity provider has not verified your email address, so kubu cannot match it to an account")
	ErrExternalNotStaff  = errors.New("single sign-on is for staff accounts: researchers sign in with their password or a passkey")
	ErrExternalDisabled  = errors.New("your kubu account is disabled")
	// ErrUseSSO is Login's answer to a staff member's right password when
	// local passwords are off for staff.
	ErrUseSSO = errors.New("staff sign in with single sign-on")
)

// ExternalIdentity is a person an identity provider vouches for.
type ExternalIdentity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	// Role and Agency (a code) come from the claim mapping; Role is empty
	// when the mapping gave none (then only an existing account can sign
	// in).
	Role   authz.Role
	Agency string
}

// SignInExternal finds or makes the account of a person the identity
// provider signed in:
//
//  1. the account already linked to (issuer, subject);
//  2. else the account whose email is the provider's verified email,
//     which is then linked (user.identity_linked);
//  3. else, when the claim mapping gave a role (and agency), a new account
//     without a password, its email vouched for by the provider
//     (user.created, user.identity_linked).
//
// Only staff accounts sign in this way. It does not sign in: the caller
// calls CompleteLogin.
func (s *Service) SignInExternal(ctx context.Context, x ExternalIdentity) (User, error) {
	if x.Issuer == "" || x.Subject == "" {
		return User{}, errors.New("accounts: an external identity needs an issuer and a subject")
	}
	x.Email = strings.ToLower(strings.TrimSpace(x.Email))
	provider := audit.Actor{ID: "oidc", Label: "identity provider " + x.Issuer}
	var uid string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixMilli()
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2`, x.Issuer, x.Subject).Scan(&uid)
		if err == nil {
			_, err = tx.ExecContext(ctx, `UPDATE user_identities SET last_login_at = $1 WHERE issuer = $2 AND subject = $3`, now, x.Issuer, x.Subject)
			return err
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if x.Email == "" || !x.EmailVerified {
			return ErrUnverifiedEmail
		}
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+userFrom+` WHERE u.email = $1`, x.Email))
		switch {
		case err == nil:
			if !u.Role.Staff() {
				return ErrExternalNotStaff
			}
			uid = u.ID
		case errors.Is(err, authz.ErrNotFound):
			if uid, err = s.createExternalTx(ctx, tx, provider, x); err != nil {
				return err
			}
			u = User{ID: uid}
		default:
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO user_identities (issuer, subject, user_id, created_at, last_login_at) VALUES ($1,$2,$3,$4,$4)`,
			x.Issuer, x.Subject, uid, now)
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("this kubu account is linked to another identity at %s", x.Issuer)
		}
		if err != nil {
			return err
		}
		// The provider proved the mailbox (email_verified).
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1) WHERE id = $2`, now, uid); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserIdentityLinked, Actor: provider, AgencyID: u.AgencyID,
			TargetType: "user", TargetID: uid, After: map[string]string{"issuer": x.Issuer, "subject": x.Subject, "email": x.Email}})
		return err
	})
	if err != nil {
		return User{}, err
	}
	u, err := s.ActiveUser(ctx, uid)
	if errors.Is(err, authz.ErrNotFound) {
		return User{}, ErrExternalDisabled
	}
	if err == nil && !u.Role.Staff() {
		return User{}, ErrExternalNotStaff
	}
	return u, err
}

// createExternalTx makes the account of a first sign-in from the claim
// mapping's role and agency. It has no password.
func (s *Service) createExternalTx(ctx context.Context, tx *sql.Tx, provider audit.Actor, x ExternalIdentity) (string, error) {
	if x.Role == "" {
		return "", ErrNoExternalAccount
	}
	if !x.Role.Staff() {
		return "", ErrExternalNotStaff
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	u := User{ID: id.New(), Email: x.Email, Name: strings.TrimSpace(x.Name), Role: x.Role, CreatedAt: now, EmailVerifiedAt: &now}
	if len(u.Name) > 200 {
		u.Name = u.Name[:200]
	}
	if x.Role.AgencyBound() {
		var agencyID string
		err := tx.QueryRowContext(ctx, `SELECT id FROM agencies WHERE code = $1`, strings.ToUpper(strings.TrimSpace(x.Agency))).Scan(&agencyID)
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("%w (the agency %q your sign-in names is not in kubu)", ErrNoExternalAccount, x.Agency)
		}
		if err != nil {
			return "", err
		}
		u.AgencyID, u.Agency = agencyID, strings.ToUpper(strings.TrimSpace(x.Agency))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, role, agency_id, password_hash, email_verified_at, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,'',$6,$6,$6)`, u.ID, u.Email, u.Name, string(u.Role), nullable(u.AgencyID), now.UnixMilli()); err != nil {
		return "", err
	}
	if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserCreated, Actor: provider, AgencyID: u.AgencyID,
		TargetType: "user", TargetID: u.ID, After: u}); err != nil {
		return "", err
	}
	if s.onCreate != nil {
		if err := s.onCreate(ctx, tx, u); err != nil {
			return "", err
		}
	}
	return u.ID, nil
}

// StaffPasswords reports whether staff may sign in with a local password.
func (s *Service) StaffPasswords() bool { return !s.noStaffPasswords }

// passwordAllowed reports whether u may use a local password.
func (s *Service) passwordAllowed(u User) bool { return !s.noStaffPasswords || !u.Role.Staff() }
