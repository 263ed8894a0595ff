package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/store"
)

// SuggestWindow is how far before the earliest and after the latest linked
// alert grouping suggestions look.
const SuggestWindow = 24 * time.Hour

// Suggestion is an alert not in any incident that looks related: it shares
// a host, a user or an observable with the incident within SuggestWindow.
type Suggestion struct {
	Alert   LinkedAlert `json:"alert"`
	Reasons []string    `json:"reasons"` // e.g. "same host ws01", "same user alice"
}

// userFields are the event fields that name an account, as the Windows
// event log, Sysmon, ECS and common Linux logs write them.
var userFields = []string{"user", "username", "user_name", "targetusername", "subjectusername", "accountname", "userprincipalname", "user.name", "src_user", "dst_user"}

// Suggestions lists alerts that are in no incident and share a host, a user
// or an observable with the incident, within SuggestWindow of its alerts —
// only alerts the caller may see, at most 50, the most related first.
func (s *Service) Suggestions(ctx context.Context, a authz.Actor, incidentID string) ([]Suggestion, error) {
	r, err := s.readable(ctx, a, incidentID)
	if err != nil {
		return nil, err
	}
	sc := authz.ScopeOf(a, authz.AlertRead)
	out := []Suggestion{}
	if sc.None() {
		return out, nil
	}
	// What the incident already has: hosts and users of its (visible)
	// alerts, its observables, and the time span of its alerts.
	hosts, users, values := map[string]bool{}, map[string]bool{}, map[string]bool{}
	from, to := r.createdAt, r.createdAt
	linked, err := s.alerts(ctx, r, lensOf(a))
	if err != nil {
		return nil, err
	}
	var linkedIDs []string
	for _, al := range linked.Items {
		if al.Host != "" {
			hosts[strings.ToLower(al.Host)] = true
		}
		linkedIDs = append(linkedIDs, al.ID)
		from, to = minTime(from, al.FirstSeen), maxTime(to, al.LastSeen)
	}
	if err := s.eventUsers(ctx, linkedIDs, func(_ string, u string) { users[u] = true }); err != nil {
		return nil, err
	}
	obs, err := s.observables(ctx, a, r.id, false)
	if err != nil {
		return nil, err
	}
	for _, o := range obs {
		values[strings.ToLower(o.Value)] = true
	}
	if len(hosts)+len(users)+len(values) == 0 {
		return out, nil
	}
	from, to = from.Add(-SuggestWindow), to.Add(SuggestWindow)
	var w store.Where
	w.And("a.id >= " + w.Arg(id.Floor(from)))
	w.And("a.id < " + w.Arg(id.Floor(to.Add(time.Millisecond))))
	w.And("a.hunt_id = ''")
	w.And("NOT EXISTS (SELECT 1 FROM incident_alerts x WHERE x.alert_id = a.id)")
	sc.Where(&w, "a.agency_id", "")
	rows, err := s.db.R().QueryContext(ctx, `SELECT a.`+strings.ReplaceAll(alertRowCols, ", ", ", a.")+`, a.event_count FROM alerts a`+w.SQL()+` ORDER BY a.id DESC LIMIT 500`, w.Args()...)
	if err != nil {
		return nil, err
	}
	type cand struct {
		row     alertRow
		count   int64
		reasons []string
	}
	var cands []*cand
	byID := map[string]*cand{}
	for rows.Next() {
		var c cand
		var tags, group string
		var first, last, created int64
		if err := rows.Scan(&c.row.id, &c.row.agencyID, &c.row.agency, &c.row.ruleID, &c.row.ruleTitle, &c.row.level, &c.row.status, &tags, &group,
			&first, &last, &created, &c.count); err != nil {
			rows.Close()
			return nil, err
		}
		json.Unmarshal([]byte(tags), &c.row.tags)
		json.Unmarshal([]byte(group), &c.row.group)
		c.row.firstSeen, c.row.lastSeen, c.row.createdAt = ms(first), ms(last), ms(created)
		if h := strings.ToLower(c.row.group["host"]); h != "" && hosts[h] {
			c.reasons = append(c.reasons, "same host "+c.row.group["host"])
		}
		for _, v := range c.row.group {
			if values[strings.ToLower(v)] {
				c.reasons = append(c.reasons, "same observable "+v)
			}
		}
		cands = append(cands, &c)
		byID[c.row.id] = &c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(users) > 0 || len(values) > 0 {
		ids := make([]string, len(cands))
		for i, c := range cands {
			ids[i] = c.row.id
		}
		err := s.eventValues(ctx, ids, func(alertID string, ev map[string]any) {
			c := byID[alertID]
			for _, u := range usersOf(ev) {
				if users[u] && !slices.Contains(c.reasons, "same user "+u) {
					c.reasons = append(c.reasons, "same user "+u)
				}
			}
			for _, v := range stringsOf(ev) {
				if lv := strings.ToLower(v); values[lv] && !slices.Contains(c.reasons, "same observable "+v) {
					c.reasons = append(c.reasons, "same observable "+v)
				}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	for _, c := range cands {
		if len(c.reasons) == 0 {
			continue
		}
		out = append(out, Suggestion{Alert: LinkedAlert{ID: c.row.id, RuleID: c.row.ruleID, RuleTitle: c.row.ruleTitle, Level: c.row.level,
			Agency: c.row.agency, Host: c.row.group["host"], Status: c.row.status, FirstSeen: c.row.firstSeen, LastSeen: c.row.lastSeen,
			EventCount: c.count, Attack: attackTags(c.row.tags)}, Reasons: c.reasons})
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Reasons) > len(out[j].Reasons) })
	if len(out) > 50 {
		out = out[:50]
	}
	return out, nil
}

// eventValues calls fn with each stored event (parsed) of the alerts.
func (s *Service) eventValues(ctx context.Context, alertIDs []string, fn func(alertID string, ev map[string]any)) error {
	for len(alertIDs) > 0 {
		n := min(len(alertIDs), 200)
		var w store.Where
		w.In("alert_id", alertIDs[:n])
		alertIDs = alertIDs[n:]
		rows, err := s.db.R().QueryContext(ctx, `SELECT alert_id, event FROM alert_events`+w.SQL()+` AND event <> ''`, w.Args()...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var aid, raw string
			if err := rows.Scan(&aid, &raw); err != nil {
				rows.Close()
				return err
			}
			var ev map[string]any
			if json.Unmarshal([]byte(raw), &ev) == nil {
				fn(aid, ev)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) eventUsers(ctx context.Context, alertIDs []string, fn func(alertID, user string)) error {
	return s.eventValues(ctx, alertIDs, func(aid string, ev map[string]any) {
		for _, u := range usersOf(ev) {
			fn(aid, u)
		}
	})
}

// usersOf finds account names in an event (flat or nested fields named as
// in userFields), lower case, leaving out placeholders and machine
// accounts' noise.
func usersOf(ev map[string]any) []string {
	var out []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			key := strings.ToLower(prefix + k)
			switch x := v.(type) {
			case map[string]any:
				if key != "@kubu" {
					walk(key+".", x)
				}
			case string:
				if slices.Contains(userFields, key) || slices.Contains(userFields, strings.ToLower(k)) {
					u := strings.ToLower(strings.TrimSpace(x))
					if u != "" && u != "-" && u != "system" && u != "n/a" && !slices.Contains(out, u) {
						out = append(out, u)
					}
				}
			}
		}
	}
	walk("", ev)
	return out
}

// stringsOf lists an event's string values (nested too), up to 500.
func stringsOf(ev map[string]any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		if len(out) >= 500 {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		case string:
			out = append(out, x)
		case float64:
			out = append(out, fmt.Sprint(x))
		}
	}
	walk(ev)
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
