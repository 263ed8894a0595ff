package incident

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// alertRow is what linking needs of an alert.
type alertRow struct {
	id, agencyID, agency, ruleID, ruleTitle, level, status string
	tags                                                   []string
	group                                                  map[string]string
	firstSeen, lastSeen, createdAt                         time.Time
}

func (al alertRow) label() string {
	where := al.agency
	if h := al.group["host"]; h != "" {
		where += ", " + h
	}
	return fmt.Sprintf("%s (%s, %s)", al.ruleTitle, al.level, where)
}

const alertRowCols = `id, agency_id, agency, rule_id, rule_title, level, status, tags, group_fields, first_seen, last_seen, created_at`

func scanAlertRow(sc interface{ Scan(...any) error }) (alertRow, error) {
	var al alertRow
	var tags, group string
	var first, last, created int64
	if err := sc.Scan(&al.id, &al.agencyID, &al.agency, &al.ruleID, &al.ruleTitle, &al.level, &al.status, &tags, &group, &first, &last, &created); err != nil {
		return alertRow{}, err
	}
	json.Unmarshal([]byte(tags), &al.tags)
	json.Unmarshal([]byte(group), &al.group)
	al.firstSeen, al.lastSeen, al.createdAt = ms(first), ms(last), ms(created)
	return al, nil
}

// visibleAlerts reads the alerts a may see (alert.read) among ids, in
// order; an id that is missing or hidden is a field problem, so nothing
// tells the two apart.
func (s *Service) visibleAlerts(ctx context.Context, q store.Querier, a authz.Actor, field string, ids []string) ([]alertRow, error) {
	var out []alertRow
	var v validate.Errors
	seen := map[string]bool{}
	for _, aid := range ids {
		aid = strings.TrimSpace(aid)
		if aid == "" || seen[aid] {
			continue
		}
		seen[aid] = true
		al, err := scanAlertRow(q.QueryRowContext(ctx, `SELECT `+alertRowCols+` FROM alerts WHERE id = $1`, aid))
		if errors.Is(err, sql.ErrNoRows) || err == nil && authz.Check(a, authz.AlertRead, authz.Record(al.agencyID)) != nil {
			v.Add(field, "no such alert: %s", aid)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, al)
	}
	if len(seen) > 1000 {
		v.Add(field, "at most 1000 alerts at a time")
	}
	return out, v.Err()
}

