package ui

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

type findingListData struct {
	Query    url.Values // the filters, kept in the pagination links
	Agency   string
	System   *registry.System // the system filter, when set and visible
	SystemID string
	Status   string
	Source   string
	Severity string
	Overdue  bool
	Text     string
	Sort     string
	Cursor   string
	Page     store.Page[findings.Finding]
	Empty    bool // the filters cannot match anything the caller may see

	Agencies   []registry.Agency
	Statuses   []string
	Sources    []string
	Severities []string
	Sorts      []sortOption
	CanCreate  bool

	Total        int      // findings matching the filters, over every page
	CanBulk      bool     // may change findings: the rows can be selected
	BulkStatuses []string // the statuses the bulk form offers
}

type sortOption struct{ Value, Label string }

// statusUnresolved is the status filter for findings still needing work
// (open or in progress), which is what the home page counts as open.
const statusUnresolved = "unresolved"

// statusAny is the status filter for every status.
const statusAny = "any"

// bulkStatuses are the statuses the bulk form sets (a duplicate needs its
// original and an accepted risk its approval, one finding at a time).
var bulkStatuses = []string{"open", "in-progress", "fixed", "false-positive"}

var findingSorts = []sortOption{{"-created", "Newest"}, {"created", "Oldest"}, {"due", "Due date"}, {"-severity", "Severity"}}

// findingQuery reads the findings list's filters from the query string:
// the list, its CSV export and its bulk form share them. With no status
// in the query the list shows the findings still needing work; "any"
// shows every status. ok is false when an answer was written.
func (u *ui) findingQuery(w http.ResponseWriter, r *http.Request) (*findingListData, findings.Filter, bool) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	q := r.URL.Query()
	d := &findingListData{Agency: q.Get("agency"), SystemID: q.Get("system"), Status: q.Get("status"), Source: q.Get("source"),
		Severity: q.Get("severity"), Overdue: q.Get("overdue") == "yes", Text: q.Get("q"), Sort: q.Get("sort"), Cursor: q.Get("cursor"),
		Statuses: findings.Statuses, Sources: findings.Sources, Severities: findings.Severities, Sorts: findingSorts,
		CanCreate: authz.Check(a, authz.FindingCreate, authz.Collection()) == nil,
		CanBulk:   authz.Check(a, authz.FindingUpdate, authz.Collection()) == nil, BulkStatuses: bulkStatuses}
	if _, ok := q["status"]; !ok || d.Status == "" {
		d.Status = statusUnresolved
	}
	d.Query = url.Values{}
	for _, k := range []string{"agency", "system", "status", "source", "severity", "overdue", "q", "sort"} {
		if v := q.Get(k); v != "" {
			d.Query.Set(k, v)
		}
	}
	f := findings.Filter{SystemID: d.SystemID, Overdue: d.Overdue, Query: d.Text, Sort: d.Sort, Cursor: d.Cursor, Limit: pageSize}
	one := func(v string) []string {
		if v == "" {
			return nil
		}
		return []string{v}
	}
	f.Statuses, f.Sources, f.Severities = one(d.Status), one(d.Source), one(d.Severity)
	switch d.Status {
	case statusUnresolved:
		f.Statuses = findings.OpenStatuses
	case statusAny:
		f.Statuses = nil
	}
	var unknown bool
	var err error
	if d.Agencies, f.AgencyID, unknown, err = agencyFilter(ctx, u.Registry, a, authz.FindingRead, d.Agency); err != nil {
		u.fail(w, r, err)
		return nil, f, false
	}
	d.Empty = d.Empty || unknown
	if d.SystemID != "" {
		s, err := u.Registry.System(ctx, a, d.SystemID)
		switch {
		case errors.Is(err, authz.ErrNotFound):
			d.Empty = true
		case err != nil:
			u.fail(w, r, err)
			return nil, f, false
		default:
			d.System = &s
		}
	}
	return d, f, true
}

func (u *ui) findingList(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	d, f, ok := u.findingQuery(w, r)
	if !ok {
		return
	}
	p := page{Title: "Findings", Data: d}
	if !d.Empty {
		res, err := u.Findings.List(ctx, a, f)
		if errors.Is(err, store.ErrBadCursor) {
			redirect(w, r, "/findings"+queryWith(d.Query))
			return
		}
		if _, ok := validate.As(err); ok {
			// A hand-made query with an unknown value: show the problem,
			// and the filter form to fix it.
			probs, _ := problemsOf(err, "f-", "")
			p.Problems = probs
			u.render(w, r, http.StatusBadRequest, "findings.html", p)
			return
		}
		if err != nil {
			u.fail(w, r, err)
			return
		}
		d.Page = res
		if d.Total, err = u.Findings.Count(ctx, a, f); err != nil {
			u.fail(w, r, err)
			return
		}
	}
	u.render(w, r, http.StatusOK, "findings.html", p)
}
