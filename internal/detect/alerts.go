package detect

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
	"github.com/kubu-gov/kubu/internal/severity"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Alert statuses.
const (
	StatusOpen         = "open"
	StatusAcknowledged = "acknowledged"
	StatusClosed       = "closed"
)

// Statuses lists the alert statuses.
var Statuses = []string{StatusOpen, StatusAcknowledged, StatusClosed}

// Alert is one alert: a rule's matches for one agency and group within
// the grouping window.
type Alert struct {
	ID          string            `json:"id"`
	RuleID      string            `json:"rule_id"`
	RuleTitle   string            `json:"rule_title"`
	Level       string            `json:"level"`
	Tags        []string          `json:"tags"`
	Attack      []string          `json:"attack"` // ATT&CK technique and tactic tags
	AgencyID    string            `json:"agency_id,omitempty"`
	Agency      string            `json:"agency"`
	SystemID    string            `json:"system_id,omitempty"` // the system its host belongs to (registry's hostname lookup)
	System      string            `json:"system,omitempty"`    // that system's name
	Kind        string            `json:"kind"`
	Retro       bool              `json:"retro"`
	HuntID      string            `json:"hunt_id,omitempty"`
	Group       map[string]string `json:"group"`
	Status      string            `json:"status"`
	AssigneeID  string            `json:"assignee_id,omitempty"`
	CloseReason string            `json:"close_reason,omitempty"`
	FirstSeen   time.Time         `json:"first_seen"`
	LastSeen    time.Time         `json:"last_seen"`
	EventCount  int64             `json:"event_count"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// MatchedEvent is one event of an alert.
type MatchedEvent struct {
	EventID string          `json:"event_id"`
	Time    time.Time       `json:"time"`
	Event   json.RawMessage `json:"event,omitempty"` // kept for the first events of an alert
}

const alertCols = `al.id, al.rule_id, al.rule_title, al.level, al.tags, al.agency_id, al.agency, al.system_id, COALESCE(sy.name, ''),
	al.kind, al.hunt_id, al.group_fields, al.status, al.assignee_id, al.close_reason, al.first_seen, al.last_seen, al.event_count,
	al.created_at, al.updated_at`

// alertFrom joins each alert to its system's name.
const alertFrom = ` FROM alerts al LEFT JOIN systems sy ON sy.id = al.system_id`

func scanAlert(sc store.Scanner) (Alert, error) {
	var a Alert
	var first, last, created, updated int64
	err := sc.Scan(&a.ID, &a.RuleID, &a.RuleTitle, &a.Level, store.JSON(&a.Tags), &a.AgencyID, &a.Agency, &a.SystemID, &a.System, &a.Kind,
		&a.HuntID, store.JSON(&a.Group), &a.Status, &a.AssigneeID, &a.CloseReason, &first, &last, &a.EventCount, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Alert{}, authz.ErrNotFound
	}
	if err != nil {
		return Alert{}, fmt.Errorf("alert %s: %w", a.ID, err)
	}
	a.Tags = nonNil(a.Tags)
	a.Attack = []string{}
	for _, t := range a.Tags {
		if strings.HasPrefix(strings.ToLower(t), "attack.") {
			a.Attack = append(a.Attack, t)
		}
	}
	a.Retro = a.HuntID != ""
	a.FirstSeen, a.LastSeen = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
	a.CreatedAt, a.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return a, nil
}

// AlertFilter narrows ListAlerts. Empty fields do not filter.
type AlertFilter struct {
	AgencyID string
	SystemID string
	Levels   []string
	RuleID   string
	Statuses []string
	HuntID   string
	Retro    *bool
	From, To time.Time // last_seen in [From, To)
	Cursor   string
	Limit    int
}

// ListAlerts lists the alerts the caller may see, newest first.
func (s *Service) ListAlerts(ctx context.Context, a authz.Actor, f AlertFilter) (store.Page[Alert], error) {
	sc, err := authz.ScopeFor(a, authz.AlertRead)
	if err != nil {
		return store.Page[Alert]{}, err
	}
	var v validate.Errors
	for _, l := range f.Levels {
		if !severity.ValidLevel(l) {
			v.Add("level", "must be one of %s", strings.Join(severity.Levels, ", "))
		}
	}
	for _, st := range f.Statuses {
		if !slices.Contains(Statuses, st) {
			v.Add("status", "must be one of %s", strings.Join(Statuses, ", "))
		}
	}
	if err := v.Err(); err != nil {
		return store.Page[Alert]{}, err
	}
	var wh store.Where
	sc.Where(&wh, "al.agency_id", "")
	if f.AgencyID != "" {
		wh.And("al.agency_id = " + wh.Arg(f.AgencyID))
	}
	if f.SystemID != "" {
		wh.And("al.system_id = " + wh.Arg(f.SystemID))
	}
	if len(f.Levels) > 0 {
		wh.In("al.level", f.Levels)
	}
	if len(f.Statuses) > 0 {
		wh.In("al.status", f.Statuses)
	}
	if f.RuleID != "" {
		wh.And("al.rule_id = " + wh.Arg(f.RuleID))
	}
	if f.HuntID != "" {
		wh.And("al.hunt_id = " + wh.Arg(f.HuntID))
	}
	if f.Retro != nil {
		if *f.Retro {
			wh.And("al.hunt_id <> ''")
		} else {
			wh.And("al.hunt_id = ''")
		}
	}
	if !f.From.IsZero() {
		wh.And("al.last_seen >= " + wh.Arg(f.From.UnixMilli()))
	}
	if !f.To.IsZero() {
		wh.And("al.last_seen < " + wh.Arg(f.To.UnixMilli()))
	}
	return store.List(ctx, s.db.R(), store.ListQuery[Alert]{
		SQL: `SELECT ` + alertCols + alertFrom, Where: &wh, Keyset: store.Keyset{Keys: []string{"al.id"}, Desc: true},
		Cursor: f.Cursor, Limit: f.Limit, Scan: scanAlert, Key: func(al Alert) []any { return []any{al.ID} }})
}

// AlertByID returns one alert the caller may see.
func (s *Service) AlertByID(ctx context.Context, a authz.Actor, alertID string) (Alert, error) {
	if err := authz.Check(a, authz.AlertRead, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Alert{}, err
	}
	al, err := scanAlert(s.db.R().QueryRowContext(ctx, `SELECT `+alertCols+alertFrom+` WHERE al.id = $1`, alertID))
	if err != nil {
		return Alert{}, err
	}
	if err := checkAlert(a, authz.AlertRead, al); err != nil {
		return Alert{}, err
	}
	return al, nil
}

// checkAlert applies act to an alert; alerts of unassigned senders belong
// to no agency (platform records: central roles only).
func checkAlert(a authz.Actor, act authz.Action, al Alert) error {
	return authz.Check(a, act, authz.Record(al.AgencyID))
}

// AlertEvents lists an alert's matched events, oldest first.
func (s *Service) AlertEvents(ctx context.Context, a authz.Actor, alertID string, limit int) ([]MatchedEvent, error) {
	if _, err := s.AlertByID(ctx, a, alertID); err != nil {
		return nil, err
	}
	rows, err := s.db.R().QueryContext(ctx, fmt.Sprintf(`SELECT event_id, event_time, event FROM alert_events WHERE alert_id = $1
		ORDER BY event_time, event_id LIMIT %d`, store.Limit(limit)), alertID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []MatchedEvent{}
	for rows.Next() {
		var e MatchedEvent
		var at int64
		var ev string
		if err := rows.Scan(&e.EventID, &at, &ev); err != nil {
			return nil, err
		}
		e.Time = time.UnixMilli(at).UTC()
		if ev != "" && json.Valid([]byte(ev)) {
			e.Event = json.RawMessage(ev)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// AlertChange is an analyst's change to an alert: a new status (closing
// needs a reason), an assignee (a user id; "" leaves it, "-" clears it).
type AlertChange struct {
	Status   string `json:"status,omitempty"`
	Assignee string `json:"assignee,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// UpdateAlert acknowledges, assigns, closes or reopens an alert.
func (s *Service) UpdateAlert(ctx context.Context, a authz.Actor, alertID string, ch AlertChange) (Alert, error) {
	if err := authz.Check(a, authz.AlertUpdate, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Alert{}, err
	}
	al, err := s.AlertByID(ctx, a, alertID)
	if err != nil {
		return Alert{}, err
	}
	if err := checkAlert(a, authz.AlertUpdate, al); err != nil {
		return Alert{}, err
	}
	var v validate.Errors
	ch.Reason = strings.TrimSpace(ch.Reason)
	if ch.Status != "" && !slices.Contains(Statuses, ch.Status) {
		v.Add("status", "must be one of %s", strings.Join(Statuses, ", "))
	}
	if ch.Status == StatusClosed && ch.Reason == "" {
		v.Add("reason", "is required to close an alert")
	}
	v.MaxLen("reason", ch.Reason, 2000)
	if ch.Status == "" && ch.Assignee == "" {
		v.Add("status", "give a status or an assignee")
	}
	if err := v.Err(); err != nil {
		return Alert{}, err
	}
	before := al
	var codes []audit.Code
	if ch.Assignee != "" {
		assignee := ch.Assignee
		if assignee == "-" {
			assignee = ""
		} else if err := s.checkAssignee(ctx, assignee, al.AgencyID); err != nil {
			return Alert{}, err
		}
		if assignee != al.AssigneeID {
			al.AssigneeID = assignee
			codes = append(codes, AlertAssigned)
		}
	}
	if ch.Status != "" && ch.Status != al.Status {
		switch ch.Status {
		case StatusAcknowledged:
			codes = append(codes, AlertAcknowledged)
		case StatusClosed:
			codes = append(codes, AlertClosed)
			al.CloseReason = ch.Reason
		case StatusOpen:
			codes = append(codes, AlertReopened)
			al.CloseReason = ""
		}
		al.Status = ch.Status
	}
	if len(codes) == 0 {
		return al, nil
	}
	al.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE alerts SET status = $1, assignee_id = $2, close_reason = $3, updated_at = $4 WHERE id = $5`,
			al.Status, al.AssigneeID, al.CloseReason, al.UpdatedAt.UnixMilli(), al.ID)
		if err != nil {
			return err
		}
		for _, c := range codes {
			_, err := s.audit.Append(ctx, tx, audit.Entry{Code: c, Actor: a.AuditActor(), AgencyID: al.AgencyID, TargetType: "alert", TargetID: al.ID,
				Before: alertSnapshot(before), After: alertSnapshot(al)})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Alert{}, err
	}
	return al, nil
}

func alertSnapshot(a Alert) map[string]any {
	return map[string]any{"status": a.Status, "assignee_id": a.AssigneeID, "close_reason": a.CloseReason}
}

// checkAssignee accepts an active user who may work on the alert: a
// central analyst or admin, or a member of the alert's agency.
func (s *Service) checkAssignee(ctx context.Context, userID, agencyID string) error {
	var role string
	var agency sql.NullString
	var disabled int
	err := s.db.R().QueryRowContext(ctx, `SELECT role, agency_id, disabled FROM users WHERE id = $1`, userID).Scan(&role, &agency, &disabled)
	if errors.Is(err, sql.ErrNoRows) || err == nil && disabled != 0 {
		return validate.Errors{{Field: "assignee", Message: "no such active user"}}
	}
	if err != nil {
		return err
	}
	if authz.Check(authz.Actor{UserID: userID, Role: authz.Role(role), AgencyID: agency.String}, authz.AlertUpdate, authz.Record(agencyID)) != nil {
		return validate.Errors{{Field: "assignee", Message: "that user may not work on this alert"}}
	}
	return nil
}
