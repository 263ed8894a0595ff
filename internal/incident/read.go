package incident

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
)

// Incident is an incident as one caller sees it: linked records of other
// agencies are left out and counted (AlertsHidden, …) for agency roles.
type Incident struct {
	ID             string         `json:"id"`
	Title          string         `json:"title"`
	Description    string         `json:"description"`
	Severity       string         `json:"severity"`
	Category       string         `json:"category"`
	Status         string         `json:"status"`
	Agencies       []string       `json:"agencies"` // agency codes
	AgencyIDs      []string       `json:"agency_ids"`
	LeadID         string         `json:"lead_id,omitempty"`
	Lead           string         `json:"lead,omitempty"` // the lead's email
	AssigneeIDs    []string       `json:"assignee_ids"`
	Assignees      []string       `json:"assignees"` // their emails
	Systems        []LinkedSystem `json:"systems"`
	SystemsHidden  int            `json:"systems_hidden"`
	AlertIDs       []string       `json:"alert_ids"`
	AlertsHidden   int            `json:"alerts_hidden"`
	FindingIDs     []string       `json:"finding_ids"`
	FindingsHidden int            `json:"findings_hidden"`
	Clocks         ClockState     `json:"clocks"`
	CreatedBy      string         `json:"created_by"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

// LinkedSystem is a system an incident affects.
type LinkedSystem struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Agency string `json:"agency"`
}

// record is an incident as stored, with everything linked to it.
type record struct {
	id, title, description, severity, category, status string
	leadID, lead, createdBy                            string
	createdAt, updatedAt                               time.Time
	st                                                 stamps
	agencies                                           []agencyRef // sorted by code
	alerts                                             []link      // id, agency
	findings                                           []link
	systems                                            []systemLink
	assignees                                          []userRef
}

type agencyRef struct{ id, code string }

type link struct {
	id, agencyID string
	relation     string // findings: source or follow-up
}

type systemLink struct {
	id, agencyID, agency, name string
}

type userRef struct{ id, email string }

func (r *record) agencyIDs() []string {
	out := make([]string, len(r.agencies))
	for i, a := range r.agencies {
		out[i] = a.id
	}
	return out
}

func (r *record) hasAgency(id string) bool {
	return slices.ContainsFunc(r.agencies, func(a agencyRef) bool { return a.id == id })
}

// firstAgency is the agency an audit entry about the incident is filed
// under (the first by code).
func (r *record) firstAgency() string {
	if len(r.agencies) == 0 {
		return ""
	}
	return r.agencies[0].id
}

const incidentCols = `i.id, i.title, i.description, i.severity, i.category, i.status, i.lead_id, i.started_at, i.acknowledged_at,
	i.contained_at, i.recovered_at, i.closed_at, i.ack_due_at, i.contain_due_at, i.recover_due_at, i.created_by, i.created_at, i.updated_at`

func scanRecord(sc interface{ Scan(...any) error }) (*record, error) {
	r := &record{}
	var started, ackDue, containDue, recoverDue, created, updated int64
	var ack, contain, recover, closed sql.NullInt64
	err := sc.Scan(&r.id, &r.title, &r.description, &r.severity, &r.category, &r.status, &r.leadID, &started, &ack, &contain, &recover,
		&closed, &ackDue, &containDue, &recoverDue, &r.createdBy, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, authz.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.st = stamps{started: ms(started), ack: msPtr(ack), contain: msPtr(contain), recover: msPtr(recover), closed: msPtr(closed),
		ackDue: ms(ackDue), containDue: ms(containDue), recoverDue: ms(recoverDue)}
	r.createdAt, r.updatedAt = ms(created), ms(updated)
	return r, nil
}

func ms(n int64) time.Time { return time.UnixMilli(n).UTC() }

func msPtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := ms(n.Int64)
	return &t
}

func nullMillis(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// load reads an incident and everything linked to it through q. lock
// takes the row lock on PostgreSQL (inside a write transaction).
func (s *Service) load(ctx context.Context, q store.Querier, incidentID string, lock bool) (*record, error) {
	query := `SELECT ` + incidentCols + ` FROM incidents i WHERE i.id = $1`
	if lock {
		query += s.db.Dialect.ForUpdate
	}
	r, err := scanRecord(q.QueryRowContext(ctx, query, incidentID))
	if err != nil {
		return nil, err
	}
	if err := s.loadLinks(ctx, q, r); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Service) loadLinks(ctx context.Context, q store.Querier, r *record) error {
	rows, err := q.QueryContext(ctx, `SELECT ia.agency_id, a.code FROM incident_agencies ia JOIN agencies a ON a.id = ia.agency_id
		WHERE ia.incident_id = $1 ORDER BY a.code`, r.id)
	if err != nil {
		return err
	}
	r.agencies = nil
	for rows.Next() {
		var a agencyRef
		if err := rows.Scan(&a.id, &a.code); err != nil {
			rows.Close()
			return err
		}
		r.agencies = append(r.agencies, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if r.alerts, err = links(ctx, q, `SELECT alert_id, agency_id, '' FROM incident_alerts WHERE incident_id = $1 ORDER BY first_seen, alert_id`, r.id); err != nil {
		return err
	}
	if r.findings, err = links(ctx, q, `SELECT finding_id, agency_id, relation FROM incident_findings WHERE incident_id = $1 ORDER BY linked_at, finding_id`, r.id); err != nil {
		return err
	}
	rows, err = q.QueryContext(ctx, `SELECT s.id, s.agency_id, a.code, s.name FROM incident_systems x JOIN systems s ON s.id = x.system_id
		JOIN agencies a ON a.id = s.agency_id WHERE x.incident_id = $1 ORDER BY a.code, s.name`, r.id)
	if err != nil {
		return err
	}
	r.systems = nil
	for rows.Next() {
		var sl systemLink
		if err := rows.Scan(&sl.id, &sl.agencyID, &sl.agency, &sl.name); err != nil {
			rows.Close()
			return err
		}
		r.systems = append(r.systems, sl)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.QueryContext(ctx, `SELECT u.id, u.email FROM incident_assignees x JOIN users u ON u.id = x.user_id
		WHERE x.incident_id = $1 ORDER BY u.email`, r.id)
	if err != nil {
		return err
	}
	r.assignees = nil
	for rows.Next() {
		var u userRef
		if err := rows.Scan(&u.id, &u.email); err != nil {
			rows.Close()
			return err
		}
		r.assignees = append(r.assignees, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	r.lead = ""
	if r.leadID != "" {
		if err := q.QueryRowContext(ctx, `SELECT email FROM users WHERE id = $1`, r.leadID).Scan(&r.lead); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return nil
}

func links(ctx context.Context, q store.Querier, query, incidentID string) ([]link, error) {
	rows, err := q.QueryContext(ctx, query, incidentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []link
	for rows.Next() {
		var l link
		if err := rows.Scan(&l.id, &l.agencyID, &l.relation); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// lens is what a caller may see of an incident's parts.
type lens struct {
	all    bool   // central: everything
	agency string // an agency role's agency
}

func lensOf(a authz.Actor) lens {
	sc := authz.ScopeOf(a, authz.IncidentRead)
	return lens{all: sc.All, agency: sc.AgencyID}
}

// sees reports whether a part belonging to agencyID is visible (” is a
// platform part: central only).
func (l lens) sees(agencyID string) bool { return l.all || agencyID != "" && agencyID == l.agency }

// seesEntry applies a timeline entry's or observable's visible_to: ”
// everyone on the incident, '-' central only, else central and that agency.
func (l lens) seesEntry(visibleTo string) bool {
	switch visibleTo {
	case "":
		return true
	case "-":
		return l.all
	}
	return l.sees(visibleTo)
}

// view is the incident as l sees it, with its clocks at now.
func (r *record) view(l lens, now time.Time) Incident {
	in := Incident{ID: r.id, Title: r.title, Description: r.description, Severity: r.severity, Category: r.category, Status: r.status,
		Agencies: []string{}, AgencyIDs: []string{}, LeadID: r.leadID, Lead: r.lead, AssigneeIDs: []string{}, Assignees: []string{},
		Systems: []LinkedSystem{}, AlertIDs: []string{}, FindingIDs: []string{}, Clocks: clocksAt(r.st, now),
		CreatedBy: r.createdBy, CreatedAt: r.createdAt, UpdatedAt: r.updatedAt}
	for _, a := range r.agencies {
		in.Agencies = append(in.Agencies, a.code)
		in.AgencyIDs = append(in.AgencyIDs, a.id)
	}
	for _, u := range r.assignees {
		in.AssigneeIDs = append(in.AssigneeIDs, u.id)
		in.Assignees = append(in.Assignees, u.email)
	}
	for _, sl := range r.systems {
		if l.sees(sl.agencyID) {
			in.Systems = append(in.Systems, LinkedSystem{ID: sl.id, Name: sl.name, Agency: sl.agency})
		} else {
			in.SystemsHidden++
		}
	}
	for _, al := range r.alerts {
		if l.sees(al.agencyID) {
			in.AlertIDs = append(in.AlertIDs, al.id)
		} else {
			in.AlertsHidden++
		}
	}
	for _, f := range r.findings {
		if l.sees(f.agencyID) {
			in.FindingIDs = append(in.FindingIDs, f.id)
		} else {
			in.FindingsHidden++
		}
	}
	return in
}

// Get returns an incident the caller may see, with its clocks.
func (s *Service) Get(ctx context.Context, a authz.Actor, incidentID string) (Incident, error) {
	r, err := s.readable(ctx, a, incidentID)
	if err != nil {
		return Incident{}, err
	}
	return r.view(lensOf(a), s.now()), nil
}

// readable loads an incident for reading: a caller with no grant is refused
// before any lookup; one outside the incident's agencies gets ErrNotFound,
// exactly like a missing incident.
func (s *Service) readable(ctx context.Context, a authz.Actor, incidentID string) (*record, error) {
	if err := authz.Check(a, authz.IncidentRead, authz.Collection()); err != nil {
		return nil, err
	}
	r, err := s.load(ctx, s.db.R(), incidentID, false)
	if err != nil {
		return nil, err
	}
	if err := authz.Check(a, authz.IncidentRead, authz.Record(r.agencyIDs()...)); err != nil {
		return nil, err
	}
	return r, nil
}

// writable loads and locks an incident inside tx for act (IncidentUpdate):
// refused before any lookup without a grant; not found outside the
// caller's scope; forbidden when seen but not changeable.
func (s *Service) writable(ctx context.Context, tx *sql.Tx, a authz.Actor, act authz.Action, incidentID string) (*record, error) {
	if err := authz.Check(a, act, authz.Collection()); err != nil {
		return nil, err
	}
	r, err := s.load(ctx, tx, incidentID, true)
	if err != nil {
		return nil, err
	}
	if err := authz.Check(a, act, authz.Record(r.agencyIDs()...)); err != nil {
		return nil, err
	}
	return r, nil
}

// codesOf returns the codes of the agencies, sorted.
func codesOf(r *record) string {
	c := make([]string, len(r.agencies))
	for i, a := range r.agencies {
		c[i] = a.code
	}
	return strings.Join(c, ", ")
}
