package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Filter narrows the incident queue. Empty fields do not filter.
type Filter struct {
	Statuses   []string
	AgencyID   string
	Severities []string
	Category   string
	Breached   bool // only incidents with a breached clock
	Cursor     string
	Limit      int
}

// ListItem is one incident of the queue.
type ListItem struct {
	ID           string     `json:"id"`
	Title        string     `json:"title"`
	Severity     string     `json:"severity"`
	Category     string     `json:"category"`
	Status       string     `json:"status"`
	Agencies     []string   `json:"agencies"`
	LeadID       string     `json:"lead_id,omitempty"`
	Alerts       int        `json:"alerts"`        // linked alerts the caller may see
	AlertsHidden int        `json:"alerts_hidden"` // and those of other agencies
	Clocks       ClockState `json:"clocks"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

func (f Filter) validate() error {
	var v validate.Errors
	for _, st := range f.Statuses {
		if !slices.Contains(Statuses, st) {
			v.Add("status", "must be one of %s", strings.Join(Statuses, ", "))
		}
	}
	for _, sv := range f.Severities {
		if !slices.Contains(Severities, sv) {
			v.Add("severity", "must be one of %s", strings.Join(Severities, ", "))
		}
	}
	if f.Category != "" && !slices.Contains(CategoryCodes(), f.Category) {
		v.Add("category", "must be one of %s", strings.Join(CategoryCodes(), ", "))
	}
	return v.Err()
}

// List is the incident queue: the incidents the caller may see, newest
// first, with their clocks. Filtered by agency and status it walks one
// index (incident_agencies (agency_id, status, incident_id)).
func (s *Service) List(ctx context.Context, a authz.Actor, f Filter) (store.Page[ListItem], error) {
	sc, err := authz.ScopeFor(a, authz.IncidentRead)
	if err != nil {
		return store.Page[ListItem]{}, err
	}
	if err := f.validate(); err != nil {
		return store.Page[ListItem]{}, err
	}
	empty := store.Page[ListItem]{Items: []ListItem{}}
	agency := f.AgencyID
	if !sc.All {
		if sc.AgencyID == "" || agency != "" && agency != sc.AgencyID {
			return empty, nil
		}
		agency = sc.AgencyID
	}
	var w store.Where
	from, idCol := "incidents i", "i.id"
	if agency != "" {
		from, idCol = "incident_agencies ia JOIN incidents i ON i.id = ia.incident_id", "ia.incident_id"
		w.And("ia.agency_id = " + w.Arg(agency))
		w.In("ia.status", f.Statuses)
	} else {
		w.In("i.status", f.Statuses)
	}
	w.In("i.severity", f.Severities)
	if f.Category != "" {
		w.And("i.category = " + w.Arg(f.Category))
	}
	now := s.now().UnixMilli()
	if f.Breached {
		n := w.Arg(now)
		w.And(fmt.Sprintf("(COALESCE(i.acknowledged_at, %[1]s) > i.ack_due_at OR COALESCE(i.contained_at, %[1]s) > i.contain_due_at OR COALESCE(i.recovered_at, %[1]s) > i.recover_due_at)", n))
	}
	if f.Cursor != "" {
		var after string
		if err := store.DecodeCursor(f.Cursor, &after); err != nil {
			return store.Page[ListItem]{}, err
		}
		w.And(idCol + " < " + w.Arg(after))
	}
	n := store.Limit(f.Limit)
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+incidentCols+` FROM `+from+w.SQL()+fmt.Sprintf(` ORDER BY %s DESC LIMIT %d`, idCol, n+1), w.Args()...)
	if err != nil {
		return store.Page[ListItem]{}, err
	}
	var recs []*record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			rows.Close()
			return store.Page[ListItem]{}, err
		}
		recs = append(recs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return store.Page[ListItem]{}, err
	}
	page := empty
	if len(recs) > n {
		recs = recs[:n]
		page.NextCursor = store.EncodeCursor(recs[n-1].id)
	}
	items, err := s.listItems(ctx, recs, lensOf(a))
	if err != nil {
		return store.Page[ListItem]{}, err
	}
	page.Items = items
	return page, nil
}

// listItems fills a page of incidents with their agencies and alert counts
// (two queries for the page).
func (s *Service) listItems(ctx context.Context, recs []*record, l lens) ([]ListItem, error) {
	out := make([]ListItem, len(recs))
	if len(recs) == 0 {
		return out, nil
	}
	byID := map[string]*ListItem{}
	var w store.Where
	ids := make([]string, len(recs))
	now := s.now()
	for i, r := range recs {
		ids[i] = r.id
		out[i] = ListItem{ID: r.id, Title: r.title, Severity: r.severity, Category: r.category, Status: r.status, Agencies: []string{},
			LeadID: r.leadID, Clocks: clocksAt(r.st, now), CreatedAt: r.createdAt, UpdatedAt: r.updatedAt}
		byID[r.id] = &out[i]
	}
	w.In("ia.incident_id", ids)
	rows, err := s.db.R().QueryContext(ctx, `SELECT ia.incident_id, a.code FROM incident_agencies ia JOIN agencies a ON a.id = ia.agency_id`+w.SQL()+` ORDER BY a.code`, w.Args()...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var iid, code string
		if err := rows.Scan(&iid, &code); err != nil {
			rows.Close()
			return nil, err
		}
		byID[iid].Agencies = append(byID[iid].Agencies, code)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var w2 store.Where
	w2.In("incident_id", ids)
	rows, err = s.db.R().QueryContext(ctx, `SELECT incident_id, agency_id, COUNT(*) FROM incident_alerts`+w2.SQL()+` GROUP BY incident_id, agency_id`, w2.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var iid, ag string
		var c int
		if err := rows.Scan(&iid, &ag, &c); err != nil {
			return nil, err
		}
		if l.sees(ag) {
			byID[iid].Alerts += c
		} else {
			byID[iid].AlertsHidden += c
		}
	}
	return out, rows.Err()
}
