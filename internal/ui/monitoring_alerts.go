package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/kubu-gov/kubu/internal/attack"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/severity"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

type alertListData struct {
	Query                         url.Values
	Agency, Level, RuleID, Status string
	System, SystemName            string // the system filter (an id) and its name
	Retro                         string // "", "yes", "no"
	Cursor                        string
	Page                          store.Page[detect.Alert]
	Empty                         bool
	Agencies                      []registry.Agency
	Levels, Statuses              []string
	CanIncident                   bool // may open incidents: the rows can be selected for one
	CanBulk                       bool // may change alerts: the rows can be selected for a bulk change
}

// alertQuery reads the alert queue's filters from the query string: the
// list and its CSV export share them. ok is false when an answer was
// written.
func (m *monitoring) alertQuery(w http.ResponseWriter, r *http.Request) (*alertListData, detect.AlertFilter, bool) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	q := r.URL.Query()
	d := alertListData{Agency: q.Get("agency"), Level: q.Get("level"), RuleID: q.Get("rule_id"), Status: q.Get("status"), System: q.Get("system"),
		Retro: q.Get("retro"), Cursor: q.Get("cursor"), Levels: severity.Levels, Statuses: detect.Statuses, Query: url.Values{}}
	if _, ok := q["status"]; !ok {
		d.Status = "active" // the queue: what still needs someone
	}
	for _, k := range []string{"agency", "level", "rule_id", "status", "retro", "system"} {
		if v := q.Get(k); v != "" {
			d.Query.Set(k, v)
		}
	}
	f := detect.AlertFilter{RuleID: d.RuleID, SystemID: d.System, Cursor: d.Cursor, Limit: pageSize}
	if d.System != "" {
		sys, err := m.Registry.System(ctx, a, d.System)
		if err != nil {
			d.Empty = true // a system the caller may not see has no alerts for them
		}
		d.SystemName = sys.Name
	}
	if d.Level != "" {
		f.Levels = []string{d.Level}
	}
	switch d.Status {
	case "active":
		f.Statuses = []string{detect.StatusOpen, detect.StatusAcknowledged}
	case "":
	default:
		f.Statuses = []string{d.Status}
	}
	switch d.Retro {
	case "yes", "no":
		b := d.Retro == "yes"
		f.Retro = &b
	}
	var unknown bool
	var err error
	if d.Agencies, f.AgencyID, unknown, err = agencyFilter(ctx, m.Registry, a, authz.AlertRead, d.Agency); err != nil {
		m.fail(w, r, err)
		return nil, f, false
	}
	d.Empty = d.Empty || unknown
	d.CanIncident = m.Incidents != nil && authz.Check(a, authz.IncidentCreate, authz.Collection()) == nil
	d.CanBulk = authz.Check(a, authz.AlertUpdate, authz.Collection()) == nil
	return &d, f, true
}

func (m *monitoring) alertList(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	dp, f, ok := m.alertQuery(w, r)
	if !ok {
		return
	}
	d := *dp
	p := page{Title: "Alerts", Data: &d}
	if !d.Empty {
		res, err := m.Detect.ListAlerts(ctx, a, f)
		if errors.Is(err, store.ErrBadCursor) {
			redirect(w, r, "/alerts"+queryWith(d.Query))
			return
		}
		if _, ok := validate.As(err); ok {
			p.Problems, _ = problemsOf(err, "", "")
			m.render(w, r, http.StatusBadRequest, "alert_list.html", p)
			return
		}
		if err != nil {
			m.fail(w, r, err)
			return
		}
		d.Page = res
	}
	m.render(w, r, http.StatusOK, "alert_list.html", p)
}

type alertDetailData struct {
	Alert     detect.Alert
	Events    []shownEvent
	CanUpdate bool
	Mine      bool
	Assignee  string
	Reason    string
	Hunt      huntForm
	CanHunt   bool
	// Incidents: the one it is in, or may one be opened from it.
	IncidentID, IncidentTitle string
	CanIncident               bool

	Attack     []attack.Ref      // the ATT&CK tags, named and linked
	Assignees  []detect.Assignee // who it may be given to (when CanUpdate)
	FindingURL string            // the finding form filled from the alert ("" when no finding may be made)
	SameRule   []detect.Alert    // other alerts of the rule
	SameSystem []detect.Alert    // other alerts of the system
}

// shownEvent is a matched event, pretty-printed, with its summary line.
type shownEvent struct {
	ID, Time, JSON string
	Summary        eventSummary
}

// similarMax is how many similar alerts of each kind the alert page lists.
const similarMax = 5

