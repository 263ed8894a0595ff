package detect

import (
	"context"
	"database/sql"

	"github.com/kubu-gov/kubu/internal/authz"
)

// Assignee is a person an alert may be given to.
type Assignee struct {
	ID, Email string
	Role      authz.Role
}

// maxAssignees bounds the people listed as possible assignees.
const maxAssignees = 500

// Assignees lists the active people who may work on the alert (the same
// rule UpdateAlert applies: AlertUpdate on the alert's agency), by email.
// The caller must be allowed to update the alert.
func (s *Service) Assignees(ctx context.Context, a authz.Actor, alertID string) ([]Assignee, error) {
	if err := authz.Check(a, authz.AlertUpdate, authz.Collection()); err != nil {
		return nil, err
	}
	al, err := s.AlertByID(ctx, a, alertID)
	if err != nil {
		return nil, err
	}
	if err := checkAlert(a, authz.AlertUpdate, al); err != nil {
		return nil, err
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, email, role, agency_id FROM users WHERE disabled = $1 ORDER BY email LIMIT $2`, false, maxAssignees)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Assignee
	for rows.Next() {
		var u Assignee
		var agency sql.NullString
		if err := rows.Scan(&u.ID, &u.Email, &u.Role, &agency); err != nil {
			return nil, err
		}
		if authz.Check(authz.Actor{UserID: u.ID, Role: u.Role, AgencyID: agency.String}, authz.AlertUpdate, authz.Record(al.AgencyID)) == nil {
			out = append(out, u)
		}
	}
	return out, rows.Err()
}
