package incident

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Patch changes an incident's summary and people; nil fields are left as
// they are. Agencies and systems are only added (a record linked by mistake
// stays on the timeline; say so in a note).
type Patch struct {
	Title       *string   `json:"title"`
	Description *string   `json:"description"`
	Severity    *string   `json:"severity"`
	Category    *string   `json:"category"`
	LeadID      *string   `json:"lead_id"`      // "" clears the lead
	AssigneeIDs *[]string `json:"assignee_ids"` // the whole list
	AddAgencies []string  `json:"add_agencies"` // agency codes
	AddSystems  []string  `json:"add_system_ids"`
}

func (p *Patch) validate() validate.Errors {
	var v validate.Errors
	if p.Title != nil {
		*p.Title = strings.TrimSpace(*p.Title)
		v.Required("title", *p.Title, 300)
	}
	if p.Description != nil {
		v.MaxLen("description", *p.Description, 100_000)
	}
	if p.Severity != nil {
		v.OneOf("severity", *p.Severity, Severities)
	}
	if p.Category != nil {
		v.OneOf("category", *p.Category, CategoryCodes())
	}
	if p.AssigneeIDs != nil && len(*p.AssigneeIDs) > 50 {
		v.Add("assignee_ids", "at most 50 assignees")
	}
	return v
}

// Update changes an incident. A new severity moves the clocks' due times
// to the new severity's targets.
func (s *Service) Update(ctx context.Context, a authz.Actor, incidentID string, p Patch) (Incident, error) {
	if err := authz.Check(a, authz.IncidentUpdate, authz.Collection()); err != nil {
		return Incident{}, err
	}
	v := p.validate()
	ags, err := s.agencyCodes(ctx, a, p.AddAgencies)
	if fe, ok := validate.As(err); ok {
		v = append(v, fe...)
	} else if err != nil {
		return Incident{}, err
	}
	systems, err := s.visibleSystems(ctx, a, p.AddSystems)
	if fe, ok := validate.As(err); ok {
		v = append(v, fe...)
	} else if err != nil {
		return Incident{}, err
	}
	var r *record
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if r, err = s.writable(ctx, tx, a, authz.IncidentUpdate, incidentID); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		before := snapshot(r)
		var notes []string
		if p.Title != nil && *p.Title != r.title {
			notes = append(notes, fmt.Sprintf("Title changed from %q to %q", r.title, *p.Title))
			r.title = *p.Title
		}
		if p.Description != nil && *p.Description != r.description {
			notes = append(notes, "Description changed")
			r.description = *p.Description
		}
		sevChanged := false
		if p.Severity != nil && *p.Severity != r.severity {
			notes = append(notes, fmt.Sprintf("Severity changed from %s to %s", r.severity, *p.Severity))
			r.severity, sevChanged = *p.Severity, true
		}
		if p.Category != nil && *p.Category != r.category {
			notes = append(notes, fmt.Sprintf("Category changed from %s to %s", categoryLabel(r.category), categoryLabel(*p.Category)))
			r.category = *p.Category
		}
		for _, ag := range ags {
			if _, err := s.addAgency(ctx, tx, a, r, ag, "added by "+a.AuditActor().Label); err != nil {
				return err
			}
		}
		if err := s.linkSystems(ctx, tx, a, r, systems); err != nil {
			return err
		}
		if p.LeadID != nil && *p.LeadID != r.leadID {
			if *p.LeadID == "" {
				notes = append(notes, "Lead removed")
				r.leadID, r.lead = "", ""
			} else {
				u, err := s.checkPerson(ctx, tx, "lead_id", *p.LeadID, r.agencyIDs())
				if err != nil {
					return err
				}
				notes = append(notes, "Lead: "+u.email)
				r.leadID, r.lead = u.id, u.email
			}
		}
		if p.AssigneeIDs != nil {
			var want []userRef
			for _, uid := range *p.AssigneeIDs {
				if uid = strings.TrimSpace(uid); uid == "" || slices.ContainsFunc(want, func(u userRef) bool { return u.id == uid }) {
					continue
				}
				u, err := s.checkPerson(ctx, tx, "assignee_ids", uid, r.agencyIDs())
				if err != nil {
					return err
				}
				want = append(want, u)
			}
			for _, u := range want {
				if !slices.ContainsFunc(r.assignees, func(x userRef) bool { return x.id == u.id }) {
					if _, err := tx.ExecContext(ctx, `INSERT INTO incident_assignees (incident_id, user_id) VALUES ($1,$2)`, r.id, u.id); err != nil {
						return err
					}
					notes = append(notes, "Assigned to "+u.email)
				}
			}
			for _, u := range r.assignees {
				if !slices.ContainsFunc(want, func(x userRef) bool { return x.id == u.id }) {
					if _, err := tx.ExecContext(ctx, `DELETE FROM incident_assignees WHERE incident_id = $1 AND user_id = $2`, r.id, u.id); err != nil {
						return err
					}
					notes = append(notes, "Unassigned "+u.email)
				}
			}
			r.assignees = want
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET title = $1, description = $2, severity = $3, severity_rank = $4, category = $5, lead_id = $6
			WHERE id = $7`, r.title, r.description, r.severity, severityRank(r.severity), r.category, r.leadID, r.id); err != nil {
			return err
		}
		if sevChanged {
			if err := s.restart(ctx, tx, r); err != nil {
				return err
			}
		}
		for _, n := range notes {
			if err := s.addEntry(ctx, tx, r.id, entry{kind: KindChange, actor: a.AuditActor(), text: n}); err != nil {
				return err
			}
		}
		return s.touch(ctx, tx, a, r, Updated, before, snapshot(r))
	})
	if err != nil {
		return Incident{}, err
	}
	return r.view(lensOf(a), s.now()), nil
}

// snapshot is what the audit log keeps of an incident.
func snapshot(r *record) map[string]any {
	as := make([]string, len(r.assignees))
	for i, u := range r.assignees {
		as[i] = u.id
	}
	sys := make([]string, len(r.systems))
	for i, x := range r.systems {
		sys[i] = x.id
	}
	return map[string]any{"title": r.title, "severity": r.severity, "category": r.category, "status": r.status, "agencies": r.agencyIDs(),
		"lead_id": r.leadID, "assignee_ids": as, "system_ids": sys, "description_sha256": sha256Hex(r.description)}
}