func (m *monitoring) alertPage(r *http.Request, id string) (*alertDetailData, error) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	al, err := m.Detect.AlertByID(ctx, a, id)
	if err != nil {
		return nil, err
	}
	evs, err := m.Detect.AlertEvents(ctx, a, id, 50)
	if err != nil {
		return nil, err
	}
	d := &alertDetailData{Alert: al, CanUpdate: authz.Check(a, authz.AlertUpdate, authz.Record(al.AgencyID)) == nil,
		Mine: al.AssigneeID == a.UserID, Hunt: newHuntForm(al.RuleID, time.Now()),
		CanHunt: al.Kind == detect.KindDetection && authz.Check(a, authz.HuntCreate, authz.Collection()) == nil}
	if m.Incidents != nil {
		var in bool
		if d.IncidentID, d.IncidentTitle, in, err = m.Incidents.AlertIncident(ctx, a, al.ID); err != nil {
			return nil, err
		}
		d.CanIncident = !in && authz.Check(a, authz.IncidentCreate, authz.Record(al.AgencyID)) == nil
	}
	d.Attack = attack.Refs(append(slices.Clone(al.Attack), al.Tags...))
	if d.CanUpdate {
		if d.Assignees, err = m.Detect.Assignees(ctx, a, al.ID); err != nil {
			return nil, err
		}
	}
	if al.SystemID != "" && authz.Check(a, authz.FindingCreate, authz.Record(al.AgencyID)) == nil {
		d.FindingURL = findingFromAlertURL(al)
	}
	if d.SameRule, err = m.similar(r, al, detect.AlertFilter{RuleID: al.RuleID}); err != nil {
		return nil, err
	}
	if al.SystemID != "" {
		if d.SameSystem, err = m.similar(r, al, detect.AlertFilter{SystemID: al.SystemID}); err != nil {
			return nil, err
		}
	}
	if al.AssigneeID != "" {
		d.Assignee = al.AssigneeID
		if u, err := m.Accounts.User(ctx, a, al.AssigneeID); err == nil {
			d.Assignee = u.Email
		}
		for _, p := range d.Assignees { // the team's addresses, for those who may not read people
			if p.ID == al.AssigneeID {
				d.Assignee = p.Email
			}
		}
	}
	for _, e := range evs {
		se := shownEvent{ID: e.EventID, Time: e.Time.UTC().Format(time.RFC3339Nano)}
		if e.Event != nil {
			var b bytes.Buffer
			if json.Indent(&b, e.Event, "", "  ") == nil {
				se.JSON = b.String()
			}
			se.Summary = summarise(e.Event)
		}
		d.Events = append(d.Events, se)
	}
	return d, nil
}

func (m *monitoring) alertDetail(w http.ResponseWriter, r *http.Request) {
	d, err := m.alertPage(r, r.PathValue("id"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.render(w, r, http.StatusOK, "alert_detail.html", page{Title: d.Alert.RuleTitle, Data: d})
}

// alertAction runs the alert page's buttons: acknowledge, assign to me,
// unassign, close with a reason, reopen.
func (m *monitoring) alertAction(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	a := web.ActorFrom(r.Context())
	id := r.PathValue("id")
	var ch detect.AlertChange
	notice := ""
	switch r.PostFormValue("action") {
	case "acknowledge":
		ch, notice = detect.AlertChange{Status: detect.StatusAcknowledged}, "Alert acknowledged."
	case "assign-me":
		ch, notice = detect.AlertChange{Assignee: a.UserID}, "Alert assigned to you."
	case "assign":
		who := r.PostFormValue("assignee")
		if who == "" {
			who = "-"
		}
		ch, notice = detect.AlertChange{Assignee: who}, "Alert assignee changed."
	case "unassign":
		ch, notice = detect.AlertChange{Assignee: "-"}, "Alert unassigned."
	case "close":
		ch, notice = detect.AlertChange{Status: detect.StatusClosed, Reason: r.PostFormValue("reason")}, "Alert closed."
	case "reopen":
		ch, notice = detect.AlertChange{Status: detect.StatusOpen}, "Alert reopened."
	default:
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	_, err := m.Detect.UpdateAlert(r.Context(), a, id, ch)
	if _, ok := validate.As(err); ok {
		d, perr := m.alertPage(r, id)
		if perr != nil {
			m.fail(w, r, perr)
			return
		}
		d.Reason = ch.Reason
		p := page{Title: d.Alert.RuleTitle, Data: d}
		prefix := "close-"
		if r.PostFormValue("action") == "assign" {
			prefix = "assign-"
		}
		p.Problems, _ = problemsOf(err, prefix, "")
		m.render(w, r, http.StatusBadRequest, "alert_detail.html", p)
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.flash(r, notice)
	redirect(w, r, "/alerts/"+id)
}

// similar lists up to similarMax other alerts the caller may see that
// share f's rule or system with al, newest first.
func (m *monitoring) similar(r *http.Request, al detect.Alert, f detect.AlertFilter) ([]detect.Alert, error) {
	f.Limit = similarMax + 1
	res, err := m.Detect.ListAlerts(r.Context(), web.ActorFrom(r.Context()), f)
	if err != nil {
		return nil, err
	}
	var out []detect.Alert
	for _, x := range res.Items {
		if x.ID != al.ID && len(out) < similarMax {
			out = append(out, x)
		}
	}
	return out, nil
}

// findingFromAlertURL is the finding form filled from an alert: its
// system, title, severity and a description that links back to it. The
// source is "incident", the operations prong's source of findings.
func findingFromAlertURL(al detect.Alert) string {
	desc := "Found by the alert [" + al.RuleTitle + "](/alerts/" + al.ID + ") (" + al.Level + "), " +
		strconv.FormatInt(al.EventCount, 10) + " events from " + al.FirstSeen.UTC().Format(time.RFC3339) + " to " + al.LastSeen.UTC().Format(time.RFC3339) + "."
	q := url.Values{"system": {al.SystemID}, "title": {al.RuleTitle}, "severity": {severity.OfLevel(al.Level)},
		"source": {"incident"}, "source_ref": {"alert:" + al.ID}, "description": {desc}}
	return "/findings/new?" + q.Encode()
}
