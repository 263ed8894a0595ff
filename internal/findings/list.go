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

type cursor struct {
	N int64  `json:"n"` // the sort key's value (rank, millis)
	I string `json:"i"`
}

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
	page := store.Page[Finding]{Items: []Finding{}}
	sc, err := authz.ScopeFor(a, authz.FindingRead)
	if err != nil {
		return page, err
	}
	if err := f.validate(); err != nil {
		return page, err
	}
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
	var order, keyCol, cmp string
	switch f.Sort {
	case "created":
		order, keyCol, cmp = "f.id ASC", "", ">"
	case "due":
		order, keyCol, cmp = "COALESCE(f.due_at, 9000000000000000) ASC, f.id ASC", "COALESCE(f.due_at, 9000000000000000)", ">"
	case "-severity":
		order, keyCol, cmp = "f.severity_rank DESC, f.id DESC", "f.severity_rank", "<"
	default:
		order, keyCol, cmp = "f.id DESC", "", "<"
	}
	if f.Cursor != "" {
		var c cursor
		if err := store.DecodeCursor(f.Cursor, &c); err != nil {
			return page, err
		}
		if keyCol == "" {
			wh.And("f.id " + cmp + " " + wh.Arg(c.I))
		} else {
			wh.And("(" + keyCol + " " + cmp + " " + wh.Arg(c.N) + " OR (" + keyCol + " = " + wh.Arg(c.N) + " AND f.id " + cmp + " " + wh.Arg(c.I) + "))")
		}
	}
	limit := store.Limit(f.Limit)
	q := `SELECT ` + findingCols + findingFrom
	q += wh.SQL()
	q += " ORDER BY " + order + " LIMIT " + wh.Arg(limit+1)
	rows, err := s.db.R().QueryContext(ctx, q, wh.Args()...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	for rows.Next() {
		fd, err := s.scan(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, fd)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		c := cursor{I: last.ID}
		switch f.Sort {
		case "due":
			c.N = 9000000000000000
			if last.DueAt != nil {
				c.N = last.DueAt.UnixMilli()
			}
		case "-severity":
			c.N = int64(severity.Rank(last.Severity))
		}
		page.NextCursor = store.EncodeCursor(c)
	}
	return page, nil
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
