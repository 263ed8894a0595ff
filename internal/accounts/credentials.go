package accounts

import (
	"context"
	"database/sql"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/validate"
)

// PasswordChange is the input to ChangePassword.
type PasswordChange struct {
	Current string
	New     string
	// RevokeTokens also revokes every API token of the account.
	RevokeTokens bool
}

// ChangePassword sets a new password after checking the current one. Every
// other session of the account ends: the returned user carries the new
// session epoch, which the caller gives its own session to keep it (see
// web.Authenticator.KeepSession). With RevokeTokens, the account's API
// tokens are revoked too.
func (s *Service) ChangePassword(ctx context.Context, a authz.Actor, in PasswordChange) (User, error) {
	var hash string
	u, err := scanUser(s.db.R().QueryRowContext(ctx, `SELECT `+userCols+`, u.password_hash`+userFrom+` WHERE u.id = $1`, a.UserID), &hash)
	if err != nil {
		return User{}, err
	}
	if !s.passwordAllowed(u) {
		return User{}, validate.Errors{{Field: "current_password", Message: "staff sign in with single sign-on and have no kubu password"}}
	}
	if !CheckPassword(hash, in.Current) {
		return User{}, validate.Errors{{Field: "current_password", Message: "is not your current password"}}
	}
	if err := checkPasswordRule(in.New); err != nil {
		return User{}, validate.Errors{{Field: "new_password", Message: err.Error()}}
	}
	newHash := HashPassword(in.New)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3`, newHash, s.now().UnixMilli(), a.UserID); err != nil {
			return err
		}
		if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserPasswordChanged, Actor: a.AuditActor(), AgencyID: a.AgencyID,
			TargetType: "user", TargetID: a.UserID, After: map[string]bool{"revoke_tokens": in.RevokeTokens}}); err != nil {
			return err
		}
		return s.endSessionsTx(ctx, tx, a.AuditActor(), u, "password changed", in.RevokeTokens)
	})
	if err != nil {
		return User{}, err
	}
	return s.ActiveUser(ctx, u.ID)
}

// endSessionsTx ends every session of u by moving its session epoch on
// (sessions remember the epoch they were made in; see
// web.Authenticator), and with revokeTokens revokes u's API tokens.
func (s *Service) endSessionsTx(ctx context.Context, tx *sql.Tx, actor audit.Actor, u User, reason string, revokeTokens bool) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1`, u.ID); err != nil {
		return err
	}
	if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserSessionsEnded, Actor: actor, AgencyID: u.AgencyID,
		TargetType: "user", TargetID: u.ID, After: map[string]string{"reason": reason}}); err != nil {
		return err
	}
	if revokeTokens {
		return s.revokeAllTx(ctx, tx, actor, u, reason)
	}
	return nil
}

// SetPassword gives another account a new password (an administrator's
// action, e.g. `kubu demo credentials` showing the demo passwords again).
// Every session of that account ends; its second factor and tokens stay.
func (s *Service) SetPassword(ctx context.Context, a authz.Actor, userID, password string) error {
	if err := authz.Check(a, authz.UserManage, authz.Collection()); err != nil { // no grant: refused before any lookup
		return err
	}
	u, err := s.User(ctx, a, userID)
	if err != nil {
		return err
	}
	if err := authz.Check(a, authz.UserManage, authz.Record(u.AgencyID)); err != nil {
		return err
	}
	if err := checkPasswordRule(password); err != nil {
		return validate.Errors{{Field: "password", Message: err.Error()}}
	}
	hash := HashPassword(password)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3`, hash, s.now().UnixMilli(), userID); err != nil {
			return err
		}
		if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserPasswordReset, Actor: a.AuditActor(), AgencyID: u.AgencyID,
			TargetType: "user", TargetID: userID, After: map[string]string{"by": "administrator"}}); err != nil {
			return err
		}
		return s.endSessionsTx(ctx, tx, a.AuditActor(), u, "password set by an administrator", false)
	})
}
