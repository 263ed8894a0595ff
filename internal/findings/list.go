package findings

import (
	"context"
	"slices"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/severity"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Filter selects findings. Statuses, Sources and Severities are OR-ed
// within and AND-ed across.
type Filter struct {
	AgencyID   string
	SystemID   string
	Statuses   []string
	Sources    []string
	Severities []string
	Overdue    bool
	Query      string // in the title, case-insensitively
	Sort       string // "-created" (default), "created", "due", "-severity"
	Cursor     string
	Limit      int
}

// Sorts lists the accepted Sort values.
var Sorts = []string{"-created", "created", "due", "-severity"}

func (f Filter) validate() error {
	var v validate.Errors
	for _, st := range f.Statuses {
		v.OneOf("status", st, Statuses)
	}
	for _, so := range f.Sources {
		v.OneOf("source", so, Sources)
	}
	for _, se := range f.Severities {
		v.OneOf("severity", se, Severities)
	}
	if f.Sort != "" {
		v.OneOf("sort", f.Sort, Sorts)
	}
	return v.Err()
}

// List returns a page of the findings the caller may see. Sorting by
// creation walks the (agency, status, id) indexes, since ids are
// time-ordered; the page after a cursor is found by keyset, never OFFSET.
func (s *Service) List(ctx context.Context, a authz.Actor, f Filter) (store.Page[Finding], error) {
	page := store.Page[Finding]{Items: []Finding{}} // returned with an error
	sc, err := authz.ScopeFor(a, authz.FindingRead)
	if err != nil {
		return page, err
	}
	if err := f.validate(); err != nil {
		return page, err
	}
	wh := s.filterWhere(sc, f)
	keys, key := store.Keyset{Keys: []string{"f.id"}, Desc: true}, func(x Finding) []any { return []any{x.ID} }
	switch f.Sort {
	case "created":
		keys.Desc = false
	case "due": // findings without a deadline last
		keys = store.Keyset{Keys: []string{"COALESCE(f.due_at, 9000000000000000)", "f.id"}}
		key = func(x Finding) []any {
			due := int64(9000000000000000)
			if x.DueAt != nil {
				due = x.DueAt.UnixMilli()
			}
			return []any{due, x.ID}
		}
	case "-severity":
		keys = store.Keyset{Keys: []string{"f.severity_rank", "f.id"}, Desc: true}
		key = func(x Finding) []any { return []any{int64(severity.Rank(x.Severity)), x.ID} }
	}
	return store.List(ctx, s.db.R(), store.ListQuery[Finding]{
		SQL: `SELECT ` + findingCols + findingFrom, Where: &wh, Keyset: keys, Cursor: f.Cursor, Limit: f.Limit, Scan: s.scan, Key: key})
}

// filterWhere is the condition of the findings f selects within the
// caller's scope sc (List and Count share it).
func (s *Service) filterWhere(sc authz.Scope, f Filter) store.Where {
	var wh store.Where
	sc.Where(&wh, "f.agency_id", "")
	if f.AgencyID != "" {
		wh.And("f.agency_id = " + wh.Arg(f.AgencyID))
	}
	if f.SystemID != "" {
		wh.And("f.system_id = " + wh.Arg(f.SystemID))
	}
	statuses := f.Statuses
	if f.Overdue {
		statuses = intersectOpen(statuses)
		wh.And("f.due_at < " + wh.Arg(s.now().UnixMilli()))
	}
	wh.In("f.status", statuses)
	wh.In("f.source", f.Sources)
	wh.In("f.severity", f.Severities)
	if q := strings.TrimSpace(f.Query); q != "" {
		wh.And("LOWER(f.title) LIKE " + wh.Arg("%"+store.LikeEscape(strings.ToLower(q))+"%") + ` ESCAPE '\'`)
	}
	return wh
}

func intersectOpen(statuses []string) []string {
	if len(statuses) == 0 {
		return OpenStatuses
	}
	var out []string
	for _, st := range statuses {
		if slices.Contains(OpenStatuses, st) {
			out = append(out, st)
		}
	}
	if out == nil {
		return []string{"-none-"}
	}
	return out
}