// visibleFindings reads the findings a may see among ids.
func (s *Service) visibleFindings(ctx context.Context, a authz.Actor, ids []string) ([]findings.Finding, error) {
	var out []findings.Finding
	var v validate.Errors
	seen := map[string]bool{}
	for _, fid := range ids {
		fid = strings.TrimSpace(fid)
		if fid == "" || seen[fid] {
			continue
		}
		seen[fid] = true
		f, err := s.findings.Get(ctx, a, fid)
		if errors.Is(err, authz.ErrNotFound) || errors.Is(err, authz.ErrForbidden) {
			v.Add("finding_ids", "no such finding: %s", fid)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, v.Err()
}

// visibleSystems reads the systems a may see among ids.
func (s *Service) visibleSystems(ctx context.Context, a authz.Actor, ids []string) ([]registry.System, error) {
	var out []registry.System
	var v validate.Errors
	seen := map[string]bool{}
	for _, sid := range ids {
		sid = strings.TrimSpace(sid)
		if sid == "" || seen[sid] {
			continue
		}
		seen[sid] = true
		sys, err := s.registry.System(ctx, a, sid)
		if errors.Is(err, authz.ErrNotFound) || errors.Is(err, authz.ErrForbidden) {
			v.Add("system_ids", "no such system: %s", sid)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, sys)
	}
	return out, v.Err()
}

// agencyCodes resolves agency codes a may see.
func (s *Service) agencyCodes(ctx context.Context, a authz.Actor, codes []string) ([]agencyRef, error) {
	var out []agencyRef
	var v validate.Errors
	for _, c := range codes {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "" || slices.ContainsFunc(out, func(x agencyRef) bool { return x.code == c }) {
			continue
		}
		ag, err := s.registry.AgencyByCode(ctx, a, c)
		if errors.Is(err, authz.ErrNotFound) || errors.Is(err, authz.ErrForbidden) {
			v.Add("agencies", "no such agency: %s", c)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, agencyRef{id: ag.ID, code: ag.Code})
	}
	return out, v.Err()
}

// addAgency adds an agency to the incident when it is not there yet and
// records it on the timeline; it reports whether it was added.
func (s *Service) addAgency(ctx context.Context, tx *sql.Tx, a authz.Actor, r *record, ag agencyRef, why string) (bool, error) {
	if ag.id == "" || r.hasAgency(ag.id) {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO incident_agencies (incident_id, agency_id, status) VALUES ($1,$2,$3)`, r.id, ag.id, r.status); err != nil {
		return false, err
	}
	r.agencies = append(r.agencies, ag)
	slices.SortFunc(r.agencies, func(x, y agencyRef) int { return strings.Compare(x.code, y.code) })
	if why != "" {
		return true, s.addEntry(ctx, tx, r.id, entry{kind: KindChange, actor: a.AuditActor(), text: fmt.Sprintf("Agency %s added: %s", ag.code, why)})
	}
	return true, nil
}

// linkAlerts links alerts to r inside tx: each alert joins at most one
// incident (the key of incident_alerts); its agency joins the incident.
func (s *Service) linkAlerts(ctx context.Context, tx *sql.Tx, a authz.Actor, r *record, alerts []alertRow) ([]string, error) {
	var linked []string
	now := s.stamp()
	for _, al := range alerts {
		if slices.ContainsFunc(r.alerts, func(l link) bool { return l.id == al.id }) {
			continue
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO incident_alerts (alert_id, incident_id, agency_id, first_seen, linked_by, linked_at)
			VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (alert_id) DO NOTHING`, al.id, r.id, al.agencyID, al.firstSeen.UnixMilli(), a.UserID, now.UnixMilli())
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var other string
			tx.QueryRowContext(ctx, `SELECT incident_id FROM incident_alerts WHERE alert_id = $1`, al.id).Scan(&other)
			return nil, fmt.Errorf("%w: alert %s already belongs to incident %s; unlink it there first", validate.ErrConflict, al.id, other)
		}
		r.alerts = append(r.alerts, link{id: al.id, agencyID: al.agencyID})
		linked = append(linked, al.id)
		if _, err := s.addAgency(ctx, tx, a, r, agencyRef{id: al.agencyID, code: al.agency}, "an alert of this agency was linked"); err != nil {
			return nil, err
		}
		vis := al.agencyID
		if vis == "" {
			vis = "-"
		}
		if err := s.addEntry(ctx, tx, r.id, entry{kind: KindAlert, actor: a.AuditActor(), visibleTo: vis, text: "Alert linked: " + al.label()}); err != nil {
			return nil, err
		}
		if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: AlertLinked, Actor: a.AuditActor(), AgencyID: al.agencyID, TargetType: "incident",
			TargetID: r.id, After: map[string]any{"alert_id": al.id}}); err != nil {
			return nil, err
		}
	}
	return linked, nil
}

