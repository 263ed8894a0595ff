package incident

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/validate"
)

// LinkAlerts links alerts to an incident (contract §6). Each alert joins at
// most one incident: one already in another incident is a conflict (409)
// and nothing is linked. The alerts' agencies join the incident, and the
// clocks restart from the earliest linked alert's first event.
func (s *Service) LinkAlerts(ctx context.Context, a authz.Actor, incidentID string, alertIDs []string) (Incident, error) {
	var r *record
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if r, err = s.writable(ctx, tx, a, authz.IncidentUpdate, incidentID); err != nil {
			return err
		}
		if len(alertIDs) == 0 {
			return validate.Errors{{Field: "alert_ids", Message: "give at least one alert"}}
		}
		alerts, err := s.visibleAlerts(ctx, tx, a, "alert_ids", alertIDs)
		if err != nil {
			return err
		}
		linked, err := s.linkAlerts(ctx, tx, a, r, alerts)
		if err != nil || len(linked) == 0 {
			return err
		}
		if err := s.restart(ctx, tx, r); err != nil {
			return err
		}
		return s.touch(ctx, tx, a, r, Updated, nil, map[string]any{"alerts_linked": linked})
	})
	if err != nil {
		return Incident{}, err
	}
	return r.view(lensOf(a), s.now()), nil
}

// UnlinkAlert takes an alert out of an incident (so it may join another).
func (s *Service) UnlinkAlert(ctx context.Context, a authz.Actor, incidentID, alertID string) (Incident, error) {
	var r *record
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if r, err = s.writable(ctx, tx, a, authz.IncidentUpdate, incidentID); err != nil {
			return err
		}
		i := slices.IndexFunc(r.alerts, func(l link) bool { return l.id == alertID })
		if i < 0 || !lensOf(a).sees(r.alerts[i].agencyID) {
			return authz.ErrNotFound
		}
		al := r.alerts[i]
		if _, err := tx.ExecContext(ctx, `DELETE FROM incident_alerts WHERE alert_id = $1 AND incident_id = $2`, alertID, r.id); err != nil {
			return err
		}
		r.alerts = slices.Delete(r.alerts, i, i+1)
		label := alertID
		if row, err := scanAlertRow(tx.QueryRowContext(ctx, `SELECT `+alertRowCols+` FROM alerts WHERE id = $1`, alertID)); err == nil {
			label = row.label()
		}
		vis := al.agencyID
		if vis == "" {
			vis = "-"
		}
		if err := s.addEntry(ctx, tx, r.id, entry{kind: KindAlert, actor: a.AuditActor(), visibleTo: vis, text: "Alert unlinked: " + label}); err != nil {
			return err
		}
		if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: AlertUnlinked, Actor: a.AuditActor(), AgencyID: al.agencyID, TargetType: "incident",
			TargetID: r.id, Before: map[string]any{"alert_id": alertID}}); err != nil {
			return err
		}
		if err := s.restart(ctx, tx, r); err != nil {
			return err
		}
		return s.touch(ctx, tx, a, r, Updated, nil, map[string]any{"alert_unlinked": alertID})
	})
	if err != nil {
		return Incident{}, err
	}
	return r.view(lensOf(a), s.now()), nil
}

// LinkFindings links findings that show the compromise (e.g. an accepted
// bounty report's finding).
func (s *Service) LinkFindings(ctx context.Context, a authz.Actor, incidentID string, findingIDs []string) (Incident, error) {
	if err := authz.Check(a, authz.IncidentUpdate, authz.Collection()); err != nil {
		return Incident{}, err
	}
	fs, ferr := s.visibleFindings(ctx, a, findingIDs)
	var r *record
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if r, err = s.writable(ctx, tx, a, authz.IncidentUpdate, incidentID); err != nil {
			return err
		}
		if ferr != nil {
			return ferr
		}
		if len(fs) == 0 {
			return validate.Errors{{Field: "finding_ids", Message: "give at least one finding"}}
		}
		if err := s.linkFindings(ctx, tx, a, r, fs, relationSource); err != nil {
			return err
		}
		return s.touch(ctx, tx, a, r, Updated, nil, map[string]any{"findings_linked": findingIDs})
	})
	if err != nil {
		return Incident{}, err
	}
	return r.view(lensOf(a), s.now()), nil
}

