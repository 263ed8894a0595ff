package incident

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/validate"
)

// NewIncident is the input to Create (contract §6).
type NewIncident struct {
	Title       string   `json:"title"`
	Severity    string   `json:"severity"`
	Category    string   `json:"category"`
	Agencies    []string `json:"agencies"` // agency codes
	Description string   `json:"description"`
	AlertIDs    []string `json:"alert_ids"`
	FindingIDs  []string `json:"finding_ids"`
	SystemIDs   []string `json:"system_ids"`
	LeadID      string   `json:"lead_id"`
}

func (in *NewIncident) validate() validate.Errors {
	var v validate.Errors
	in.Title = strings.TrimSpace(in.Title)
	v.Required("title", in.Title, 300)
	v.OneOf("severity", in.Severity, Severities)
	v.OneOf("category", in.Category, CategoryCodes())
	v.MaxLen("description", in.Description, 100_000)
	if len(in.Agencies) > 100 || len(in.FindingIDs) > 1000 || len(in.SystemIDs) > 1000 {
		v.Add("agencies", "too many agencies, findings or systems at once")
	}
	return v
}

// Create opens an incident — from alerts, from findings (a report that
// shows a compromise) or by hand — for its agencies: those named, and
// those of the linked alerts, findings and systems. It starts with the
// tasks of its category's playbook. The alerts must not belong to another
// incident.
func (s *Service) Create(ctx context.Context, a authz.Actor, in NewIncident) (Incident, error) {
	if err := authz.Check(a, authz.IncidentCreate, authz.Collection()); err != nil {
		return Incident{}, err
	}
	v := in.validate()
	ags, err := s.agencyCodes(ctx, a, in.Agencies)
	if fe, ok := validate.As(err); ok {
		v = append(v, fe...)
	} else if err != nil {
		return Incident{}, err
	}
	alerts, err := s.visibleAlerts(ctx, s.db.R(), a, "alert_ids", in.AlertIDs)
	if fe, ok := validate.As(err); ok {
		v = append(v, fe...)
	} else if err != nil {
		return Incident{}, err
	}
	fs, err := s.visibleFindings(ctx, a, in.FindingIDs)
	if fe, ok := validate.As(err); ok {
		v = append(v, fe...)
	} else if err != nil {
		return Incident{}, err
	}
	systems, err := s.visibleSystems(ctx, a, in.SystemIDs)
	if fe, ok := validate.As(err); ok {
		v = append(v, fe...)
	} else if err != nil {
		return Incident{}, err
	}
	// The incident's agencies: those named and those of its linked records.
	all := append([]agencyRef(nil), ags...)
	addRef := func(id, code string) {
		if id == "" {
			return
		}
		for _, x := range all {
			if x.id == id {
				return
			}
		}
		all = append(all, agencyRef{id: id, code: code})
	}
	for _, al := range alerts {
		addRef(al.agencyID, al.agency)
	}
	for _, f := range fs {
		addRef(f.AgencyID, f.Agency)
	}
	for _, sys := range systems {
		addRef(sys.AgencyID, sys.Agency)
	}
	if len(all) == 0 && len(v) == 0 {
		v.Add("agencies", "name at least one agency (or link an alert, finding or system of one)")
	}
	if err := v.Err(); err != nil {
		return Incident{}, err
	}
	ids := make([]string, len(all))
	for i, x := range all {
		ids[i] = x.id
	}
	if err := authz.Check(a, authz.IncidentCreate, authz.Record(ids...)); err != nil {
		return Incident{}, err
	}
	now := s.stamp()
	r := &record{id: id.New(), title: in.Title, description: in.Description, severity: in.Severity, category: in.Category,
		status: StatusNew, createdBy: a.UserID, createdAt: now, updatedAt: now}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if in.LeadID != "" {
			u, err := s.checkPerson(ctx, tx, "lead_id", in.LeadID, ids)
			if err != nil {
				return err
			}
			r.leadID, r.lead = u.id, u.email
		}
		t := s.opts.Targets[r.severity]
		r.st = stamps{started: now, ackDue: now.Add(t.Acknowledge), containDue: now.Add(t.Contain), recoverDue: now.Add(t.Recover)}
		_, err := tx.ExecContext(ctx, `INSERT INTO incidents (id, title, description, severity, severity_rank, category, status, lead_id,
			started_at, ack_due_at, contain_due_at, recover_due_at, created_by, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
			r.id, r.title, r.description, r.severity, severityRank(r.severity), r.category, r.status, r.leadID,
			now.UnixMilli(), r.st.ackDue.UnixMilli(), r.st.containDue.UnixMilli(), r.st.recoverDue.UnixMilli(), r.createdBy, now.UnixMilli(), now.UnixMilli())
		if err != nil {
			return fmt.Errorf("insert incident: %w", err)
		}
		for _, ag := range ags {
			if _, err := s.addAgency(ctx, tx, a, r, ag, ""); err != nil {
				return err
			}
		}
		text := fmt.Sprintf("Incident opened: %s (%s, %s)", r.title, r.severity, categoryLabel(r.category))
		if err := s.addEntry(ctx, tx, r.id, entry{at: now, kind: KindCreated, actor: a.AuditActor(), text: text}); err != nil {
			return err
		}
		if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: Created, Actor: a.AuditActor(), AgencyID: firstOf(ids), TargetType: "incident",
			TargetID: r.id, After: map[string]any{"title": r.title, "severity": r.severity, "category": r.category, "status": r.status,
				"agencies": ids, "lead_id": r.leadID, "description_sha256": sha256Hex(r.description)}}); err != nil {
			return err
		}
		if _, err := s.linkAlerts(ctx, tx, a, r, alerts); err != nil {
			return err
		}
		if err := s.linkFindings(ctx, tx, a, r, fs, relationSource); err != nil {
			return err
		}
		if err := s.linkSystems(ctx, tx, a, r, systems); err != nil {
			return err
		}
		if err := s.restart(ctx, tx, r); err != nil {
			return err
		}
		return s.addPlaybookTasks(ctx, tx, a, r)
	})
	if err != nil {
		return Incident{}, err
	}
	return s.Get(ctx, a, r.id)
}

func firstOf(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

func categoryLabel(code string) string {
	for _, c := range Categories {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