// linkFindings links findings to r inside tx.
func (s *Service) linkFindings(ctx context.Context, tx *sql.Tx, a authz.Actor, r *record, fs []findings.Finding, relation string) error {
	now := s.stamp()
	for _, f := range fs {
		if slices.ContainsFunc(r.findings, func(l link) bool { return l.id == f.ID }) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO incident_findings (incident_id, finding_id, agency_id, relation, linked_by, linked_at)
			VALUES ($1,$2,$3,$4,$5,$6)`, r.id, f.ID, f.AgencyID, relation, a.UserID, now.UnixMilli()); err != nil {
			return err
		}
		r.findings = append(r.findings, link{id: f.ID, agencyID: f.AgencyID, relation: relation})
		if _, err := s.addAgency(ctx, tx, a, r, agencyRef{id: f.AgencyID, code: f.Agency}, "a finding of this agency was linked"); err != nil {
			return err
		}
		text := fmt.Sprintf("Finding linked: %s (%s, %s, %s)", f.Title, f.Severity, f.Agency, f.System)
		if relation == relationFollowUp {
			text = fmt.Sprintf("Follow-up finding opened: %s (%s, %s, %s)", f.Title, f.Severity, f.Agency, f.System)
		}
		if err := s.addEntry(ctx, tx, r.id, entry{kind: KindFinding, actor: a.AuditActor(), visibleTo: f.AgencyID, text: text}); err != nil {
			return err
		}
		if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: FindingLinked, Actor: a.AuditActor(), AgencyID: f.AgencyID, TargetType: "incident",
			TargetID: r.id, After: map[string]any{"finding_id": f.ID, "relation": relation}}); err != nil {
			return err
		}
	}
	return nil
}

// Finding relations.
const (
	relationSource   = "source"    // the finding showed the compromise
	relationFollowUp = "follow-up" // the review opened it
)

// linkSystems links affected systems to r inside tx.
func (s *Service) linkSystems(ctx context.Context, tx *sql.Tx, a authz.Actor, r *record, systems []registry.System) error {
	for _, sys := range systems {
		if slices.ContainsFunc(r.systems, func(l systemLink) bool { return l.id == sys.ID }) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO incident_systems (incident_id, system_id, agency_id) VALUES ($1,$2,$3)`, r.id, sys.ID, sys.AgencyID); err != nil {
			return err
		}
		r.systems = append(r.systems, systemLink{id: sys.ID, agencyID: sys.AgencyID, agency: sys.Agency, name: sys.Name})
		if _, err := s.addAgency(ctx, tx, a, r, agencyRef{id: sys.AgencyID, code: sys.Agency}, "a system of this agency is affected"); err != nil {
			return err
		}
		if err := s.addEntry(ctx, tx, r.id, entry{kind: KindChange, actor: a.AuditActor(), visibleTo: sys.AgencyID,
			text: fmt.Sprintf("Affected system added: %s (%s)", sys.Name, sys.Agency)}); err != nil {
			return err
		}
	}
	return nil
}

// restart recomputes the clocks' start (the earliest linked alert's first
// event, or the creation) and the due times of the severity's targets.
func (s *Service) restart(ctx context.Context, tx *sql.Tx, r *record) error {
	var first sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MIN(first_seen) FROM incident_alerts WHERE incident_id = $1`, r.id).Scan(&first); err != nil {
		return err
	}
	start := r.createdAt
	if first.Valid {
		start = ms(first.Int64)
	}
	t := s.opts.Targets[r.severity]
	r.st.started = start
	r.st.ackDue, r.st.containDue, r.st.recoverDue = start.Add(t.Acknowledge), start.Add(t.Contain), start.Add(t.Recover)
	_, err := tx.ExecContext(ctx, `UPDATE incidents SET started_at = $1, ack_due_at = $2, contain_due_at = $3, recover_due_at = $4 WHERE id = $5`,
		start.UnixMilli(), r.st.ackDue.UnixMilli(), r.st.containDue.UnixMilli(), r.st.recoverDue.UnixMilli(), r.id)
	return err
}

// checkPerson accepts an active user who may work on an incident of the
// given agencies (incident.update on it).
func (s *Service) checkPerson(ctx context.Context, q store.Querier, field, userID string, agencyIDs []string) (userRef, error) {
	var role, email string
	var agency sql.NullString
	var disabled bool
	err := q.QueryRowContext(ctx, `SELECT role, agency_id, disabled, email FROM users WHERE id = $1`, userID).Scan(&role, &agency, &disabled, &email)
	if errors.Is(err, sql.ErrNoRows) || err == nil && disabled {
		return userRef{}, validate.Errors{{Field: field, Message: "no such active user"}}
	}
	if err != nil {
		return userRef{}, err
	}
	if authz.Check(authz.Actor{UserID: userID, Role: authz.Role(role), AgencyID: agency.String}, authz.IncidentUpdate, authz.Record(agencyIDs...)) != nil {
		return userRef{}, validate.Errors{{Field: field, Message: "that user may not work on this incident"}}
	}
	return userRef{id: userID, email: email}, nil
}