// LinkedAlert is an alert of an incident, as its page lists it.
type LinkedAlert struct {
	ID         string    `json:"id"`
	RuleID     string    `json:"rule_id"`
	RuleTitle  string    `json:"rule_title"`
	Level      string    `json:"level"`
	Agency     string    `json:"agency"`
	Host       string    `json:"host,omitempty"`
	Status     string    `json:"status"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	EventCount int64     `json:"event_count"`
	Attack     []string  `json:"attack"`
}

// AlertList is an incident's alerts the caller may see, and how many of
// other agencies are left out.
type AlertList struct {
	Items  []LinkedAlert `json:"items"`
	Hidden int           `json:"hidden"`
}

// Alerts lists an incident's linked alerts, earliest first.
func (s *Service) Alerts(ctx context.Context, a authz.Actor, incidentID string) (AlertList, error) {
	r, err := s.readable(ctx, a, incidentID)
	if err != nil {
		return AlertList{}, err
	}
	return s.alerts(ctx, r, lensOf(a))
}

func (s *Service) alerts(ctx context.Context, r *record, l lens) (AlertList, error) {
	out := AlertList{Items: []LinkedAlert{}}
	rows, err := s.db.R().QueryContext(ctx, `SELECT a.id, a.rule_id, a.rule_title, a.level, a.agency, a.agency_id, a.group_fields, a.status,
		a.first_seen, a.last_seen, a.event_count, a.tags FROM incident_alerts x JOIN alerts a ON a.id = x.alert_id
		WHERE x.incident_id = $1 ORDER BY a.first_seen, a.id`, r.id)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var la LinkedAlert
		var agencyID, group, tags string
		var first, last int64
		if err := rows.Scan(&la.ID, &la.RuleID, &la.RuleTitle, &la.Level, &la.Agency, &agencyID, &group, &la.Status, &first, &last, &la.EventCount, &tags); err != nil {
			return out, err
		}
		if !l.sees(agencyID) {
			out.Hidden++
			continue
		}
		la.FirstSeen, la.LastSeen = ms(first), ms(last)
		la.Host = hostOf(group)
		la.Attack = attackTags(decodeStrings(tags))
		out.Items = append(out.Items, la)
	}
	return out, rows.Err()
}

// Techniques lists the ATT&CK techniques of the rules of an incident's
// linked alerts (rules are shared by every agency, so all of them count),
// as technique ids such as T1059.001, sorted.
func (s *Service) Techniques(ctx context.Context, a authz.Actor, incidentID string) ([]string, error) {
	r, err := s.readable(ctx, a, incidentID)
	if err != nil {
		return nil, err
	}
	return s.techniques(ctx, r.id)
}

func (s *Service) techniques(ctx context.Context, incidentID string) ([]string, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT DISTINCT a.tags FROM incident_alerts x JOIN alerts a ON a.id = x.alert_id WHERE x.incident_id = $1`, incidentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	set := map[string]bool{}
	for rows.Next() {
		var tags string
		if err := rows.Scan(&tags); err != nil {
			return nil, err
		}
		for _, t := range attackTags(decodeStrings(tags)) {
			if isTechnique(t) {
				set[strings.ToUpper(t)] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out, rows.Err()
}

// attackTags picks the ATT&CK tags (attack.t1059.001, attack.execution) of
// a Sigma rule's tags, without the "attack." prefix.
func attackTags(tags []string) []string {
	out := []string{}
	for _, t := range tags {
		if rest, ok := strings.CutPrefix(strings.ToLower(t), "attack."); ok && rest != "" {
			out = append(out, rest)
		}
	}
	return out
}

// isTechnique reports whether an ATT&CK tag is a technique id (t1059,
// t1059.001), not a tactic name.
func isTechnique(t string) bool {
	t = strings.ToLower(t)
	if len(t) < 5 || t[0] != 't' {
		return false
	}
	for i, c := range t[1:] {
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && i == 4:
		default:
			return false
		}
	}
	return len(t) == 5 || len(t) == 9
}

// AlertIncident returns the incident an alert is in, when the caller may
// see it (ok false when the alert is in none, or in one hidden from them).
func (s *Service) AlertIncident(ctx context.Context, a authz.Actor, alertID string) (id, title string, ok bool, err error) {
	var iid string
	err = s.db.R().QueryRowContext(ctx, `SELECT incident_id FROM incident_alerts WHERE alert_id = $1`, alertID).Scan(&iid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, err
	}
	inc, err := s.Get(ctx, a, iid)
	if errors.Is(err, authz.ErrNotFound) || errors.Is(err, authz.ErrForbidden) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, err
	}
	return inc.ID, inc.Title, true, nil
}
