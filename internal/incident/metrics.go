package incident

import (
	"context"
	"errors"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Metrics are the response times of the incidents opened in [From, To):
// per agency and severity (an incident of two agencies counts in both),
// and per severity over all the agencies the caller may see (each incident
// once).
type Metrics struct {
	From       time.Time    `json:"from"`
	To         time.Time    `json:"to"`
	Rows       []MetricsRow `json:"rows"`
	BySeverity []MetricsRow `json:"by_severity"`
}

// MetricsRow is one group's numbers.
type MetricsRow struct {
	Agency      string         `json:"agency,omitempty"` // code; empty in BySeverity
	Severity    string         `json:"severity"`
	Count       int            `json:"count"`
	Breaches    int            `json:"breaches"` // incidents with at least one breached clock
	Breached    map[string]int `json:"breached"` // per clock
	Acknowledge Durations      `json:"acknowledge"`
	Contain     Durations      `json:"contain"`
	Recover     Durations      `json:"recover"`
}

// Durations summarise how long a clock ran, over the incidents where it
// stopped: the median and the 90th percentile (nearest rank), in seconds.
type Durations struct {
	N       int    `json:"n"`
	MedianS *int64 `json:"median_s"`
	P90S    *int64 `json:"p90_s"`
	values  []int64
}

func (d *Durations) add(v *int64) {
	if v != nil {
		d.values = append(d.values, *v)
	}
}

func (d *Durations) finish() {
	d.N = len(d.values)
	if d.N == 0 {
		return
	}
	slices.Sort(d.values)
	var med int64
	if d.N%2 == 1 {
		med = d.values[d.N/2]
	} else {
		med = (d.values[d.N/2-1] + d.values[d.N/2]) / 2
	}
	p90 := d.values[int(math.Ceil(0.9*float64(d.N)))-1]
	d.MedianS, d.P90S = &med, &p90
}

// Median and P90 give the values as durations (0 when none).
func (d Durations) Median() time.Duration { return durOf(d.MedianS) }

// P90 is the 90th percentile as a duration.
func (d Durations) P90() time.Duration { return durOf(d.P90S) }

func durOf(p *int64) time.Duration {
	if p == nil {
		return 0
	}
	return time.Duration(*p) * time.Second
}

// Metrics computes the response times of incidents opened in [from, to)
// that the caller may see: agency roles get their agency's.
func (s *Service) Metrics(ctx context.Context, a authz.Actor, from, to time.Time) (Metrics, error) {
	sc, err := authz.ScopeFor(a, authz.IncidentRead)
	if err != nil {
		return Metrics{}, err
	}
	if !to.After(from) {
		return Metrics{}, validate.Errors{{Field: "to", Message: "must be after from"}}
	}
	if to.Sub(from) > 3*366*24*time.Hour {
		return Metrics{}, validate.Errors{{Field: "from", Message: "the range may span at most three years"}}
	}
	m := Metrics{From: from.UTC(), To: to.UTC(), Rows: []MetricsRow{}, BySeverity: []MetricsRow{}}
	var w store.Where
	w.And("i.created_at >= " + w.Arg(from.UnixMilli()))
	w.And("i.created_at < " + w.Arg(to.UnixMilli()))
	switch {
	case sc.All:
	case sc.AgencyID != "":
		w.And("ia.agency_id = " + w.Arg(sc.AgencyID))
	default:
		return m, nil
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+incidentCols+`, a.code FROM incidents i JOIN incident_agencies ia ON ia.incident_id = i.id
		JOIN agencies a ON a.id = ia.agency_id`+w.SQL()+` ORDER BY i.id`, w.Args()...)
	if err != nil {
		return Metrics{}, err
	}
	defer rows.Close()
	now := s.now()
	type key struct{ agency, severity string }
	groups := map[key]*MetricsRow{}
	totals := map[string]*MetricsRow{}
	seen := map[string]bool{}
	row := func(m map[key]*MetricsRow, k key) *MetricsRow {
		r := m[k]
		if r == nil {
			r = &MetricsRow{Agency: k.agency, Severity: k.severity, Breached: map[string]int{ClockAcknowledge: 0, ClockContain: 0, ClockRecover: 0}}
			m[k] = r
		}
		return r
	}
	for rows.Next() {
		var code string
		rec, err := scanRecordWith(rows, &code)
		if err != nil {
			return Metrics{}, err
		}
		c := clocksAt(rec.st, now)
		targets := []*MetricsRow{row(groups, key{code, rec.severity})}
		if !seen[rec.id] {
			seen[rec.id] = true
			t := totals[rec.severity]
			if t == nil {
				t = row(map[key]*MetricsRow{}, key{"", rec.severity})
				totals[rec.severity] = t
			}
			targets = append(targets, t)
		}
		for _, r := range targets {
			r.Count++
			if len(c.Breached) > 0 {
				r.Breaches++
			}
			for _, b := range c.Breached {
				r.Breached[b]++
			}
			r.Acknowledge.add(c.TimeToAck)
			r.Contain.add(c.TimeToContain)
			r.Recover.add(c.TimeToRecover)
		}
	}
	if err := rows.Err(); err != nil {
		return Metrics{}, err
	}
	for _, r := range groups {
		r.Acknowledge.finish()
		r.Contain.finish()
		r.Recover.finish()
		m.Rows = append(m.Rows, *r)
	}
	sort.Slice(m.Rows, func(i, j int) bool {
		if m.Rows[i].Agency != m.Rows[j].Agency {
			return m.Rows[i].Agency < m.Rows[j].Agency
		}
		return severityRank(m.Rows[i].Severity) > severityRank(m.Rows[j].Severity)
	})
	for _, sev := range Severities {
		if r := totals[sev]; r != nil {
			r.Acknowledge.finish()
			r.Contain.finish()
			r.Recover.finish()
			m.BySeverity = append(m.BySeverity, *r)
		}
	}
	return m, nil
}

// scanRecordWith scans incidentCols followed by extra columns.
func scanRecordWith(sc interface{ Scan(...any) error }, extra ...any) (*record, error) {
	var r *record
	var err error
	r, err = scanRecord(scanFunc(func(dest ...any) error { return sc.Scan(append(dest, extra...)...) }))
	if errors.Is(err, authz.ErrNotFound) {
		return nil, err
	}
	return r, err
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }
