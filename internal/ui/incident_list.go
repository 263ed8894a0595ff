package ui

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

// queueItem is an incident of the queue with its clocks laid out.
type queueItem struct {
	incident.ListItem
	Clocks []incident.ClockRow
}

type incidentListData struct {
	Query                              url.Values
	Status, Agency, Severity, Category string
	Breached                           bool
	Cursor                             string
	Items                              []queueItem
	Next                               string
	Agencies                           []registry.Agency
	Statuses, Severities               []string
	Categories                         []incident.Category
	CanCreate                          bool
	Empty                              bool
}

func (u *ui) incidentList(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	q := r.URL.Query()
	d := incidentListData{Status: q.Get("status"), Agency: q.Get("agency"), Severity: q.Get("severity"), Category: q.Get("category"),
		Breached: q.Get("breached") == "yes", Cursor: q.Get("cursor"), Statuses: incident.Statuses, Severities: incident.Severities,
		Categories: incident.Categories, Query: url.Values{}, CanCreate: authz.Check(a, authz.IncidentCreate, authz.Collection()) == nil}
	if _, ok := q["status"]; !ok {
		d.Status = "active" // the queue: what is not closed
	}
	for _, k := range []string{"status", "agency", "severity", "category", "breached"} {
		if v := q.Get(k); v != "" {
			d.Query.Set(k, v)
		}
	}
	f := incident.Filter{Category: d.Category, Breached: d.Breached, Cursor: d.Cursor, Limit: pageSize}
	switch d.Status {
	case "active":
		f.Statuses = incident.Statuses[:len(incident.Statuses)-1]
	case "":
	default:
		f.Statuses = []string{d.Status}
	}
	if d.Severity != "" {
		f.Severities = []string{d.Severity}
	}
	var unknown bool
	var err error
	if d.Agencies, f.AgencyID, unknown, err = agencyFilter(ctx, u.Registry, a, authz.IncidentRead, d.Agency); err != nil {
		u.fail(w, r, err)
		return
	}
	p := page{Title: "Incidents", Data: &d}
	d.Empty = unknown
	if !unknown {
		res, err := u.Incidents.List(ctx, a, f)
		if errors.Is(err, store.ErrBadCursor) {
			redirect(w, r, "/incidents"+queryWith(d.Query))
			return
		}
		if _, ok := validate.As(err); ok {
			p.Problems, _ = problemsOf(err, "f-", "")
			u.render(w, r, http.StatusBadRequest, "incident_list.html", p)
			return
		}
		if err != nil {
			u.fail(w, r, err)
			return
		}
		now := time.Now()
		for _, it := range res.Items {
			d.Items = append(d.Items, queueItem{ListItem: it, Clocks: incident.ClockRows(it.Clocks, now)})
		}
		d.Next = res.NextCursor
	}
	u.render(w, r, http.StatusOK, "incident_list.html", p)
}
