package accounts

import (
	"context"
	"database/sql"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/validate"
)

// RoleChoices are the roles a caller may give the account u: an agency's
// people move between agency-member and agency-admin (by their agency's
// admins or central administrators); central staff move between the
// central roles (by central administrators only). Researchers stay
// researchers, and nobody changes their own role.
func RoleChoices(a authz.Actor, u User) []authz.Role {
	if u.ID == a.UserID || authz.Check(a, authz.UserManage, authz.Record(u.AgencyID)) != nil {
		return nil
	}
	switch {
	case u.Role.AgencyBound():
		return []authz.Role{authz.AgencyMember, authz.AgencyAdmin}
	case u.Role.Staff() && authz.ScopeOf(a, authz.UserManage).All:
		return []authz.Role{authz.WogAdmin, authz.Analyst, authz.Triager}
	}
	return nil
}

// SetRole changes another account's role within RoleChoices. It is audited
// with the role before and after, and every session of the account ends,
// so the new role (more or less access) applies at once.
func (s *Service) SetRole(ctx context.Context, a authz.Actor, userID string, role authz.Role) error {
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
	if u.ID == a.UserID {
		return validate.Errors{{Field: "role", Message: "you cannot change your own role"}}
	}
	choices := RoleChoices(a, u)
	ok := false
	for _, c := range choices {
		ok = ok || c == role
	}
	if !ok {
		return validate.Errors{{Field: "role", Message: "cannot give " + string(u.Role) + " " + u.Email + " the role " + string(role)}}
	}
	if role == u.Role {
		return nil
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $1, updated_at = $2 WHERE id = $3`, string(role), s.now().UnixMilli(), userID); err != nil {
			return err
		}
		if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserUpdated, Actor: a.AuditActor(), AgencyID: u.AgencyID,
			TargetType: "user", TargetID: userID, Before: map[string]string{"role": string(u.Role)}, After: map[string]string{"role": string(role)}}); err != nil {
			return err
		}
		return s.endSessionsTx(ctx, tx, a.AuditActor(), u, "role changed", false)
	})
}
